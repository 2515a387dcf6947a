"""Message templates: how an outbox row becomes Telegram HTML in its recipient's language.

A template is a function (params, locale) -> HTML text, registered by its feature's
`init_app` under a kind that outbox rows and broadcasts store:

    register_template(app, "news", render_news)

The registry belongs to the application (delivery imports no feature). A template runs
inside an application context with the recipient's locale forced, so gettext works. Every
piece of user text must go through `escape`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from diaspora.i18n import localized_text, normalize_locale

TELEGRAM_MAX_TEXT = 4096
SUMMARY_MAX = 600

Template = Callable[[Mapping[str, Any], str], str]
_REGISTRY_KEY = "mekendesh.message_templates"


def _templates(app: Flask) -> dict[str, Template]:
    return app.extensions.setdefault(_REGISTRY_KEY, {})


def register_template(app: Flask, kind: str, render: Template) -> None:
    """Make `kind` a message template of `app`. Two features claiming one kind is a bug:
    refused, so neither silently renders the other's messages."""
    templates = _templates(app)
    if kind in templates and templates[kind] is not render:
        raise ValueError(f"message template {kind!r} is already registered")
    templates[kind] = render


def known_template(kind: str) -> bool:
    return kind in _templates(current_app)


def template_kinds(app: Flask) -> tuple[str, ...]:
    return tuple(sorted(_templates(app)))


def escape(text: str) -> str:
    return html.escape(text or "", quote=True)


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return current_app.config.get("SITE_URL", "").rstrip("/") + "/" + path.lstrip("/")


def render_message(template: str, params: Mapping[str, Any] | None, locale: str | None) -> str:
    """The HTML text of a message, in `locale` (falling back to Kyrgyz), within 4096 chars."""
    code = normalize_locale(locale) or current_app.config.get("BABEL_DEFAULT_LOCALE", "ky")
    function = _templates(current_app).get(template)
    if function is None:
        raise KeyError(f"unknown message template {template!r}")
    with force_locale(code):
        text = function(params or {}, code)
    if len(text) > TELEGRAM_MAX_TEXT:  # a template's own limits should make this rare
        text = escape(shorten(html.unescape(text), TELEGRAM_MAX_TEXT - 10))
    return text


def render_text(params: Mapping[str, Any], locale: str) -> str:
    """A plain translated text, {"text": {"ky": ..., "ru": ..., "en": ...}}, and a link."""
    body = escape(shorten(localized_text(params.get("text"), locale), 3500))
    url = params.get("url")
    if url:
        link_text = escape(_("Open"))
        body += f'\n\n<a href="{escape(absolute_url(str(url)))}">{link_text}</a>'
    return body

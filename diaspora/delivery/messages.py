"""Message templates: how an outbox row becomes Telegram HTML in its recipient's language.

A template is a function (params, locale) -> HTML text, registered under a name that outbox
rows and broadcasts store. It runs inside an application context with the recipient's locale
forced, so gettext works. Every piece of user text must go through `escape`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from diaspora.i18n import localized_text, normalize_locale

TELEGRAM_MAX_TEXT = 4096
SUMMARY_MAX = 600

Template = Callable[[Mapping[str, Any], str], str]
_TEMPLATES: dict[str, Template] = {}


def message_template(name: str) -> Callable[[Template], Template]:
    def register(function: Template) -> Template:
        _TEMPLATES[name] = function
        return function

    return register


def known_template(name: str) -> bool:
    return name in _TEMPLATES


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
    function = _TEMPLATES.get(template)
    if function is None:
        raise KeyError(f"unknown message template {template!r}")
    with force_locale(code):
        text = function(params or {}, code)
    if len(text) > TELEGRAM_MAX_TEXT:  # a template's own limits should make this rare
        text = escape(shorten(html.unescape(text), TELEGRAM_MAX_TEXT - 10))
    return text


@message_template("news")
def _news(params: Mapping[str, Any], locale: str) -> str:
    """A news post: bold title, a short summary, and a link to the full post."""
    title = localized_text(params.get("title"), locale)
    summary = shorten(localized_text(params.get("summary"), locale), SUMMARY_MAX)
    url = absolute_url(str(params.get("url", "/")))
    parts = [f"<b>{escape(shorten(title, 300))}</b>"]
    if summary:
        parts.append(escape(summary))
    link_text = escape(_("Read the full post"))
    parts.append(f'<a href="{escape(url)}">{link_text}</a>')
    return "\n\n".join(parts)


@message_template("text")
def _text(params: Mapping[str, Any], locale: str) -> str:
    """A plain translated text, {"text": {"ky": ..., "ru": ..., "en": ...}}, and a link."""
    body = escape(shorten(localized_text(params.get("text"), locale), 3500))
    url = params.get("url")
    if url:
        link_text = escape(_("Open"))
        body += f'\n\n<a href="{escape(absolute_url(str(url)))}">{link_text}</a>'
    return body

"""What templates may call: permissions, languages, localized content, formatting."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import format_decimal, get_locale
from markupsafe import Markup, escape

from diaspora.accounts import choices
from diaspora.accounts.permissions import can
from diaspora.formatting import format_day, format_money, format_when
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, Localized, localized
from diaspora.images import image_srcset
from diaspora.places.countries import country_name


def current_locale() -> str:
    locale = get_locale()
    return str(locale) if locale else "ky"


def url_for_language(code: str) -> str:
    """This page in another language (GET pages keep their query; others go home)."""
    if request.method != "GET" or request.endpoint is None:
        return url_for("main.index", lang=code)
    args = dict(request.view_args or {})
    args.update({key: value for key, value in request.args.items() if key != "lang"})
    args["lang"] = code
    try:
        return url_for(request.endpoint, **args)
    except Exception:  # noqa: BLE001  (an endpoint that cannot be rebuilt: go home)
        return url_for("main.index", lang=code)


def lang_attr(value: Localized) -> Markup:
    """` lang="ru"` for an element holding content shown in a language other than the page's
    (a fallback): screen readers then read it with the right voice, and browsers hyphenate it
    right. Nothing when the content is in the page's language or empty."""
    if not value.locale or value.locale == current_locale():
        return Markup("")
    return Markup(' lang="{}"').format(value.locale)


def localized_inline(value: dict | None) -> Markup:
    """A {"ky":…, "ru":…, "en":…} field's text for inline use, escaped, in a <span lang>
    when it had to fall back to another language."""
    text = localized(value, current_locale())
    attr = lang_attr(text)
    return Markup("<span{}>{}</span>").format(attr, text.text) if attr else escape(text.text)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=can,
        image_srcset=image_srcset,
        current_locale=current_locale,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        url_for_language=url_for_language,
        localized=lambda value: localized(value, current_locale()),
        lang_attr=lang_attr,
        localized_inline=localized_inline,
        country_name=lambda code: country_name(code, current_locale()),
        choices=choices,
        format_when=format_when,
        format_day=format_day,
        format_money=format_money,
        # Older templates' names, kept so every date reads the same: Babel's "short",
        # "medium" formats are not how people here write dates (seconds, «ноя.»).
        format_datetime=lambda value, _format=None: format_when(value),
        format_date=lambda value, _format=None: format_day(value),
        format_decimal=format_decimal,
    )
    # {{ post.published_at|when }}, {{ day|day }}, {{ amount|money }}
    app.jinja_env.filters.update(when=format_when, day=format_day, money=format_money)

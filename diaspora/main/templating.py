"""What templates may call: permissions, languages, localized content, formatting."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import format_decimal, get_locale

from diaspora.accounts import choices
from diaspora.accounts.permissions import can
from diaspora.formatting import format_day, format_money, format_when
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, localized
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


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=can,
        current_locale=current_locale,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        SUPPORTED_LOCALES=SUPPORTED_LOCALES,
        url_for_language=url_for_language,
        localized=lambda value: localized(value, current_locale()),
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

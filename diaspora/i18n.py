"""Supported languages, how a request's language is chosen, and localized content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user

SUPPORTED_LOCALES: tuple[str, ...] = ("ky", "ru", "en")
# Each language is named in itself, so a reader finds their own whatever page they are on.
LANGUAGE_NAMES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
FALLBACK_ORDER: tuple[str, ...] = ("ky", "ru", "en")
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# The language switcher's choice for this login session (it outranks the saved profile
# language until the member logs out, without changing the profile).
SESSION_LANG_KEY = "lang"


def normalize_locale(value: str | None) -> str | None:
    """'ru-RU' -> 'ru'; anything we do not support -> None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    # Telegram and browsers sometimes send the ISO 639-2 code for Kyrgyz.
    if code == "kir":
        code = "ky"
    return code if code in SUPPORTED_LOCALES else None


def requested_locale() -> str | None:
    """The language asked for explicitly in this request (?lang=), if valid."""
    if not has_request_context():
        return None
    return normalize_locale(request.args.get("lang"))


def select_locale() -> str:
    """Flask-Babel's locale selector: ?lang, the switcher's choice in this session, the
    member's profile, the cookie, the browser."""
    forced = g.get("forced_locale") if has_request_context() else None
    if forced:
        return forced
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "ky")
    if not has_request_context():
        return default
    chosen = requested_locale() or normalize_locale(session.get(SESSION_LANG_KEY))
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        saved = normalize_locale(getattr(current_user, "locale", None))
        if saved:
            return saved
    cookie = normalize_locale(request.cookies.get(LANG_COOKIE))
    if cookie:
        return cookie
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or default


def select_timezone() -> str:
    """Flask-Babel's timezone selector: the member's zone (chosen, else their country's),
    Bishkek's for visitors."""
    if has_request_context() and current_user and current_user.is_authenticated:
        from diaspora.timezones import member_timezone

        return member_timezone(current_user)
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Bishkek")


class Localized(NamedTuple):
    text: str
    locale: str | None
    exact: bool


def localized(value: Mapping[str, str] | None, locale: str) -> Localized:
    """The best text of a {"ky":…, "ru":…, "en":…} field for `locale`.

    Fallback order: the reader's language, then Kyrgyz, Russian, English. `exact` is False
    when the text is in another language, so a page can say so.
    """
    if not value:
        return Localized("", None, False)
    order = (locale, *[code for code in FALLBACK_ORDER if code != locale])
    for code in order:
        text = value.get(code)
        if text and text.strip():
            return Localized(text, code, code == locale)
    return Localized("", None, False)


def localized_text(value: Mapping[str, str] | None, locale: str) -> str:
    return localized(value, locale).text


def install_template_gettext(app: Flask) -> None:
    """Templates translate through the catalog found once a request. Flask-Babel looks it up
    again for every string (the locale, the domain, the cache: a dozen context lookups), and
    a member's page has fifty strings."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _translations() -> NullTranslations:
    # Kept where Flask-Babel's own `refresh()` deletes and `force_locale()` clears and
    # restores a request's translations, so both still switch the language.
    context = g.get("_flask_babel")
    if context is None:
        return get_translations()
    translations = getattr(context, "babel_translations", None)
    if translations is None:
        translations = context.babel_translations = get_translations()
    return translations

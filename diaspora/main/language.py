"""Remembering a reader's language: a cookie for visitors, the profile for members."""

from __future__ import annotations

from flask import Flask, Response, g
from flask_login import current_user

from diaspora.i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE, requested_locale


def remember_language(app: Flask) -> None:
    @app.before_request
    def _store_requested_language() -> None:
        chosen = requested_locale()
        if not chosen:
            return
        g.remember_lang = chosen
        if current_user.is_authenticated and current_user.locale != chosen:
            from diaspora.accounts.service import set_locale

            set_locale(current_user, chosen)

    @app.after_request
    def _set_language_cookie(response: Response) -> Response:
        chosen = g.get("remember_lang")
        if chosen:
            response.set_cookie(
                LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True
            )
        response.headers.setdefault("Content-Language", _current_language())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else "ky"

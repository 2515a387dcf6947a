"""Remembering a reader's language: the switcher's choice in a cookie and the session; a
member's saved language on their profile, changed only through the profile form."""

from __future__ import annotations

from flask import Flask, Response, g, request, session

from diaspora.i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE, SESSION_LANG_KEY, requested_locale


def remember_language(app: Flask) -> None:
    @app.before_request
    def _store_requested_language() -> None:
        # A link (?lang=ru) changes what this browser shows, never stored data: a GET can
        # be a prefetch, a crawler or a link someone else planted. A member keeps a language
        # on their profile through the profile form (a POST).
        chosen = requested_locale()
        # The API's answers are cached publicly: there ?lang= picks the language of one
        # answer and leaves no cookie or session behind.
        if not chosen or request.path.startswith("/api/"):
            return
        g.remember_lang = chosen
        if session.get(SESSION_LANG_KEY) != chosen:
            session[SESSION_LANG_KEY] = chosen

    @app.after_request
    def _set_language_cookie(response: Response) -> Response:
        chosen = g.get("remember_lang")
        if chosen:
            response.set_cookie(
                LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True
            )
        if request.endpoint != "static":
            # The page's language; a stylesheet has none, and choosing one would load the
            # member (two queries) for every static file.
            response.headers.setdefault("Content-Language", _current_language())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale) if locale else "ky"

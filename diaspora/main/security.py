"""Web hardening that every page shares: the client's real address behind a reverse proxy,
security headers, Secure cookies, and refusing input no page can use.

`configure_security(app)` is one step of the app factory; it must run before the blueprints
are registered, because it replaces the `int` URL converter their rules are built with.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any

from flask import Flask, Request, Response, abort, current_app, request, session
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from diaspora.forms import MAX_ID  # a larger id names nothing and overflows the driver

# No list has a million pages; `page * per_page` must stay far inside 64 bits.
MAX_PAGE = 1_000_000

# Only our own files: no inline script, no style attributes, no third-party hosts. Pico's
# form icons are SVG data: URLs in its stylesheet, hence `img-src data:`.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only ids our tables can hold: a larger one is a plain 404."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _whole_number(value: str) -> int:
    number = int(value)
    if not -MAX_ID - 1 <= number <= MAX_ID:
        raise ValueError("beyond what an INTEGER column holds")
    return number


class BoundedParameters(ImmutableMultiDict):
    """Query and form values where `get(name, type=int)` treats a number no INTEGER column
    holds like any other unusable value: the default is used."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # noqa: A002
        return super().get(key, default, _whole_number if type is int else type)

    def getlist(self, key: Any, type: Any = None) -> list:  # noqa: A002
        return super().getlist(key, _whole_number if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedParameters


def configure_security(app: Flask) -> None:
    _trust_proxies(app)
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.request_class = BoundedRequest
    app.before_request(_refuse_unusable_input)
    app.after_request(_security_headers)
    # Registered first among the app's after-request functions, so it runs last and sees
    # every cookie the others set (the language cookie, Flask-Login's remember cookie).
    app.after_request_funcs.setdefault(None, []).insert(0, _secure_cookies)


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies (README, "Behind a reverse proxy"), take the client's address,
    scheme and host from the headers the last N proxies set; with 0 trust no such header, so
    nobody can pick their own rate-limit bucket by sending X-Forwarded-For."""
    trusted = int(app.config.get("PROXY_FIX_TRUSTED", 0) or 0)
    if trusted > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_port=trusted
        )


def _refuse_unusable_input() -> None:
    """No text a person types contains NUL; PostgreSQL refuses it in any text column (a 500).
    A page number beyond any list is a page that does not exist."""
    page = request.args.get("page", "").strip()
    if re.fullmatch(r"[0-9]+", page) and int(page) > MAX_PAGE:
        abort(404)
    values = [*chain.from_iterable(request.args.listvalues()),
              *(request.view_args or {}).values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        values += chain.from_iterable(request.form.listvalues())
    if any(isinstance(value, str) and "\x00" in value for value in values):
        abort(400)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if "Cache-Control" not in response.headers and "_user_id" in session:
        # A signed-in person's page is theirs: no shared cache, no copy on a shared computer.
        # Asked of the session, not `current_user`: loading the user (two queries) for every
        # stylesheet and image would put the database on the static files' path.
        response.headers["Cache-Control"] = "private, no-store"
    if current_app.config.get("ENV_NAME") == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def _secure_cookies(response: Response) -> Response:
    """Where the session cookie is Secure (production), so is every other cookie."""
    if not current_app.config.get("SESSION_COOKIE_SECURE"):
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies:
        return response
    del response.headers["Set-Cookie"]
    for cookie in cookies:
        attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
        response.headers.add("Set-Cookie", cookie if "secure" in attributes
                             else f"{cookie}; Secure")
    return response

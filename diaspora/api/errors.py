"""The API's errors: JSON with a stable `error` code (for programs) and a `message` in the
caller's language (for people), e.g. `{"error": "not_found", "status": 404, "message": ...}`.

The language comes from `?lang=`, else the Accept-Language header, else Kyrgyz; never from
a cookie or the session, so one URL and one header give one answer (public caches)."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from diaspora.i18n import SUPPORTED_LOCALES, normalize_locale

# Status -> (stable code, message). The codes are part of the API: never rename one.
ERRORS = {
    400: ("bad_request", _l("The request could not be understood.")),
    403: ("forbidden", _l("This cannot be read here.")),
    404: ("not_found", _l("There is nothing at this address of the API.")),
    405: ("method_not_allowed", _l("The open data API can only be read: use GET.")),
    413: ("too_large", _l("What you sent is too large.")),
    429: ("rate_limited", _l("Too many requests. Please wait a minute and try again.")),
    500: ("server_error", _l("Something went wrong on our side. Please try again later.")),
}
BAD_PARAMETER = "bad_parameter"
NO_STORE = "no-store"


def api_locale() -> str:
    """The language of an API answer: ?lang=, else Accept-Language, else Kyrgyz."""
    chosen = normalize_locale(request.args.get("lang"))
    if chosen:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "ky"


class ApiError(Exception):
    """A refusal the API explains itself (a bad parameter), answered as JSON."""

    def __init__(self, status: int, code: str, message: object, parameter: str | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.parameter = status, code, message, parameter


def error_response(status: int, code: str, message: object,
                   parameter: str | None = None) -> Response:
    with force_locale(api_locale()):
        body: dict = {"error": code, "status": status, "message": str(message)}
    if parameter is not None:
        body["parameter"] = parameter
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def render_status(status: int) -> Response:
    """The JSON answer for an HTTP error under /api/ (main/errors.py calls it)."""
    code, message = ERRORS.get(status, ERRORS[400] if status < 500 else ERRORS[500])
    return error_response(status, code, message)


def render_api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.parameter)

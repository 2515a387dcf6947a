"""Translated error pages for people, JSON for the API."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from diaspora.errors import NotFound, PermissionDenied
from diaspora.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def register_json_errors(app: Flask, prefix: str,
                         render: Callable[[int], ResponseReturnValue]) -> None:
    """A feature that answers in JSON under `prefix` (the open-data API) renders its own
    errors there, routing errors (404, 405) included, which no blueprint handler sees."""
    app.extensions.setdefault("mekendesh.json_errors", {})[prefix] = render


def _render(status: int, title: str, message: str) -> ResponseReturnValue:
    for prefix, render in current_app.extensions.get("mekendesh.json_errors", {}).items():
        if request.path.startswith(prefix):
            return render(status)
    if _wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            _("The form has expired"),
            _(
                "For your safety the form could not be sent. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied) -> ResponseReturnValue:
        return forbidden(error)

    @app.errorhandler(NotFound)
    def domain_not_found(error: NotFound) -> ResponseReturnValue:
        return not_found(error)

    @app.errorhandler(403)
    def forbidden(error: Exception) -> ResponseReturnValue:
        from diaspora.accounts.views import second_step_first

        # Staff refused only for want of their second sign-in step are sent to it.
        pending = None if _wants_json() else second_step_first()
        if pending is not None:
            return pending
        return _render(403, _("Access denied"), _("You do not have permission to see this page."))

    @app.errorhandler(404)
    def not_found(error: Exception) -> ResponseReturnValue:
        return _render(404, _("Page not found"), _("We could not find the page you asked for."))

    @app.errorhandler(405)
    def method_not_allowed(error: Exception) -> ResponseReturnValue:
        return _render(405, _("Not allowed"), _("This page cannot be used this way."))

    @app.errorhandler(413)
    def too_large(error: Exception) -> ResponseReturnValue:
        return _render(
            413, _("Too large"), _("What you sent is too large. Please send something smaller.")
        )

    @app.errorhandler(429)
    def too_many(error: Exception) -> ResponseReturnValue:
        return _render(
            429, _("Too many attempts"), _("Too many attempts. Please wait a minute and try again.")
        )

    @app.errorhandler(500)
    def server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        return _render(
            500,
            _("Something went wrong"),
            _("Something went wrong on our side. We have noted it; please try again later."),
        )

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> ResponseReturnValue:
        return _render(
            error.code or 400,
            _("Request not understood"),
            _("The request could not be understood."),
        )

"""The open-data API: read-only JSON under /api/v1/ with its OpenAPI document (issue 11)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.api.errors import render_status
    from diaspora.api.views import PREFIX, bp
    from diaspora.extensions import csrf
    from diaspora.main.errors import register_json_errors

    app.register_blueprint(bp)
    csrf.exempt(bp)  # read-only: nothing to forge
    register_json_errors(app, PREFIX, render_status)

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from diaspora.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("main/index.html")


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template(
        "main/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"]
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (any database failure means "not healthy")
        db.session.rollback()
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True), 200

"""Moderation: the audit log and authority verification."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.moderation import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.moderation.views import bp

    app.register_blueprint(bp)

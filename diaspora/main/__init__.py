"""Pages that belong to no single feature: home, privacy notice, health, errors."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.main.views import bp

    app.register_blueprint(bp)

"""Try the bot without Telegram: the local Bot API and the /dev/chat page that `make run`
starts when no real bot token is set (never in production)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.devchat.cli import register_commands
    from diaspora.devchat.views import bp

    app.register_blueprint(bp)
    register_commands(app)

"""`flask serve`: what `make run` runs — the site, and without a bot token the bot too,
against the local Bot API, with its chat page."""

from __future__ import annotations

import signal
import sys

import click
from flask import Flask
from werkzeug.serving import run_simple

from diaspora.devchat.runner import LocalTelegram, refusal


def register_commands(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--no-bot", is_flag=True, help="Serve the site only.")
    def serve_command(host: str, port: int, no_bot: bool) -> None:
        """Serve the site; with no TELEGRAM_BOT_TOKEN, also the bot and its outbox sender
        against a local Bot API on 127.0.0.1, to talk to at /dev/chat."""
        local = None
        reason = "--no-bot" if no_bot else refusal(app)
        if reason is None:
            local = LocalTelegram(app).start()
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
            click.echo(f"Telegram bot: running against a local Bot API ({local.api.url}).")
            click.echo(f"Talk to the bot at http://{shown}:{port}/dev/chat")
        else:
            click.echo(f"Telegram bot: not started here ({reason}).")
        # `kill` (SIGTERM) ends the server like Ctrl+C, so the bot process goes with it.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            if local is not None:
                local.stop()

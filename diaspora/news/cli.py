"""`flask news-publish-due`."""

from __future__ import annotations

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    @app.cli.command("news-publish-due")
    def news_publish_due_command() -> None:
        """Publish the scheduled news posts whose time has come (the sender does it too)."""
        from diaspora.news.service import publish_due_posts

        click.echo(f"{publish_due_posts()} scheduled post(s) published.")

"""`flask news-publish-due`, `flask news-rerender`."""

from __future__ import annotations

import click
from flask import Flask


def register_commands(app: Flask) -> None:
    @app.cli.command("news-publish-due")
    def news_publish_due_command() -> None:
        """Publish the scheduled news posts whose time has come (the sender does it too)."""
        from diaspora.news.service import publish_due_posts

        click.echo(f"{publish_due_posts()} scheduled post(s) published.")

    @app.cli.command("news-rerender")
    @click.option("--all", "everything", is_flag=True,
                  help="Every post, not only those rendered by another renderer version.")
    def news_rerender_command(everything: bool) -> None:
        """Render news bodies again after the renderer changed (RENDERER_VERSION)."""
        from diaspora.news.rendering import RENDERER_VERSION
        from diaspora.news.service import rerender_posts

        count = rerender_posts(everything=everything)
        click.echo(f"{count} post(s) rendered with renderer version {RENDERER_VERSION}.")

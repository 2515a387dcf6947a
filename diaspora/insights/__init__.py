"""Insights: the anonymised picture of the diaspora on the platform for policy makers, local
authorities and staff (members by country and home place, plans to return, money sent home,
interest in investing; projects and the authorities' answers; survey participation; support
requests and how fast they are answered; month by month), with small cells suppressed
everywhere; charts drawn on the server with their tables; CSV and JSON downloads. The open-data
API (diaspora/api) serves the same stored tables."""

from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.delivery.housekeeping import register_job
    from diaspora.insights import (
        models,  # noqa: F401  (its table, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.insights.service import refresh, refresh_if_due
    from diaspora.insights.views import bp

    app.register_blueprint(bp)
    register_job(app, "insights.refresh", refresh_if_due)

    @app.cli.command("insights-refresh")
    def insights_refresh_command() -> None:
        """Count the insights' tables again now (housekeeping does it every
        INSIGHTS_REFRESH_SECONDS)."""
        click.echo(f"{refresh()} scope(s) counted.")

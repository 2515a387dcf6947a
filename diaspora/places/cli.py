"""`flask load-places`: load or refresh the gazetteer."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from diaspora.extensions import db
from diaspora.places import service as places
from diaspora.places.models import Place


def register_commands(app: Flask) -> None:
    @app.cli.command("load-places")
    def load_places_command() -> None:
        """Load or refresh the gazetteer of Kyrgyzstan (safe to run again)."""
        counts = places.load_gazetteer()
        total = db.session.scalar(select(func.count(Place.id)))
        click.echo(f"Gazetteer: {counts['created']} created, {counts['updated']} updated, "
                   f"{total} places in all.")
        per_level = db.session.execute(
            select(Place.level, Place.kind, func.count()).group_by(Place.level, Place.kind)
            .order_by(Place.level, Place.kind)
        )
        click.echo("; ".join(f"level {level} {kind}: {n}" for level, kind, n in per_level))

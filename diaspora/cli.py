"""The `flask` commands that belong to no one feature: bootstrap, seed-demo and
images-renditions (the images of news and projects alike).

Each feature registers its own commands in its `init_app` (places: load-places; accounts:
create-admin; news: news-publish-due) and, when it has demo data, a demo-data hook here:

    register_demo_data(app, "news", seed_demo_news)

A hook takes the number of extra demo members asked for, adds its demo data once, and
returns a short line for the console (None: its data was already there). `seed-demo` runs
the hooks in the order of FEATURES, so a feature's demo data may use an earlier one's.

Demo data is refused in production: its accounts and passwords are published in the README.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click
from flask import Flask, current_app
from sqlalchemy import literal, select

from diaspora.extensions import db

DemoData = Callable[[int], "str | None"]
_REGISTRY_KEY = "mekendesh.demo_data"
# Tables `bootstrap` fills itself: rows there do not make a database "in use" (loading the
# gazetteer raises the content generation).
_BOOTSTRAP_TABLES = {"alembic_version", "places", "content_generations"}
DEMO_REFUSED = ("Demo data is refused in production (MEKENDESH_ENV=production): its accounts "
                "and passwords are published in the README.")


def register_demo_data(app: Flask, name: str, seed: DemoData) -> None:
    hooks: dict[str, DemoData] = app.extensions.setdefault(_REGISTRY_KEY, {})
    if name in hooks and hooks[name] is not seed:
        raise ValueError(f"demo data {name!r} is already registered")
    hooks[name] = seed


def demo_data_refused(app: Flask) -> bool:
    return app.config.get("ENV_NAME") == "production"


def seed_demo(members: int = 40) -> list[str]:
    """Run every feature's demo-data hook; what each one added."""
    if demo_data_refused(current_app):
        raise RuntimeError(DEMO_REFUSED)
    from diaspora.moderation import spam

    added = []
    with spam.suspended():  # demo members post several proposals in their first minute
        for seed in current_app.extensions.get(_REGISTRY_KEY, {}).values():
            line = seed(members)
            if line:
                added.append(line)
    return added


def database_is_new() -> bool:
    """No table holds a row apart from those `bootstrap` fills itself (the database, not a
    stamp file, remembers whether it was ever used)."""
    for table in db.metadata.sorted_tables:
        if table.name in _BOOTSTRAP_TABLES:
            continue
        if db.session.scalar(select(literal(1)).select_from(table).limit(1)) is not None:
            return False
    return True


def register_commands(app: Flask) -> None:
    @app.cli.command("bootstrap")
    @click.option("--announce", is_flag=True, help="Say where the site is served, and the bot.")
    def bootstrap_command(announce: bool) -> None:
        """Migrate the database, load the gazetteer, and add demo data the first time."""
        from flask_migrate import upgrade

        from diaspora.places.service import load_gazetteer

        upgrade()
        load_gazetteer()
        if demo_data_refused(app):
            click.echo(DEMO_REFUSED)
        elif database_is_new():
            seed_demo()
            click.echo("Demo accounts created (see README, \"Demo accounts\").")
        if announce:
            _say_how_to_start_the_bot(app)

    @app.cli.command("images-renditions")
    @click.option("--all", "everything", is_flag=True,
                  help="Every stored image, not only those without renditions.")
    def images_renditions_command(everything: bool) -> None:
        """Make the 480 and 960 px renditions of the images stored before they existed."""
        from diaspora.images import fill_renditions

        click.echo(f"{fill_renditions(everything=everything)} image(s) given renditions.")

    @app.cli.command("seed-demo")
    @click.option("--members", default=40, show_default=True, help="Extra demo members.")
    def seed_demo_command(members: int) -> None:
        """Create demo accounts for every role, once (does nothing when they exist)."""
        if demo_data_refused(app):
            raise click.ClickException(DEMO_REFUSED)
        added = seed_demo(members)
        if not added:
            click.echo("Demo data is already there; nothing to do.")
        else:
            click.echo(f"Demo data created: {'; '.join(added)}.")


def _host_port() -> str:
    return f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"


def _say_how_to_start_the_bot(app: Flask) -> None:
    if app.config.get("TELEGRAM_BOT_TOKEN"):
        click.echo("Telegram bot: run `make bot` in another terminal to start it.")
    else:
        click.echo(
            "Telegram bot: no TELEGRAM_BOT_TOKEN, so it runs here against a local Bot API "
            "(set the token and run `make bot` for the real Telegram)."
        )
    click.echo(f"Serving Mekendesh on http://{_host_port()}")

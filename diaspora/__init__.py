"""Mekendesh: the Flask application factory.

`create_app` reads as a list of `configure_*` steps; the features (diaspora/features.py) plug
themselves in through their package's `init_app(app)`, which registers their models,
blueprints, CLI commands, outbox message templates and housekeeping jobs.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import DEVELOPMENT_SECRET_KEY, INSTANCE_DIR, load_settings
from diaspora.main.security import configure_security

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Any = None, *, environ: Mapping[str, str] | None = None) -> Flask:
    """The application. Settings come from `environ` (default: the process environment)
    through `config.load_settings`; `config` (a mapping or an object) overrides single keys."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure_settings(app, config, environ)
    configure_security(app)  # before the features: their routes use its bounded int converter
    configure_logging(app)
    configure_database(app)
    configure_extensions(app)
    configure_page_cache(app)
    configure_i18n(app)
    configure_features(app)
    configure_templates(app)
    configure_assets(app)
    configure_errors(app)
    configure_cli(app)
    return app


def configure_settings(app: Flask, config: Any, environ: Mapping[str, str] | None) -> None:
    app.config.update(load_settings(environ))
    if isinstance(config, Mapping):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if app.config.get("ENV_NAME") == "production" and not app.testing:
        key = app.config.get("SECRET_KEY")
        if not key or key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "Refusing to start in production without a SECRET_KEY of your own "
                "(at least 32 random characters, e.g. from `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)."
            )


def configure_logging(app: Flask) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        # The site and the bot share one SQLite file: wait for a lock instead of failing.
        # "IMMEDIATE": a transaction takes the write lock at its first write, waiting for it
        # (sqlite3 still begins one only there: reads stay outside). With the default deferred
        # BEGIN, a write that meets another connection's fresh commit fails at once with
        # "database is locked" instead of waiting (the web and the bot share the file).
        options.setdefault("connect_args", {"timeout": 15, "check_same_thread": False,
                                            "isolation_level": "IMMEDIATE"})
        # A local file has no connection to lose: checking it on every checkout (a query per
        # bot step) buys nothing.
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def configure_extensions(app: Flask) -> None:
    from diaspora.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    from diaspora.accounts.sessions import load_user

    login_manager.user_loader(load_user)


def configure_page_cache(app: Flask) -> None:
    from diaspora.pagecache import configure_page_cache as configure

    configure(app)


def configure_i18n(app: Flask) -> None:
    from diaspora.extensions import babel
    from diaspora.i18n import install_template_gettext, select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    from diaspora.main.language import remember_language

    remember_language(app)


def configure_features(app: Flask) -> None:
    """Each feature of FEATURES registers itself: `diaspora.<name>.init_app(app)`."""
    from diaspora import features

    for name in features.FEATURES:
        module = importlib.import_module(f"diaspora.{name}")
        init_app = getattr(module, "init_app", None)
        if init_app is None:
            raise RuntimeError(f"feature {name!r}: diaspora/{name}/__init__.py lacks init_app")
        init_app(app)
    app.extensions["mekendesh.features"] = tuple(features.FEATURES)


def configure_templates(app: Flask) -> None:
    from diaspora.main.templating import register_template_helpers

    register_template_helpers(app)


def configure_assets(app: Flask) -> None:
    """Compressed answers and fingerprinted, long-cached static files (phones, poor links)."""
    from diaspora.main.assets import configure_assets as configure

    configure(app)


def configure_errors(app: Flask) -> None:
    from diaspora.main.errors import register_error_handlers

    register_error_handlers(app)


def configure_cli(app: Flask) -> None:
    """Commands that belong to no one feature (bootstrap, seed-demo)."""
    from diaspora.cli import register_commands

    register_commands(app)

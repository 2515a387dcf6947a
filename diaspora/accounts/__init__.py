"""Users, roles, diaspora profiles, consent and authentication."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from diaspora.accounts import models  # noqa: F401  (its tables, known to Alembic)
    from diaspora.accounts.cli import register_commands
    from diaspora.accounts.demo import seed_demo_accounts
    from diaspora.accounts.views import admin_bp, bp
    from diaspora.cli import register_demo_data

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    register_commands(app)
    register_demo_data(app, "accounts", seed_demo_accounts)

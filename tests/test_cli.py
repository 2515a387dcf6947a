"""Demo data (whose passwords the README publishes) never goes into a production database."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora import create_app
from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.accounts.models import User
from diaspora.extensions import db
from tests.conftest import make_test_config


def _production_app(database_url: str):
    return create_app(make_test_config(database_url, ENV_NAME="production", TESTING=False,
                                       SECRET_KEY="p" * 48))


def _demo_users(app) -> int:
    with app.app_context():
        emails = [email for email, *_ in DEMO_ACCOUNTS]
        count = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email.in_(emails)))
        db.session.remove()
        return count


def test_seed_demo_refuses_in_production(app, database_url) -> None:
    production = _production_app(database_url)
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "Demo data is refused in production" in result.output
    assert _demo_users(app) == 0


def test_bootstrap_in_production_migrates_and_loads_places_but_adds_no_demo_data(
        tmp_path) -> None:
    production = _production_app(f"sqlite:///{tmp_path}/prod.sqlite3")
    result = production.test_cli_runner().invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    assert "Demo data is refused in production" in result.output
    assert "Demo accounts created" not in result.output
    with production.app_context():
        from diaspora.places.models import Place

        assert db.session.scalar(sa.select(sa.func.count(Place.id))) > 0
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
        db.engine.dispose()


def test_bootstrap_in_development_still_adds_demo_data(tmp_path) -> None:
    development = create_app(make_test_config(f"sqlite:///{tmp_path}/dev.sqlite3"))
    result = development.test_cli_runner().invoke(args=["bootstrap"])
    assert result.exit_code == 0, result.output
    assert "Demo accounts created" in result.output
    assert _demo_users(development) == len(DEMO_ACCOUNTS)
    with development.app_context():
        db.engine.dispose()

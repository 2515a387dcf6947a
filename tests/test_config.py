"""Settings come from the environment; production refuses a default secret."""

from __future__ import annotations

import pytest

from config import DEVELOPMENT_SECRET_KEY
from diaspora import create_app
from tests.conftest import make_test_config


@pytest.mark.parametrize("key", [None, "", DEVELOPMENT_SECRET_KEY, "short"])
def test_production_refuses_default_or_missing_secret(database_url, key) -> None:
    config = make_test_config(database_url, ENV_NAME="production", TESTING=False, SECRET_KEY=key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_starts_with_a_real_secret(database_url) -> None:
    config = make_test_config(
        database_url, ENV_NAME="production", TESTING=False, SECRET_KEY="x" * 48
    )
    assert create_app(config).config["SECRET_KEY"] == "x" * 48


def test_database_url_from_environment(monkeypatch) -> None:
    import importlib

    import config as config_module

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/mekendesh")
    reloaded = importlib.reload(config_module)
    assert reloaded.Config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db.example/mekendesh"
    monkeypatch.delenv("DATABASE_URL")
    reloaded = importlib.reload(config_module)
    assert reloaded.Config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")

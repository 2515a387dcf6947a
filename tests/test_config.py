"""Settings come from one function over an environment mapping; production refuses a
default secret."""

from __future__ import annotations

import pytest

from config import DEVELOPMENT_SECRET_KEY, SettingError, load_settings
from diaspora import create_app
from tests.conftest import make_test_config


@pytest.mark.parametrize("key", [None, "", DEVELOPMENT_SECRET_KEY, "short"])
def test_production_refuses_default_or_missing_secret(database_url, key) -> None:
    config = make_test_config(database_url, ENV_NAME="production", TESTING=False, SECRET_KEY=key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_refuses_the_development_secret_from_the_environment(database_url) -> None:
    environ = {"MEKENDESH_ENV": "production", "DATABASE_URL": database_url}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(environ=environ)
    app = create_app(environ={**environ, "SECRET_KEY": "k" * 40})
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_starts_with_a_real_secret(database_url) -> None:
    config = make_test_config(
        database_url, ENV_NAME="production", TESTING=False, SECRET_KEY="x" * 48
    )
    assert create_app(config).config["SECRET_KEY"] == "x" * 48


def test_database_url_from_environment() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://u@db.example/mekendesh"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/mekendesh"
    settings = load_settings({"DATABASE_URL": "postgresql://u@db.example/m"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/m"
    assert load_settings({})["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_defaults_without_any_variable() -> None:
    settings = load_settings({})
    assert settings["ENV_NAME"] == "development"
    assert settings["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert settings["BABEL_DEFAULT_LOCALE"] == "ky"
    assert settings["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["TELEGRAM_RATE"] == 30.0
    assert settings["TELEGRAM_PAID_BROADCASTS"] is False
    assert settings["TELEGRAM_REDIS_URL"] == ""
    assert settings["DELIVERY_MAX_ATTEMPTS"] == 5
    assert settings["DELIVERY_CONCURRENCY"] is None
    assert settings["BOT_RUN_SENDER"] is None
    assert settings["PROXY_FIX_TRUSTED"] == 0


def test_typed_values_are_read() -> None:
    settings = load_settings({
        "PROXY_FIX_TRUSTED": "2", "TELEGRAM_RATE": "1000", "RATELIMIT_ENABLED": "off",
        "SESSION_COOKIE_SECURE": "yes", "DELIVERY_CONCURRENCY": "16", "BOT_RUN_SENDER": "0",
        "SITE_URL": "https://mekendesh.kg/", "MEKENDESH_ENV": "production",
    })
    assert settings["PROXY_FIX_TRUSTED"] == 2
    assert settings["TELEGRAM_RATE"] == 1000.0
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["SESSION_COOKIE_SECURE"] is settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["DELIVERY_CONCURRENCY"] == 16
    assert settings["BOT_RUN_SENDER"] is False
    assert settings["SITE_URL"] == "https://mekendesh.kg"


def test_production_cookies_are_secure_unless_turned_off() -> None:
    assert load_settings({"MEKENDESH_ENV": "production"})["SESSION_COOKIE_SECURE"] is True
    assert load_settings({"MEKENDESH_ENV": "production",
                          "SESSION_COOKIE_SECURE": "0"})["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(("name", "value", "complaint"), [
    ("PROXY_FIX_TRUSTED", "two", "not a whole number"),
    ("PROXY_FIX_TRUSTED", "-1", "at least 0"),
    ("MAX_CONTENT_LENGTH", "8MB", "not a whole number"),
    ("TELEGRAM_RATE", "fast", "not a number"),
    ("TELEGRAM_PAID_RATE", "5000", "at most 1000"),
    ("DELIVERY_LEASE_SECONDS", "nan", "not a finite number"),
    ("RATELIMIT_ENABLED", "maybe", "not a yes/no value"),
    ("DELIVERY_MAX_ATTEMPTS", "0", "at least 1"),
    ("MEKENDESH_ENV", "prod", "not one of development, testing, production"),
])
def test_a_bad_value_names_its_variable(name, value, complaint) -> None:
    with pytest.raises(SettingError, match=complaint) as error:
        load_settings({name: value})
    assert str(error.value).startswith(f"{name}={value!r}")


def test_production_is_production_whatever_its_case() -> None:
    """`MEKENDESH_ENV=Production` gets production's secure cookies, not development's."""
    settings = load_settings({"MEKENDESH_ENV": " Production "})
    assert settings["ENV_NAME"] == "production"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_create_app_reads_the_mapping_it_is_given(database_url) -> None:
    app = create_app({"TESTING": True}, environ={
        "DATABASE_URL": database_url, "PROXY_FIX_TRUSTED": "1", "DEFAULT_LOCALE": "ru",
    })
    assert app.config["PROXY_FIX_TRUSTED"] == 1
    assert app.config["BABEL_DEFAULT_LOCALE"] == "ru"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url

"""Settings, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# The key `make run` uses on a developer's machine. Production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused in production)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'mekendesh.sqlite3'}"
    # Heroku-style URLs name the driver "postgres"; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    ENV_NAME = os.environ.get("MEKENDESH_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "ky")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Asia/Bishkek")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Uploads and forms: anything larger is answered with 413.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 8 * 1024 * 1024))
    WTF_CSRF_TIME_LIMIT = None
    # Every message a form shows comes from our catalogs (WTForms ships no Kyrgyz).
    WTF_I18N_ENABLED = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "5 per hour;20 per day")

    # The public address of the site, used in links sent through Telegram.
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000").rstrip("/")

    TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    TELEGRAM_SEND_RATE = float(os.environ.get("TELEGRAM_SEND_RATE", "25"))

    # The bot process (README, "The Telegram bot").
    BOT_PERSISTENCE_INTERVAL = float(os.environ.get("BOT_PERSISTENCE_INTERVAL", "2"))
    BOT_CONCURRENT_UPDATES = int(os.environ.get("BOT_CONCURRENT_UPDATES", "64"))
    BOT_CONNECTION_POOL = int(os.environ.get("BOT_CONNECTION_POOL", "8"))
    # Unset: the bot runs an outbox sender in its own process (never in tests).
    BOT_RUN_SENDER = os.environ.get("BOT_RUN_SENDER")

    # The outbox sender (README, "News and broadcasts").
    DELIVERY_LEASE_SECONDS = float(os.environ.get("DELIVERY_LEASE_SECONDS", "60"))
    DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "5"))
    DELIVERY_RETRY_BASE_SECONDS = float(os.environ.get("DELIVERY_RETRY_BASE_SECONDS", "5"))
    # Requests in flight; unset: about rate / 10, between 8 and 64.
    DELIVERY_CONCURRENCY = int(os.environ["DELIVERY_CONCURRENCY"]) if os.environ.get(
        "DELIVERY_CONCURRENCY") else None
    DELIVERY_HTTP = os.environ.get("DELIVERY_HTTP", "httpx")  # or "stream", the lean client

    PRIVACY_NOTICE_VERSION = "2026-11"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)


def config_for_environment() -> type[Config]:
    return ProductionConfig if os.environ.get("MEKENDESH_ENV") == "production" else Config

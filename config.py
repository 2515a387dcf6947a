"""Settings, read from environment variables by one function (see README, "Configuration").

`load_settings(environ)` turns a mapping of environment variables into the dictionary the
app's `config` is built from. `create_app` calls it with `os.environ`; tests pass their own
mapping (or override single keys), so nothing needs reloading a module or patching the
process environment. A bad value fails at start-up with the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# The key `make run` uses on a developer's machine. Production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused in production)

PRIVACY_NOTICE_VERSION = "2026-11"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


ENVIRONMENTS = ("development", "testing", "production")


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot use."""


class _Reader:
    """Typed reads from one environment mapping; an empty value counts as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or not str(value).strip():
            return None
        return str(value).strip()

    def text(self, name: str, default: str) -> str:
        value = self.environ.get(name)
        return default if value is None else str(value)

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """One of `choices`, compared without case or surrounding blanks."""
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() not in choices:
            raise SettingError(f"{name}={value!r} is not one of {', '.join(choices)}.")
        return value.lower()

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise SettingError(f"{name}={value!r} is not a yes/no value (use 1/0, true/false, "
                           "yes/no or on/off).")

    def integer(self, name: str, default: int | None, *, minimum: int | None = None
                ) -> int | None:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingError(f"{name}={value!r} is not a whole number.") from None
        if minimum is not None and number < minimum:
            raise SettingError(f"{name}={value!r} must be at least {minimum}.")
        return number

    def number(self, name: str, default: float, *, minimum: float | None = None,
               maximum: float | None = None) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingError(f"{name}={value!r} is not a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise SettingError(f"{name}={value!r} is not a finite number.")
        if minimum is not None and number < minimum:
            raise SettingError(f"{name}={value!r} must be at least {minimum:g}.")
        if maximum is not None and number > maximum:
            raise SettingError(f"{name}={value!r} must be at most {maximum:g}.")
        return number


def database_url(value: str | None) -> str:
    """The SQLAlchemy URL for DATABASE_URL (unset: the SQLite file under instance/)."""
    if not value:
        return f"sqlite:///{INSTANCE_DIR / 'mekendesh.sqlite3'}"
    # Heroku-style URLs name the driver "postgres"; we use psycopg 3.
    if value.startswith("postgres://"):
        return "postgresql+psycopg://" + value[len("postgres://"):]
    if value.startswith("postgresql://"):
        return "postgresql+psycopg://" + value[len("postgresql://"):]
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting of the site, the bot and the sender, from `environ` (default:
    `os.environ`). Raises `SettingError` naming the variable when a value is malformed."""
    env = _Reader(os.environ if environ is None else environ)
    # A misspelt "Production" must not start a server with development cookies and keys.
    env_name = env.choice("MEKENDESH_ENV", "development", ENVIRONMENTS)
    production = env_name == "production"
    secure_cookies = env.boolean("SESSION_COOKIE_SECURE", production)
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": env.text("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(env.raw("DATABASE_URL")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},

        "BABEL_DEFAULT_LOCALE": env.text("DEFAULT_LOCALE", "ky"),
        "BABEL_DEFAULT_TIMEZONE": env.text("DEFAULT_TIMEZONE", "Asia/Bishkek"),
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),

        # Uploads and forms: anything larger is answered with 413.
        "MAX_CONTENT_LENGTH": env.integer("MAX_CONTENT_LENGTH", 8 * 1024 * 1024, minimum=1),
        # Members' reports: at this many open reports an item hides itself until a moderator
        # decides (moderation/queue_sources.py).
        "REPORTS_TO_HIDE": env.integer("REPORTS_TO_HIDE", 3, minimum=1),
        # A local authority's proof of position (an image or a PDF), kept in the database.
        "AUTHORITY_DOCUMENT_MAX_BYTES": env.integer("AUTHORITY_DOCUMENT_MAX_BYTES",
                                                    5 * 1024 * 1024, minimum=1),
        "WTF_CSRF_TIME_LIMIT": None,
        # Every message a form shows comes from our catalogs (WTForms ships no Kyrgyz).
        "WTF_I18N_ENABLED": False,

        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Reverse proxies in front of the site whose X-Forwarded-* headers are trusted
        # (Werkzeug's ProxyFix); 0 trusts none, so a client cannot fake its address.
        "PROXY_FIX_TRUSTED": env.integer("PROXY_FIX_TRUSTED", 0, minimum=0),

        "RATELIMIT_ENABLED": env.boolean("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": env.text("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.text("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "REGISTER_RATE_LIMIT": env.text("REGISTER_RATE_LIMIT", "5 per hour;20 per day"),
        "API_RATE_LIMIT": env.text("API_RATE_LIMIT", "60 per minute"),
        # How old the insights' precomputed tables may grow before housekeeping counts them
        # again (diaspora/insights; `flask insights-refresh` counts at once).
        "INSIGHTS_REFRESH_SECONDS": env.integer("INSIGHTS_REFRESH_SECONDS", 900, minimum=10),
        # Public parts of pages are drawn once and kept until the content changes, or this
        # many seconds at most (diaspora/pagecache.py); 0 draws every time.
        "FRAGMENT_MAX_AGE": env.integer("FRAGMENT_MAX_AGE", 60, minimum=0),
        # How often a process asks the database whether the content changed (seconds; a change
        # made in the same process is seen at once).
        "GENERATION_RECHECK_SECONDS": env.integer("GENERATION_RECHECK_SECONDS", 1, minimum=0),
        # Against spam (diaspora/moderation/spam.py; README, "Against spam"): what one member
        # may post in 24 hours (0: no limit), counted in RATELIMIT_STORAGE_URI; how old an
        # account must be to post links; how long the same text cannot be posted again.
        "SPAM_PROPOSALS_PER_DAY": env.integer("SPAM_PROPOSALS_PER_DAY", 3, minimum=0),
        "SPAM_COMMENTS_PER_DAY": env.integer("SPAM_COMMENTS_PER_DAY", 50, minimum=0),
        "SPAM_REPORTS_PER_DAY": env.integer("SPAM_REPORTS_PER_DAY", 20, minimum=0),
        "SPAM_NEW_ACCOUNT_HOURS": env.integer("SPAM_NEW_ACCOUNT_HOURS", 24, minimum=0),
        "SPAM_DUPLICATE_HOURS": env.integer("SPAM_DUPLICATE_HOURS", 24, minimum=0),

        # The public address of the site, used in links sent through Telegram.
        "SITE_URL": env.text("SITE_URL", "http://127.0.0.1:5000").rstrip("/"),

        "TELEGRAM_BOT_TOKEN": env.text("TELEGRAM_BOT_TOKEN", ""),
        # The bot's @username for "Open in Telegram" links (else asked of getMe).
        "TELEGRAM_BOT_USERNAME": env.text("TELEGRAM_BOT_USERNAME", ""),
        "TELEGRAM_API_URL": env.text("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        "TELEGRAM_WEBHOOK_SECRET": env.text("TELEGRAM_WEBHOOK_SECRET", ""),
        # One budget for the bot's replies and the outbox sender (bot/budget.py; README,
        # "Telegram's rate"): messages a second across all chats, replies first.
        "TELEGRAM_RATE": env.number("TELEGRAM_RATE", 30.0, minimum=0.1),
        # Paid broadcasts (off: they cost Telegram Stars): broadcast rows go out with
        # allow_paid_broadcast at up to TELEGRAM_PAID_RATE (at most 1000) a second.
        "TELEGRAM_PAID_BROADCASTS": env.boolean("TELEGRAM_PAID_BROADCASTS", False),
        "TELEGRAM_PAID_RATE": env.number("TELEGRAM_PAID_RATE", 1000.0, minimum=1,
                                         maximum=1000),
        # Set: every bot and sender process shares the budget through this Redis.
        "TELEGRAM_REDIS_URL": env.text("TELEGRAM_REDIS_URL", ""),
        # Unset: aiohttp follows HTTPS_PROXY / NO_PROXY from the environment.
        "TELEGRAM_PROXY": env.text("TELEGRAM_PROXY", ""),

        # The bot process (README, "The Telegram bot").
        "BOT_PERSISTENCE_INTERVAL": env.number("BOT_PERSISTENCE_INTERVAL", 2.0, minimum=0),
        "BOT_CONCURRENT_UPDATES": env.integer("BOT_CONCURRENT_UPDATES", 64, minimum=1),
        "BOT_CONNECTION_POOL": env.integer("BOT_CONNECTION_POOL", 8, minimum=1),
        # Unset: the bot runs an outbox sender in its own process (never in tests).
        "BOT_RUN_SENDER": (None if env.raw("BOT_RUN_SENDER") is None
                           else env.boolean("BOT_RUN_SENDER", True)),
        # The moderators' chat (README, "Moderating from Telegram"): how often the bot
        # looks for new queue entries (0: never), and how many it posts to a chat at a time
        # (Telegram lets a bot send about 20 messages a minute to a group).
        "MODERATION_CHAT_POLL_SECONDS": env.number("MODERATION_CHAT_POLL_SECONDS", 10.0,
                                                   minimum=0),
        "MODERATION_CHAT_BATCH": env.integer("MODERATION_CHAT_BATCH", 3, minimum=1),

        # The outbox sender (README, "News and broadcasts").
        "DELIVERY_LEASE_SECONDS": env.number("DELIVERY_LEASE_SECONDS", 60.0, minimum=1),
        "DELIVERY_MAX_ATTEMPTS": env.integer("DELIVERY_MAX_ATTEMPTS", 5, minimum=1),
        "DELIVERY_RETRY_BASE_SECONDS": env.number("DELIVERY_RETRY_BASE_SECONDS", 5.0, minimum=0),
        # Requests in flight; unset: about rate / 10, between 8 and 64.
        "DELIVERY_CONCURRENCY": env.integer("DELIVERY_CONCURRENCY", None, minimum=1),

        "PRIVACY_NOTICE_VERSION": PRIVACY_NOTICE_VERSION,
        # Where a sanctioned member appeals (an e-mail address, a @username, a web page),
        # named in every sanction's notice; unset: "write to the programme's moderators".
        "APPEAL_CONTACT": env.text("APPEAL_CONTACT", "").strip(),
    }

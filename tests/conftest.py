"""Test fixtures: one app per session on a migrated database, a clean database per test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. Each
test starts from the migrated schema plus the shipped gazetteer; rows a test wrote are
deleted afterwards (not rolled back, because the bot and the sender under test work from
their own threads and connections, as they do in production).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from diaspora import create_app
from diaspora.accounts.models import AuthorityPlace, Profile, User
from diaspora.accounts.permissions import TWO_FACTOR_SESSION_KEY
from diaspora.extensions import db, limiter
from diaspora.models import utcnow
from diaspora.places.models import Place

PASSWORD = "Correct-horse-42"
# Tables whose rows come from migrations and the gazetteer, kept between tests.
KEPT_TABLES = {"alembic_version", "places", "content_generations"}


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as exc:  # a required part is missing: fail, never skip
        raise RuntimeError(f"TEST_DATABASE_URL is set but PostgreSQL is down: {exc}") from exc
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


# The environment the tests' app reads (config.load_settings): empty, so a developer's own
# DATABASE_URL, MEKENDESH_ENV or SECRET_KEY never leaks into a test. Settings a test needs
# go into make_test_config's overrides, or into its own environ mapping.
TEST_ENVIRON: dict[str, str] = {}


def make_test_config(database_url: str, **overrides: object) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SITE_URL": "http://mekendesh.test",
        "TELEGRAM_BOT_TOKEN": "",
        # Several apps share a database in some tests (a served app, the bot's): each reads
        # the content generation on every request (tests/main/test_pagecache.py checks the
        # once-a-second reading itself).
        "GENERATION_RECHECK_SECONDS": 0,
    }
    config.update(overrides)
    return config


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block (needs an app context)."""
    seen: list[str] = []

    def remember(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh application context.

    Without it a request made while a test holds an app context (to call services) would
    reuse that context: the same `g` (Flask-Login's cached user) and the same database
    session for every request, which no real browser ever gets.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from diaspora.places.service import load_gazetteer

    app = create_app(make_test_config(database_url), environ=TEST_ENVIRON)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        load_gazetteer()
    yield app
    with app.app_context():
        db.engine.dispose()


def _clean_database(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        existing = set(sa.inspect(db.engine).get_table_names())
        tables = [t for t in reversed(db.metadata.sorted_tables)
                  if t.name in existing and t.name not in KEPT_TABLES]
        from diaspora.moderation import guard

        # The audit log refuses DELETE (moderation/guard.py): lifted for this transaction only.
        with db.engine.begin() as conn, guard.suspended(conn):
            for table in tables:
                if table.name == "users":
                    # Communities moderators added in a test go; the gazetteer stays.
                    conn.execute(sa.delete(Place.__table__).where(Place.added_by_id.is_not(None)))
                conn.execute(table.delete())
        db.session.remove()


@pytest.fixture(autouse=True)
def _clean_db_after_test(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        _clean_database(app)
        # Insights counted before any were stored are kept in the app for a while; the next
        # test's data is another world.
        with app.app_context():
            from diaspora.insights.service import forget_unstored
            from diaspora.pagecache import forget_all

            forget_unstored()
            forget_all(app)


@pytest.fixture(autouse=True)
def _rate_limits_as_they_were() -> Iterator[None]:
    """Flask-Limiter has one limiter object; an app a test builds with limits on switches it
    on for every later test too. Put it back."""
    enabled = limiter.enabled
    yield
    limiter.enabled = enabled


@pytest.fixture(autouse=True)
def _spam_counts_forgotten(request: pytest.FixtureRequest) -> Iterator[None]:
    """The daily counts against spam (moderation/spam.py) live beside the database, in the
    session's one app: emptied with it, since user ids come back in the next test."""
    yield
    if "app" in request.fixturenames:
        from diaspora.moderation import spam

        with request.getfixturevalue("app").app_context():
            spam.reset()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def place_by_code(code: str) -> Place:
    place = db.session.scalar(sa.select(Place).where(Place.code == code))
    assert place is not None, code
    return place


@pytest.fixture
def here(ctx: None) -> Place:
    """A district: the place the 'authority of this place' speaks for."""
    return db.session.scalar(
        sa.select(Place).where(Place.level == 2, Place.region_id == place_by_code("KG-N").id)
        .order_by(Place.code).limit(1)
    )


@pytest.fixture
def elsewhere(ctx: None) -> Place:
    return db.session.scalar(
        sa.select(Place).where(Place.level == 2, Place.region_id == place_by_code("KG-O").id)
        .order_by(Place.code).limit(1)
    )


_emails = count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_user(ctx: None) -> Callable[..., User]:
    def factory(role: str = "member", *, email: str | None = None, places: tuple = (),
                verified: bool = True, locale: str = "en", home: Place | None = None,
                country: str | None = "RU", password: str = PASSWORD,
                telegram_chat_id: int | None = None) -> User:
        user = User(email=email or f"user{next(_emails)}@example.org", role=role, locale=locale,
                    telegram_chat_id=telegram_chat_id)
        if password == PASSWORD:
            user.password_hash = _password_hash()  # scrypt is slow on purpose: hash once
        else:
            user.set_password(password)
        user.privacy_version, user.privacy_accepted_at = "2026-11", utcnow()
        user.profile = Profile(country_code=country, home_place_id=home.id if home else None)
        for place in places:
            user.authority_places.append(AuthorityPlace(
                place_id=place.id, organisation="Test aiyl okmotu",
                verified_at=utcnow() if verified else None))
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def users(make_user: Callable[..., User], here: Place, elsewhere: Place) -> dict[str, User | None]:
    """One user per role the permission tests walk through."""
    return {
        "anonymous": None,
        "member": make_user("member", home=here),
        "authority_here": make_user("authority", places=(here,)),
        "authority_elsewhere": make_user("authority", places=(elsewhere,)),
        "moderator": make_user("moderator"),
        "admin": make_user("admin"),
    }


def login(client: FlaskClient, user: User | None, *, two_factor: bool = True) -> FlaskClient:
    """Log a test client in as `user` (None: stay anonymous), as Flask-Login would.

    `two_factor`: the session passed the staff's second sign-in step, as
    sessions.mark_two_factor leaves it (tests/accounts/test_totp.py goes through the real
    step; other tests act as staff who did)."""
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()  # "<id>:<session version>"
            session["_fresh"] = True
            if two_factor:
                session[TWO_FACTOR_SESSION_KEY] = user.get_id()
    return client

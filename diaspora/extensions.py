"""Extension instances, created unbound and wired by the app factory."""

from __future__ import annotations

from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def core_read(statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a Core SELECT of plain columns (no entities) on the session's connection.

    `db.session.execute` sends even such a statement through the ORM's execution path, which
    cost about 120 µs of CPU more than the read itself on the bot's hot checks (one ahead of
    every update). Same transaction and connection as the session; pending changes are
    flushed first, as session.execute's autoflush would."""
    db.session.flush()
    return db.session.connection().execute(statement, params or {})

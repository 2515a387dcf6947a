"""The audit log is append-only, enforced by the database itself.

Triggers refuse every UPDATE and DELETE on `audit_log` (and TRUNCATE on PostgreSQL), whoever
sends it: the application, a script on the server, a `flask shell`. The application never
needs to change a row:

* erasing a member's personal data anonymises the `users` row the log points to (no name,
  e-mail or chat left); the log itself holds ids and states, not personal details;
* an account named as the actor of a row is never deleted (folding a bot-only account into
  a web one anonymises it instead, accounts.telegram._merge_into), so the foreign key's
  ON DELETE SET NULL never has to rewrite a row. Should code ever try, the trigger refuses
  it and the whole transaction rolls back.

The migration that installs the triggers calls `install`; `suspended` lifts them for the
length of one transaction, for the test suite's clean-up between tests (and for a DBA who
must apply a court-ordered erasure by hand). Nothing in the application calls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

TABLE = "audit_log"
FUNCTION = "audit_log_refuse_change"
ROW_TRIGGER = "audit_log_append_only"
TRUNCATE_TRIGGER = "audit_log_no_truncate"
SQLITE_TRIGGERS = {
    "audit_log_no_update": "UPDATE",
    "audit_log_no_delete": "DELETE",
}
MESSAGE = "audit_log is append-only"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _pg_statements() -> list[str]:
    return [
        _PG_FUNCTION,
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    ]


def _sqlite_statements() -> list[str]:
    return [
        f"CREATE TRIGGER {name} BEFORE {operation} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {operation} refused'); END"
        for name, operation in SQLITE_TRIGGERS.items()
    ]


def install(conn: sa.Connection) -> None:
    """Create the triggers (PostgreSQL or SQLite; other databases are not supported)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        statements = _pg_statements()
    elif dialect == "sqlite":
        statements = _sqlite_statements()
    else:  # pragma: no cover - the project runs on these two only
        raise RuntimeError(f"no audit log guard for {dialect}")
    for statement in statements:
        conn.execute(sa.text(statement))


def remove(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {TABLE}"))
        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE}"))
        conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {FUNCTION}()"))
    else:
        for name in SQLITE_TRIGGERS:
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))


def installed(conn: sa.Connection) -> bool:
    if conn.dialect.name == "postgresql":
        count = conn.scalar(sa.text(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass) "
            "AND tgname IN (:row, :truncate) AND tgenabled <> 'D'"
        ), {"table": TABLE, "row": ROW_TRIGGER, "truncate": TRUNCATE_TRIGGER})
        return count == 2
    count = conn.scalar(sa.text(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
        " AND name IN ('audit_log_no_update', 'audit_log_no_delete')"
    ), {"table": TABLE})
    return count == len(SQLITE_TRIGGERS)


@contextmanager
def suspended(conn: sa.Connection) -> Iterator[None]:
    """Lift the guard inside the caller's transaction on `conn`, put it back before it
    commits. On both databases the change is transactional: if anything fails the guard was
    never lifted for anyone else (PostgreSQL also holds the table locked meanwhile)."""
    if not installed(conn):
        yield
        return
    if conn.dialect.name == "postgresql":
        for trigger in (ROW_TRIGGER, TRUNCATE_TRIGGER):
            conn.execute(sa.text(f"ALTER TABLE {TABLE} DISABLE TRIGGER {trigger}"))
        yield
        for trigger in (ROW_TRIGGER, TRUNCATE_TRIGGER):
            conn.execute(sa.text(f"ALTER TABLE {TABLE} ENABLE TRIGGER {trigger}"))
    else:
        remove(conn)
        yield
        for statement in _sqlite_statements():
            conn.execute(sa.text(statement))

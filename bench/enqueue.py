"""Enqueue benchmark: one broadcast to N members, the outbox's `INSERT ... SELECT`, timed.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/enqueue.py --members 1000000 --runs 3

The database named by DATABASE_URL is WIPED the first time (schema from the models, then
N members, as bench/broadcast.py does); later runs reuse the members and recreate only the
outbox and broadcasts tables from the models of the tree the script lives in, so two trees
(before/after a change) can be compared on the same members, one after the other.
Prints each run's seconds and the outbox's size with its indexes, and with --explain the
plan with per-trigger times (foreign key checks show there).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.broadcast import prepare  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.delivery import service as delivery  # noqa: E402
from diaspora.delivery.models import Broadcast, OutboxMessage  # noqa: E402
from diaspora.extensions import db  # noqa: E402

PARAMS = {"title": {"ky": "Жаңылык", "ru": "Новость", "en": "News"},
          "summary": {"ky": "Кыска маалымат", "ru": "Коротко", "en": "In short"},
          "url": "/news/1"}


def members_ready(app, members: int) -> bool:  # noqa: ANN001
    with app.app_context():
        try:
            count = db.session.scalar(sa.text("SELECT count(*) FROM users"))
        except sa.exc.ProgrammingError:
            db.session.rollback()
            return False
        return count == members


def fresh_outbox(app) -> None:  # noqa: ANN001
    """Drop and recreate the outbox (and broadcasts) from this tree's models."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS outbox CASCADE"))
            conn.execute(sa.text("DROP TABLE IF EXISTS broadcasts CASCADE"))
        Broadcast.__table__.create(engine)
        OutboxMessage.__table__.create(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE users"))
            conn.execute(sa.text("VACUUM ANALYZE profiles"))
            conn.execute(sa.text("CHECKPOINT"))


def enqueue_once(app) -> tuple[float, int]:  # noqa: ANN001
    with app.app_context():
        started = time.monotonic()
        broadcast = delivery.enqueue_broadcast(None, subject="bench", template="news",
                                               params=PARAMS)
        db.session.commit()
        return time.monotonic() - started, broadcast.total


def outbox_size(app) -> str:  # noqa: ANN001
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT pg_size_pretty(pg_relation_size('outbox')), "
            "pg_size_pretty(pg_indexes_size('outbox')), "
            "(SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes "
            " WHERE tablename = 'outbox')")).one()
        return f"table {rows[0]}, indexes {rows[1]} ({rows[2]})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of one more run with trigger times")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    if not members_ready(app, args.members):
        print(f"generate {args.members:,} members: {prepare(app, args.members):.1f} s")
    times = []
    for run in range(args.runs):
        fresh_outbox(app)
        seconds, total = enqueue_once(app)
        times.append(seconds)
        print(f"run {run + 1}: {total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")
    if times:
        print(f"enqueue {args.members:,}: median {statistics.median(times):.1f} s "
              f"(runs: {', '.join(f'{t:.1f}' for t in times)}); {outbox_size(app)}; "
              f"tree {ROOT}")
    if args.explain:
        fresh_outbox(app)
        for line in explain(app):
            print(line)


def explain(app) -> list[str]:  # noqa: ANN001
    """EXPLAIN ANALYZE of the enqueue's INSERT ... SELECT, in a transaction rolled back."""
    lines: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202, PLR0913
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            statement = "EXPLAIN (ANALYZE, BUFFERS) " + statement
        return statement, parameters

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202, PLR0913
        if statement.startswith("EXPLAIN"):
            lines.extend(row[0] for row in cursor.fetchall())

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before, retval=True)
        sa.event.listen(db.engine, "after_cursor_execute", after)
        try:
            delivery.enqueue_broadcast(None, subject="bench", template="news", params=PARAMS)
        except Exception:  # noqa: BLE001, S110  (the count after EXPLAIN may fail: plan kept)
            pass
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)
            sa.event.remove(db.engine, "after_cursor_execute", after)
            db.session.rollback()
    return lines


if __name__ == "__main__":
    main()

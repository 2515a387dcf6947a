"""Notification benchmark: a project with N supporters changes status; its transition writes
N site notifications and N outbox messages (notifications.notify_all, set-based), timed.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/notify_supporters.py --supporters 10000 --runs 3
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/notify_supporters.py

The database named by DATABASE_URL is WIPED (schema from the models). Prints each run's
seconds for the whole transition (its commit included) and the statements it sent.
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

from diaspora import create_app  # noqa: E402
from diaspora.accounts.models import AuthorityPlace, User  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import utcnow  # noqa: E402
from diaspora.notifications.models import Notification  # noqa: E402
from diaspora.places.models import Place  # noqa: E402
from diaspora.projects import service as projects  # noqa: E402
from diaspora.projects.models import ProjectSupport  # noqa: E402


def prepare(app, supporters: int) -> tuple[int, int, int]:  # noqa: ANN001
    """A fresh schema, a district, its authority, a proposer, a moderator, N supporters
    reachable in Telegram; a published project they all support."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        now = utcnow()
        region = Place(code="KG-N", kind="region", level=1, name={"en": "Naryn"})
        db.session.add(region)
        db.session.flush()
        district = Place(code="KG-N-x", kind="district", level=2, name={"en": "X"},
                         parent_id=region.id, region_id=region.id)
        db.session.add(district)
        people = {role: User(role=role, locale="en", privacy_version="2026-11",
                             privacy_accepted_at=now) for role in ("member", "moderator",
                                                                   "authority")}
        db.session.add_all(people.values())
        db.session.flush()
        db.session.add(AuthorityPlace(user_id=people["authority"].id, place_id=district.id,
                                      verified_at=now))
        db.session.execute(sa.insert(User), [
            {"role": "member", "locale": ("ky", "ru", "en")[i % 3],
             "telegram_chat_id": 1_000_000_000 + i, "privacy_version": "2026-11",
             "privacy_accepted_at": now, "active": True, "created_at": now}
            for i in range(supporters)])
        db.session.commit()
        project = projects.save_project(people["member"], projects.ProjectDraft(
            place_id=district.id, title="Clean water", summary="A pump"))
        projects.transition(people["member"], project, "submit")
        projects.transition(people["moderator"], project, "publish")
        db.session.execute(sa.insert(ProjectSupport).from_select(
            ["project_id", "user_id", "volunteering", "equipment", "show_name", "created_at"],
            sa.select(sa.literal(project.id), User.id, sa.false(), sa.false(), sa.false(),
                      sa.literal(now, ProjectSupport.created_at.type))
            .where(User.telegram_chat_id.is_not(None))))
        db.session.commit()
        return project.id, people["authority"].id, people["moderator"].id


def run_once(app, project_id: int, authority_id: int, moderator_id: int  # noqa: ANN001
             ) -> tuple[float, int, int]:
    with app.app_context():
        project = projects.get_project(project_id)
        authority = db.session.get(User, authority_id)
        moderator = db.session.get(User, moderator_id)
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.monotonic()
        if project.status == "published":
            projects.transition(authority, project, "accept")
        else:  # back and forth between runs: archive is open to a moderator from any state
            projects.transition(moderator, project, "archive")
        seconds = time.monotonic() - started
        sa.event.remove(db.engine, "before_cursor_execute", count)
        written = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                    .where(Notification.kind == "project.status"))
        return seconds, len(statements), written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--supporters", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("Set DATABASE_URL to a database that may be wiped.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    times = []
    for run in range(args.runs):
        ids = prepare(app, args.supporters)
        seconds, statements, written = run_once(app, *ids)
        times.append(seconds)
        print(f"run {run + 1}: {written:,} supporters notified in {seconds:.2f} s "
              f"({statements} statements)")
    print(f"{args.supporters:,} supporters: median {statistics.median(times):.2f} s "
          f"({database_url.split(':')[0]})")


if __name__ == "__main__":
    main()

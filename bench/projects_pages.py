"""Project pages benchmark: server time and SQL queries of the project pages on PostgreSQL.

    psql -h 127.0.0.1 -U postgres -c 'create database bench_projects'
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_projects \\
        .venv/bin/python bench/projects_pages.py

The database named by DATABASE_URL is WIPED (schema dropped, then migrated to head, the
gazetteer loaded). At each size of --sizes (fractions of the full size: 100,000 projects,
1,000,000 members, 3,000,000 supports; default "0.1,1") it generates the data set-based
(INSERT ... SELECT over generate_series, timed), VACUUM ANALYZEs, then requests each page
through the Flask test client in this process (--warmup requests, then --requests timed):
server time median and p95, the SQL queries of one request (a SQLAlchemy
`before_cursor_execute` listener), and this process's CPU time a request (the Python share:
Flask, SQLAlchemy, Jinja; the rest of the time is PostgreSQL). The last table puts the query
counts of every size side by side: they must not change with the size.

A quick run: `--sizes 0.01` (1,000 projects; seconds). `--reuse` measures the data already
there when its project count matches (one size), without wiping or generating.

Supports are skewed as on a real site: a few projects have thousands of supporters (the
busiest about 9,500 at full size), most a few dozen. Members are not ORM objects: rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diaspora import create_app  # noqa: E402
from diaspora.accounts.permissions import TWO_FACTOR_SESSION_KEY  # noqa: E402
from diaspora.extensions import db  # noqa: E402

FULL = {"projects": 100_000, "members": 1_000_000, "supports": 3_000_000}
# Title and summary words in the three languages; a few are in every tenth project, some in
# one project in a thousand, so a search finds many or few rows.
TITLES = ("Мектепке жаңы чатыр", "Таза суу түтүгү", "Көпүрө куруу", "Балдар бакчасы",
          "Чистая вода для школы", "Ремонт дороги", "Новый спортзал", "A new clinic roof",
          "Solar panels for the school", "Irrigation canal", "Айыл китепканасы",
          "Жашылча сактоочу жай")
SUMMARIES = ("Айылдын мектеби үчүн", "Водопровод в селе", "Health post for the village",
             "Жаштар үчүн спорт аянтчасы", "Мост через реку", "Courses for young farmers")
RARE = ("Өрүк бакчасы", "Теплица для роз", "Beekeeping cooperative")
SECTORS = ("agriculture", "education", "health", "water", "roads", "tourism",
           "green_energy", "it", "crafts", "culture_sport")
# Of every 100 projects: the lifecycle state by the project's number modulo 100.
STATES = ((5, "draft"), (8, "submitted"), (10, "returned"), (12, "rejected"),
          (40, "published"), (50, "under_review"), (65, "accepted"), (70, "declined"),
          (85, "in_progress"), (95, "completed"), (98, "withdrawn"), (100, "archived"))
ANSWERED = ("under_review", "accepted", "declined", "in_progress", "completed")


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def wipe_and_migrate(app) -> None:  # noqa: ANN001
    from flask_migrate import upgrade

    from diaspora.places.service import load_gazetteer

    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        load_gazetteer()
        db.session.commit()


def generate(app, projects: int, members: int, supports: int) -> dict[str, float]:  # noqa: ANN001
    """Members, projects (with events and budget lines) and supports, set-based. Returns
    seconds by step."""
    state_case = "CASE " + " ".join(f"WHEN i % 100 < {bound} THEN '{state}'"
                                    for bound, state in STATES) + " END"
    seconds: dict[str, float] = {}
    with app.app_context(), db.engine.begin() as conn:
        started = time.monotonic()
        conn.execute(sa.text(
            "INSERT INTO users (role, locale, active, broadcasts_paused, privacy_version, "
            "privacy_accepted_at, created_at) "
            "SELECT 'member', (ARRAY['ky','ru','en'])[1 + i % 3], true, false, '2026-11', "
            "now(), now() FROM generate_series(1, :n) AS i"), {"n": members})
        conn.execute(sa.text(
            "INSERT INTO profiles (user_id, country_code, skills, wants_to_invest, "
            "wants_to_volunteer, interest_sectors, notify_news, notify_surveys, "
            "notify_projects, notify_by_email, updated_at, display_name) SELECT id, "
            "(ARRAY['RU','KZ','TR','KR'])[1 + id % 4], '[]', false, false, '[]', true, "
            "true, true, false, now(), CASE WHEN id % 3 = 0 THEN 'Мекендеш ' || id END "
            "FROM users"))
        seconds["members"] = time.monotonic() - started

        started = time.monotonic()
        # The state and times first, in a scratch table; then the projects from it.
        conn.execute(sa.text(
            "CREATE TEMPORARY TABLE gen ON COMMIT DROP AS SELECT i, " + state_case + " AS status, "
            "now() - make_interval(secs => (:p - i) * 900.0 + (i * 37) % 900) AS published, "
            "(i * 7919) % (60 * 86400) AS answer FROM generate_series(1, :p) AS i"),
            {"p": projects})
        conn.execute(sa.text(
            "CREATE TEMPORARY TABLE gen_places ON COMMIT DROP AS "
            "SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, region_id, district_id "
            "FROM places WHERE level = 3"))
        titles, summaries, rare = _array(TITLES), _array(SUMMARIES), _array(RARE)
        answered = "(" + ", ".join(f"'{state}'" for state in ANSWERED) + ")"
        conn.execute(sa.text(
            "INSERT INTO projects (place_id, region_id, district_id, proposer_id, origin, "
            "language, title, summary, description, description_html, search_text, sector, "
            "budget_som, contributions, status, supporters, submitted_at, published_at, "
            "answered_at, answer_seconds, created_at, updated_at) "
            "SELECT pl.id, pl.region_id, pl.district_id, 1 + (g.i * 7919) % :m, "
            "CASE WHEN g.i % 20 = 0 THEN 'authority' ELSE 'member' END, "
            "(ARRAY['ky','ru','en'])[1 + g.i % 3], t.title || ' ' || g.i, t.summary, "
            "'Толук сүрөттөмө', '<p>Толук сүрөттөмө</p>', "
            "lower(t.title || ' ' || g.i || ' ' || t.summary), "
            "(CAST(:sectors AS text[]))[1 + g.i % 10], 10000 * (1 + g.i % 500), '[]', "
            "g.status, 0, g.published - interval '2 days', "
            "CASE WHEN g.status NOT IN ('draft', 'submitted', 'returned', 'rejected') "
            "     THEN g.published END, "
            "CASE WHEN g.status IN " + answered + " AND g.i % 20 <> 0 "
            "     THEN g.published + make_interval(secs => g.answer) END, "
            "CASE WHEN g.status IN " + answered + " AND g.i % 20 <> 0 THEN g.answer END, "
            "g.published - interval '3 days', g.published "
            "FROM gen g JOIN gen_places pl ON pl.n = g.i % (SELECT count(*) FROM gen_places) "
            "CROSS JOIN LATERAL (SELECT CASE WHEN g.i % 1000 = 17 "
            "  THEN (" + rare + ")[1 + g.i / 1000 % 3] "
            "  ELSE (" + titles + ")[1 + (g.i / 7) % 12] END AS title, "
            "  (" + summaries + ")[1 + (g.i / 3) % 6] AS summary) t "
            "ORDER BY g.i"), {"m": members, "sectors": "{" + ",".join(SECTORS) + "}"})
        conn.execute(sa.text(
            "INSERT INTO project_events (project_id, actor_id, action, from_status, "
            "to_status, created_at) SELECT id, proposer_id, 'submit', 'draft', 'submitted', "
            "submitted_at FROM projects WHERE submitted_at IS NOT NULL "
            "UNION ALL SELECT id, NULL, 'publish', 'submitted', 'published', published_at "
            "FROM projects WHERE published_at IS NOT NULL"))
        conn.execute(sa.text(
            "INSERT INTO project_budget_items (project_id, position, label, amount_som) "
            "SELECT id, n, (ARRAY['Материалдар', 'Жумуш'])[n + 1], 50000 * (n + 1) "
            "FROM projects CROSS JOIN generate_series(0, 1) AS n WHERE id % 4 = 0"))
        seconds["projects"] = time.monotonic() - started

        started = time.monotonic()
        # Support i goes to the k-th project, k = P * (i/S)^2 (skewed: low k many), spread
        # over ids by a permutation; its member, i * 104729 mod M, differs within one project
        # (the i of one project are consecutive and fewer than M).
        conn.execute(sa.text(
            "INSERT INTO project_supports (project_id, user_id, money_range, skills, "
            "volunteering, equipment, show_name, created_at) "
            "SELECT 1 + (floor(:p * power(i / CAST(:s AS float8), 2))::bigint * 7919) % :p, "
            "1 + (i::bigint * 104729) % :m, "
            "(ARRAY['under_10k', '10k_50k', '50k_200k', 'over_200k', NULL])[1 + i % 5], "
            "CASE WHEN i % 7 = 0 THEN 'бухгалтерия' END, i % 3 = 0, i % 11 = 0, i % 4 = 0, "
            "now() - make_interval(secs => i % 10000000) FROM generate_series(0, :s - 1) AS i"),
            {"p": projects, "s": supports, "m": members})
        conn.execute(sa.text(
            "UPDATE projects SET supporters = c.n FROM (SELECT project_id, count(*) AS n "
            "FROM project_supports GROUP BY project_id) AS c WHERE c.project_id = projects.id"))
        seconds["supports"] = time.monotonic() - started
    started = time.monotonic()
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    seconds["vacuum analyze"] = time.monotonic() - started
    return seconds


def existing_projects(app) -> int:  # noqa: ANN001
    with app.app_context():
        try:
            return db.session.scalar(sa.text("SELECT count(*) FROM projects")) or 0
        except sa.exc.ProgrammingError:
            db.session.rollback()
            return 0


def staff(app) -> tuple[str, str, int]:  # noqa: ANN001
    """A moderator and the verified authority of the district with the most proposals
    waiting; their session ids, and that district."""
    with app.app_context():
        district_id = db.session.scalar(sa.text(
            "SELECT district_id FROM projects WHERE status IN ('published', 'under_review') "
            "GROUP BY district_id ORDER BY count(*) DESC LIMIT 1"))
        ids = []
        for role in ("moderator", "authority"):
            ids.append(db.session.scalar(sa.text(
                "INSERT INTO users (role, locale, active, broadcasts_paused, privacy_version, "
                "privacy_accepted_at, created_at) VALUES (:role, 'ky', true, false, "
                "'2026-11', now(), now()) RETURNING id"), {"role": role}))
        db.session.execute(sa.text(
            "INSERT INTO authority_places (user_id, place_id, organisation, requested_at, "
            "verified_at) VALUES (:u, :p, 'Айыл өкмөтү', now(), now())"),
            {"u": ids[1], "p": district_id})
        db.session.commit()
        from diaspora.accounts.models import User

        return (db.session.get(User, ids[0]).get_id(), db.session.get(User, ids[1]).get_id(),
                district_id)


def pages(app) -> list[tuple[str, str | None, str]]:  # noqa: ANN001
    """(name, who: None | 'moderator' | 'authority', url) for each page measured."""
    with app.app_context():
        q = db.session.scalar
        region = q(sa.text("SELECT region_id FROM projects GROUP BY region_id "
                           "ORDER BY count(*) DESC LIMIT 1"))
        busiest = q(sa.text("SELECT id FROM projects WHERE status IN ('published', "
                            "'under_review', 'accepted', 'in_progress', 'completed') "
                            "ORDER BY supporters DESC LIMIT 1"))
        typical = q(sa.text("SELECT id FROM projects WHERE status = 'accepted' "
                            "ORDER BY abs(supporters - 30), id LIMIT 1"))
        district = q(sa.text("SELECT district_id FROM projects GROUP BY district_id "
                             "ORDER BY count(*) DESC LIMIT 1"))
        # Page 500, or the last page of a smaller data set (past the end is another case).
        public = q(sa.text("SELECT count(*) FROM projects WHERE status IN ('published', "
                           "'under_review', 'accepted', 'declined', 'in_progress', "
                           "'completed')"))
        deep = min(500, max(1, -(-public // 20)))
    return [
        ("list, first page", None, "/projects/?lang=ky"),
        ("list, region + sector + status", None,
         f"/projects/?lang=ky&region={region}&sector=education&status=published"),
        ("list, page 500 (or the last)", None, f"/projects/?lang=ky&page={deep}"),
        ("list, most supported", None, "/projects/?lang=ky&sort=supported"),
        ("list, waiting longest", None, "/projects/?lang=ky&sort=waiting"),
        ("search, common word (мектеп)", None, "/projects/?lang=ky&q=" + quote("мектеп")),
        ("search, rare word (теплица)", None, "/projects/?lang=ky&q=" + quote("теплица")),
        ("search, two words + region", None,
         f"/projects/?lang=ky&q=clinic+village&region={region}"),
        ("project, busiest (most supporters)", None, f"/projects/{busiest}?lang=ky"),
        ("project, typical", None, f"/projects/{typical}?lang=ky"),
        ("place: region, answer stats", None, f"/projects/place/{region}?lang=ky"),
        ("place: district, answer stats", None, f"/projects/place/{district}?lang=ky"),
        ("queue, district authority", "authority", "/projects/queue?lang=ky"),
        ("queue, moderator (every place)", "moderator", "/projects/queue?lang=ky"),
    ]


def measure(app, warmup: int, requests: int) -> list[dict]:  # noqa: ANN001
    moderator, authority, _district = staff(app)
    sessions = {"moderator": moderator, "authority": authority}
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    results = []
    for name, who, url in pages(app):
        client = app.test_client()
        if who is not None:
            with client.session_transaction() as session:
                session["_user_id"] = sessions[who]
                session["_fresh"] = True
                # Staff passed the second sign-in step (accounts/two_factor.py).
                session[TWO_FACTOR_SESSION_KEY] = sessions[who]
        for _ in range(warmup):
            assert client.get(url).status_code == 200, url
        times, cpu = [], 0.0
        for _ in range(requests):
            cpu_started, started = time.process_time(), time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu += time.process_time() - cpu_started
            assert response.status_code == 200, url
        sa.event.listen(engine, "before_cursor_execute", remember)
        try:
            statements.clear()
            client.get(url)
        finally:
            sa.event.remove(engine, "before_cursor_execute", remember)
        times.sort()
        results.append({"name": name, "median": 1000 * statistics.median(times),
                        "p95": 1000 * times[max(0, int(len(times) * 0.95) - 1)],
                        "queries": len(statements), "cpu": 1000 * cpu / requests})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.1,1",
                        help="fractions of the full size to run at, in order (default 0.1,1)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the data already there when its project count matches "
                             "the size (no wipe, no generation)")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench-" + "x" * 40})
    by_size = []
    for fraction in (float(f) for f in args.sizes.split(",")):
        size = {key: max(1, int(full * fraction)) for key, full in FULL.items()}
        print(f"\n== {size['projects']:,} projects, {size['members']:,} members, "
              f"{size['supports']:,} supports (load average {os.getloadavg()[0]:.1f})")
        if args.reuse and existing_projects(app) == size["projects"]:
            print("reusing the data already there")
        else:
            wipe_and_migrate(app)
            steps = generate(app, **size)
            print("generated in " + ", ".join(f"{step} {s:.1f} s" for step, s in steps.items())
                  + f"; total {sum(steps.values()):.1f} s")
        with app.app_context():
            counted = db.session.execute(sa.text(
                "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM users), "
                "(SELECT count(*) FROM project_supports), "
                "(SELECT max(supporters) FROM projects)")).one()
        print(f"rows: {counted[0]:,} projects, {counted[1]:,} users, {counted[2]:,} supports "
              f"(the busiest project {counted[3]:,})")
        load = os.getloadavg()[0]
        results = measure(app, args.warmup, args.requests)
        print(f"{args.requests} requests a page after {args.warmup} warm-up, Flask test client "
              f"in-process; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
        print(f"{'page':40} {'median':>8} {'p95':>8} {'queries':>8} {'CPU/req':>8}")
        for r in results:
            flag = "" if r["p95"] < 50 else "  > 50 ms"
            print(f"{r['name']:40} {r['median']:6.1f}ms {r['p95']:6.1f}ms {r['queries']:8d} "
                  f"{r['cpu']:6.1f}ms{flag}")
        by_size.append((size["projects"], results))
    if len(by_size) > 1:
        print("\nqueries a request by size: " + " / ".join(f"{p:,} projects"
                                                          for p, _ in by_size))
        for index, r in enumerate(by_size[0][1]):
            counts = [results[index]["queries"] for _, results in by_size]
            same = "same" if len(set(counts)) == 1 else "DIFFERENT"
            print(f"{r['name']:40} " + " / ".join(str(c) for c in counts) + f"  {same}")


if __name__ == "__main__":
    main()

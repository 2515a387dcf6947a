"""Insights benchmark (issue 11): the precompute, the insights page and the open-data export.

    psql -h 127.0.0.1 -U postgres -c 'create database insbench_big'
    .venv/bin/python bench/insights.py [postgresql+psycopg://postgres@127.0.0.1:5432/insbench_big]

The database (the URL argument) is built once and reused while its counts match: schema
dropped and migrated to head (`flask db upgrade`, bench/projects_pages.py `wipe_and_migrate`),
the gazetteer loaded, then set-based (INSERT ... SELECT over generate_series) 1,000,000
members with profiles (countries, home places skewed over the communities and districts,
return plans, remittances, investors with their sectors, joined over the last 18 months; a
few inactive or erased), 100,000 projects (members' and authorities', every lifecycle state,
sectors, region/district of their place, published over 18 months, authorities' answers for
a share), 50,000 support requests (every kind, places, first answers for a share), 20 surveys
(one a draft) with 200,000 responses; then VACUUM ANALYZE. `--scale 0.01` builds a hundredth.

Then, in this process through the Flask test client (server time = the WSGI call):
1. the public page once with nothing stored (the tables counted for that answer);
2. `refresh()`, the housekeeping's precompute (country + every region), --refresh-runs
   times, and what each table's counting costs over all scopes;
3. each page --requests times (default 200) after --warmup: median, p95, max, this
   process's CPU a request (Python: Flask, SQLAlchemy, Jinja, JSON; the rest is PostgreSQL),
   the SQL statements of one request and the response's size.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.projects_pages import (  # noqa: E402
    ANSWERED,
    SECTORS,
    STATES,
    TITLES,
    _array,
    wipe_and_migrate,
)
from diaspora import create_app  # noqa: E402
from diaspora.accounts.permissions import TWO_FACTOR_SESSION_KEY  # noqa: E402
from diaspora.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/insbench_big"
FULL = {"members": 1_000_000, "projects": 100_000, "requests": 50_000, "surveys": 20,
        "responses": 200_000}
AUTHORITIES = 300
# Countries of residence, weighted (a list of 100, picked by a hash of the member); one in
# 250,000 members lives in New Zealand, so that cell is small and shows as "<5".
COUNTRIES = (["RU"] * 46 + ["KZ"] * 14 + ["TR"] * 8 + ["KR"] * 7 + ["US"] * 4 + ["DE"] * 3
             + ["AE"] * 3 + ["GB"] * 2 + ["JP", "IT", "PL", "CZ", "FR", "CN", "UZ", "KW",
                                          "CA", "SE"] + [None] * 2)
RETURN_PLANS = ["within_year"] * 2 + ["later"] * 3 + ["undecided"] * 3 + ["no"] * 1 + [None]
REMITTANCES = ["regularly"] * 4 + ["sometimes"] * 3 + ["no"] * 2 + [None]
KINDS = (["employment"] * 6 + ["business"] * 4 + ["legal"] * 4 + ["schooling"] * 2
         + ["health"] * 2 + ["psychological", "housing"] * 1 + ["information"] * 3)
DAYS = 548  # 18 months


def _text_array(values: list[str | None]) -> str:
    return "ARRAY[" + ", ".join("NULL" if v is None else f"'{v}'" for v in values) + "]::text[]"


# Multipliers of the hash below, one a use, so two picks for one row are not correlated.
MULTIPLIERS = (2654435761, 2246822519, 3266489917, 668265263, 374761393, 1181783497,
               2870177450, 1674653297, 4068124753, 3423733057)


def _uniform(column: str, salt: int) -> str:
    """A deterministic number in [0, 1) from an integer column: a multiplicative hash
    modulo a prime, so neighbouring rows land far apart; `salt` picks the multiplier."""
    multiplier = MULTIPLIERS[salt % len(MULTIPLIERS)]
    return f"(((({column})::bigint * {multiplier} + {salt}) % 4294967291) / 4294967291.0)"


def built(app, size: dict[str, int]) -> bool:  # noqa: ANN001
    with app.app_context():
        try:
            have = db.session.execute(sa.text(
                "SELECT (SELECT count(*) FROM users WHERE role = 'member'), "
                "(SELECT count(*) FROM projects), (SELECT count(*) FROM support_requests), "
                "(SELECT count(*) FROM surveys), (SELECT count(*) FROM survey_responses)"
            )).one()
        except sa.exc.ProgrammingError:
            db.session.rollback()
            return False
    return tuple(have) == (size["members"], size["projects"], size["requests"],
                           size["surveys"], size["responses"])


def generate(app, members: int, projects: int, requests: int, surveys: int,  # noqa: ANN001, PLR0913
             responses: int) -> dict[str, float]:
    """Everything the insights count, set-based. Seconds by step."""
    seconds: dict[str, float] = {}
    with app.app_context(), db.engine.begin() as conn:
        run = conn.execute
        # Communities and districts in gazetteer order (regions' places together), numbered:
        # a skewed pick (u squared) gives the first regions many more people than the last.
        run(sa.text(
            "CREATE TEMPORARY TABLE gen_places ON COMMIT DROP AS "
            "SELECT row_number() OVER (ORDER BY code) - 1 AS n, id, region_id, district_id, "
            "level FROM places WHERE level IN (2, 3)"))
        places = run(sa.text("SELECT count(*) FROM gen_places")).scalar()
        place_pick = f"floor({places} * power({_uniform('{col}', 11)}, 2))::int"

        started = time.monotonic()
        run(sa.text(
            "INSERT INTO users (role, locale, active, broadcasts_paused, privacy_version, "
            "privacy_accepted_at, created_at, deleted_at, session_version, blocked) "
            "SELECT 'member', (ARRAY['ky','ru','en'])[1 + i % 3], i % 100 <> 42, false, "
            "'2026-11', now(), "
            f"now() - make_interval(secs => {DAYS} * 86400 * {_uniform('i', 3)}), "
            "CASE WHEN i % 200 = 17 THEN now() END, 0, false "
            "FROM generate_series(1, :n) AS i ORDER BY i"), {"n": members})
        # Members' homes: a community mostly, a district for some, unknown for 8%.
        run(sa.text(
            "INSERT INTO profiles (user_id, country_code, home_place_id, return_plan, "
            "remittances, skills, wants_to_invest, wants_to_volunteer, interest_sectors, "
            "notify_news, notify_surveys, notify_projects, notify_by_email, updated_at) "
            "SELECT u.id, CASE WHEN u.id % 250000 = 7 THEN 'NZ' "
            f"  ELSE ({_text_array(COUNTRIES)})[1 + floor(100 * {_uniform('u.id', 5)})::int] "
            "  END, "
            "CASE WHEN u.id % 25 <> 3 AND u.id % 50 <> 9 THEN p.id END, "
            f"({_text_array(RETURN_PLANS)})[1 + u.id % {len(RETURN_PLANS)}], "
            f"({_text_array(REMITTANCES)})[1 + (u.id / 7) % {len(REMITTANCES)}], "
            "'[]', u.id % 5 = 0, u.id % 9 = 0, "
            "CASE WHEN u.id % 5 = 0 OR u.id % 9 = 0 THEN CASE u.id % 3 "
            "  WHEN 0 THEN json_build_array(s.a) WHEN 1 THEN json_build_array(s.a, s.b) "
            "  ELSE json_build_array(s.a, s.b, s.c) END ELSE '[]'::json END, "
            "true, true, true, false, now() "
            "FROM users u "
            "JOIN gen_places p ON p.n = " + place_pick.format(col="u.id") + " "
            "CROSS JOIN LATERAL (SELECT "
            "  (CAST(:sectors AS text[]))[1 + (u.id / 5) % 10] AS a, "
            "  (CAST(:sectors AS text[]))[1 + (u.id / 5 + 3) % 10] AS b, "
            "  (CAST(:sectors AS text[]))[1 + (u.id / 5 + 7) % 10] AS c) s "
            "WHERE u.role = 'member'"), {"sectors": "{" + ",".join(SECTORS) + "}"})
        first_authority = run(sa.text(
            "INSERT INTO users (role, locale, active, broadcasts_paused, privacy_version, "
            "privacy_accepted_at, created_at, session_version, blocked) "
            "SELECT 'authority', 'ky', true, false, '2026-11', now(), now(), 0, false "
            "FROM generate_series(1, :n) RETURNING id"), {"n": AUTHORITIES}).scalars().all()
        first_authority = min(first_authority)
        seconds["members"] = time.monotonic() - started

        started = time.monotonic()
        state_case = "CASE " + " ".join(f"WHEN i % 100 < {bound} THEN '{state}'"
                                        for bound, state in STATES) + " END"
        answered = "(" + ", ".join(f"'{state}'" for state in ANSWERED) + ")"
        communities = run(sa.text("SELECT count(*) FROM gen_places WHERE level = 3")).scalar()
        run(sa.text(
            "CREATE TEMPORARY TABLE gen_communities ON COMMIT DROP AS "
            "SELECT row_number() OVER (ORDER BY code) - 1 AS n, id, region_id, district_id "
            "FROM places WHERE level = 3"))
        community_pick = f"floor({communities} * power({_uniform('{col}', 13)}, 2))::int"
        # Projects published evenly over 18 months; authorities answer members' proposals
        # in the answered states within 0-60 days; one in 20 is an authority's own project.
        run(sa.text(
            "INSERT INTO projects (place_id, region_id, district_id, proposer_id, origin, "
            "language, title, summary, description, description_html, search_text, sector, "
            "budget_som, contributions, status, supporters, submitted_at, published_at, "
            "answered_at, answer_seconds, created_at, updated_at) "
            "SELECT pl.id, pl.region_id, pl.district_id, "
            "CASE WHEN g.i % 20 = 0 THEN :authority + g.i % :authorities "
            "     ELSE 1 + (g.i * 7919) % :members END, "
            "CASE WHEN g.i % 20 = 0 THEN 'authority' ELSE 'member' END, "
            "(ARRAY['ky','ru','en'])[1 + g.i % 3], t.title || ' ' || g.i, 'Кыскача', "
            "'Толук сүрөттөмө', '<p>Толук сүрөттөмө</p>', lower(t.title || ' ' || g.i), "
            "CASE WHEN g.i % 50 <> 1 THEN (CAST(:sectors AS text[]))[1 + (g.i / 3) % 10] END, "
            "10000 * (1 + g.i % 500), '[]', g.status, 0, g.published - interval '2 days', "
            "CASE WHEN g.status NOT IN ('draft', 'submitted', 'returned', 'rejected') "
            "     THEN g.published END, "
            "CASE WHEN g.status IN " + answered + " AND g.i % 20 <> 0 "
            "     THEN g.published + make_interval(secs => g.answer) END, "
            "CASE WHEN g.status IN " + answered + " AND g.i % 20 <> 0 THEN g.answer END, "
            "g.published - interval '3 days', g.published "
            "FROM (SELECT i, " + state_case + " AS status, "
            f"  now() - make_interval(secs => (:p - i) * ({DAYS} * 86400.0 / :p)) AS published, "
            "  (i * 7919) % (60 * 86400) AS answer FROM generate_series(1, :p) AS i) g "
            "JOIN gen_communities pl ON pl.n = " + community_pick.format(col="g.i") + " "
            "CROSS JOIN LATERAL (SELECT (" + _array(TITLES) + ")[1 + (g.i / 7) % 12] AS title) t "
            "ORDER BY g.i"),
            {"p": projects, "members": members, "authority": first_authority,
             "authorities": AUTHORITIES, "sectors": "{" + ",".join(SECTORS) + "}"})
        seconds["projects"] = time.monotonic() - started

        started = time.monotonic()
        # Requests over 18 months; 60% answered, 20% closed (most of them answered first),
        # the rest waiting; the first answer within 0-20 days.
        run(sa.text(
            "INSERT INTO support_requests (requester_id, place_id, region_id, district_id, "
            "kind, description, language, contact_channel, contact_value, women_services, "
            "children_services, status, created_at, waiting_since, first_answered_at, "
            "closed_at) "
            "SELECT g.requester, pl.id, pl.region_id, pl.district_id, "
            f"({_text_array(KINDS)})[1 + g.i % {len(KINDS)}], 'Жардам керек', "
            "(ARRAY['ky','ru','en'])[1 + g.i % 3], 'telegram', '@member', g.i % 7 = 0, "
            "g.i % 5 = 0, g.status, g.created, "
            "CASE WHEN g.status = 'waiting' THEN g.created END, "
            "CASE WHEN g.status = 'answered' OR (g.status = 'closed' AND g.i % 4 <> 0) "
            "     THEN g.created + make_interval(secs => (g.i * 104729) % (20 * 86400)) END, "
            "CASE WHEN g.status = 'closed' THEN g.created + interval '25 days' END "
            "FROM (SELECT i, 1 + (i * 104729) % :members AS requester, "
            "  CASE WHEN i % 10 < 6 THEN 'answered' WHEN i % 10 < 8 THEN 'closed' "
            "       ELSE 'waiting' END AS status, "
            f"  now() - make_interval(secs => {DAYS} * 86400 * {_uniform('i', 17)}) AS created "
            "  FROM generate_series(1::bigint, :r) AS i) g "
            "JOIN gen_communities pl ON pl.n = " + community_pick.format(col="g.i + 5") + " "
            "ORDER BY g.i"), {"r": requests, "members": members})
        seconds["support requests"] = time.monotonic() - started

        started = time.monotonic()
        # Survey k opened k * 27 days ago (the last one still a draft); responses skewed to
        # the first surveys, submitted between the opening and now, the respondent's home
        # region from the same skewed pick as members' homes (10% without one).
        run(sa.text(
            "INSERT INTO surveys (title, intro, status, anonymous, opened_at, audience, "
            "results_published, created_at, updated_at) "
            "SELECT json_build_object('ky', 'Сурамжылоо ' || k, 'ru', 'Опрос ' || k, "
            "  'en', 'Survey ' || k), json_build_object('ky', '', 'ru', '', 'en', ''), "
            "CASE WHEN k = :s THEN 'draft' WHEN k < 4 THEN 'open' ELSE 'closed' END, true, "
            "CASE WHEN k < :s THEN now() - make_interval(days => k * 27) END, 'everyone', "
            "k >= 4, now() - make_interval(days => k * 27 + 5), now() "
            "FROM generate_series(1, :s) AS k ORDER BY k"), {"s": surveys})
        run(sa.text(
            "CREATE TEMPORARY TABLE gen_surveys ON COMMIT DROP AS "
            "SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, opened_at FROM surveys "
            "WHERE status <> 'draft'"))
        opened = run(sa.text("SELECT count(*) FROM gen_surveys")).scalar()
        run(sa.text(
            "INSERT INTO survey_responses (survey_id, user_id, submitted_on, channel, "
            "country_code, home_region_id, return_plan) "
            "SELECT s.id, NULL, s.opened_at + (now() - s.opened_at) * "
            + _uniform("g.i", 19) + ", CASE WHEN g.i % 3 = 0 THEN 'web' ELSE 'bot' END, "
            f"({_text_array(COUNTRIES)})[1 + floor(100 * {_uniform('g.i', 23)})::int], "
            "CASE WHEN g.i % 10 <> 0 THEN p.region_id END, "
            f"({_text_array(RETURN_PLANS)})[1 + g.i % {len(RETURN_PLANS)}] "
            "FROM generate_series(1, :r) AS g(i) "
            f"JOIN gen_surveys s ON s.n = floor({opened} * power({_uniform('g.i', 28)}, 2))"
            "::int "
            "JOIN gen_places p ON p.n = " + place_pick.format(col="g.i + 1") + " "
            "ORDER BY g.i"), {"r": responses})
        seconds["surveys"] = time.monotonic() - started
    started = time.monotonic()
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    seconds["vacuum analyze"] = time.monotonic() - started
    return seconds


# -- measuring -----------------------------------------------------------------------------------


def clear_snapshots(app) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM insight_snapshots"))
        db.session.commit()


def time_refresh(app, runs: int) -> list[tuple[float, int]]:  # noqa: ANN001
    from diaspora.insights import service

    times = []
    with app.app_context():
        for _ in range(runs):
            started = time.perf_counter()
            scopes = service.refresh()
            times.append((time.perf_counter() - started, scopes))
    return times


def time_tables(app) -> list[tuple[str, float, float]]:  # noqa: ANN001
    """(table, seconds for the country, seconds for every region together): the counting
    alone (each `Table.counts`, or a member table's one scan for every scope,
    `Table.per_region`, counted as the country's), timed inside one
    `count_scopes(every_region=True)`, the call refresh() makes, so what it sets for its
    transaction holds here too."""
    from dataclasses import replace

    from diaspora.insights import service
    from diaspora.insights.tables import TABLES

    spent: dict[str, list[float]] = {table_id: [0.0, 0.0] for table_id in TABLES}

    def timed(table_id: str, counts):  # noqa: ANN001, ANN202
        def run(region_id: int | None) -> dict:
            started = time.perf_counter()
            try:
                return counts(region_id)
            finally:
                spent[table_id][region_id is not None] += time.perf_counter() - started
        return run

    def timed_scan(table_id: str, per_region):  # noqa: ANN001, ANN202
        def run(region_ids: list[int]) -> dict:
            started = time.perf_counter()
            try:
                return per_region(region_ids)
            finally:
                spent[table_id][0] += time.perf_counter() - started
        return run

    original = dict(TABLES)
    try:
        for table_id, table in original.items():
            TABLES[table_id] = replace(
                table, counts=timed(table_id, table.counts),
                per_region=table.per_region and timed_scan(table_id, table.per_region))
        with app.app_context():
            service.count_scopes(every_region=True)
            db.session.rollback()
    finally:
        TABLES.update(original)
    return [(table_id, country, regions) for table_id, (country, regions) in spent.items()]


def moderator_session(app) -> str:  # noqa: ANN001
    """A moderator (made once), signed in with the second step passed."""
    with app.app_context():
        user_id = db.session.scalar(sa.text(
            "SELECT id FROM users WHERE role = 'moderator' AND email = 'insbench@example.org'"))
        if user_id is None:
            user_id = db.session.scalar(sa.text(
                "INSERT INTO users (email, role, locale, active, broadcasts_paused, "
                "privacy_version, privacy_accepted_at, created_at, session_version, blocked) "
                "VALUES ('insbench@example.org', 'moderator', 'ky', true, false, '2026-11', "
                "now(), now(), 0, false) RETURNING id"))
            db.session.commit()
        from diaspora.accounts.models import User

        return db.session.get(User, user_id).get_id()


def pages(app) -> list[tuple[str, bool, str]]:  # noqa: ANN001
    """(name, as the moderator, url) of each page measured; the region with most members."""
    with app.app_context():
        region = db.session.scalar(sa.text(
            "SELECT pl.region_id FROM profiles p JOIN places pl ON pl.id = p.home_place_id "
            "GROUP BY pl.region_id ORDER BY count(*) DESC LIMIT 1"))
    return [
        ("/insights/ (ky)", False, "/insights/?lang=ky"),
        ("/insights/region/<busiest> (moderator)", True, f"/insights/region/{region}?lang=ky"),
        ("/insights/download/all.json", False, "/insights/download/all.json"),
        ("/insights/download/members-by-country.csv", False,
         "/insights/download/members-by-country.csv?lang=ky"),
        ("/api/v1/insights/members-by-region", False, "/api/v1/insights/members-by-region"),
    ]


def _client(app, moderator: str | None):  # noqa: ANN001, ANN202
    client = app.test_client()
    if moderator is not None:
        with client.session_transaction() as session:
            session["_user_id"] = moderator
            session["_fresh"] = True
            session[TWO_FACTOR_SESSION_KEY] = moderator  # staff passed the second step
    return client


def measure(app, warmup: int, requests: int) -> list[dict]:  # noqa: ANN001
    moderator = moderator_session(app)
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    results = []
    for name, as_moderator, url in pages(app):
        client = _client(app, moderator if as_moderator else None)
        for _ in range(warmup):
            assert client.get(url).status_code == 200, url
        times, cpu, size = [], 0.0, 0
        for _ in range(requests):
            cpu_started, started = time.process_time(), time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu += time.process_time() - cpu_started
            assert response.status_code == 200, url
            size = len(response.data)
        sa.event.listen(engine, "before_cursor_execute", remember)
        try:
            statements.clear()
            client.get(url)
        finally:
            sa.event.remove(engine, "before_cursor_execute", remember)
        times.sort()
        results.append({"name": name, "median": 1000 * statistics.median(times),
                        "p95": 1000 * times[max(0, int(len(times) * 0.95) - 1)],
                        "max": 1000 * times[-1], "cpu": 1000 * cpu / requests,
                        "queries": len(statements), "bytes": size})
    return results


def on_the_fly(app) -> tuple[float, float]:  # noqa: ANN001
    """The public page and the API's table with nothing stored: counted for that answer
    (the page of a new site before housekeeping's first run). Milliseconds each, once."""
    clear_snapshots(app)
    client = app.test_client()
    out = []
    for url in ("/insights/?lang=ky", "/api/v1/insights/members-by-region"):
        started = time.perf_counter()
        assert client.get(url).status_code == 200, url
        out.append(1000 * (time.perf_counter() - started))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL,
                        help=f"a PostgreSQL database that may be wiped (default {DEFAULT_URL})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full data set (1,000,000 members, ...)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--refresh-runs", type=int, default=2)
    parser.add_argument("--no-table-times", action="store_true",
                        help="skip timing each table's counting (one more refresh's worth)")
    parser.add_argument("--refresh-only", action="store_true",
                        help="time refresh() alone (to compare two trees on the same data)")
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        raise SystemExit("Give a PostgreSQL URL (the database may be wiped).")
    size = {key: max(1, int(full * args.scale)) for key, full in FULL.items()}
    size["surveys"] = FULL["surveys"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "TESTING": True,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench-" + "x" * 40})
    print(f"tree {ROOT}; {platform.node()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if built(app, size):
        print("reusing the data already there (counts match)")
    else:
        started = time.monotonic()
        wipe_and_migrate(app)
        print(f"schema migrated to head, gazetteer loaded: {time.monotonic() - started:.1f} s")
        steps = generate(app, **size)
        print("generated: " + ", ".join(f"{step} {s:.1f} s" for step, s in steps.items())
              + f"; total {sum(steps.values()):.1f} s")
    with app.app_context():
        counted = db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM users WHERE role = 'member'), "
            "(SELECT count(*) FROM projects), (SELECT count(*) FROM support_requests), "
            "(SELECT count(*) FROM surveys), (SELECT count(*) FROM survey_responses), "
            "(SELECT count(*) FROM places WHERE level = 1), "
            "(SELECT count(*) FROM places WHERE level = 2), "
            "(SELECT count(*) FROM places WHERE level = 3), "
            "(SELECT setting FROM pg_settings WHERE name = 'server_version')")).one()
    print(f"rows: {counted[0]:,} members, {counted[1]:,} projects, {counted[2]:,} requests, "
          f"{counted[3]} surveys, {counted[4]:,} responses; gazetteer {counted[5]} regions, "
          f"{counted[6]} districts, {counted[7]:,} communities; PostgreSQL {counted[8]}")

    if not args.refresh_only:
        load = os.getloadavg()[0]
        page_ms, api_ms = on_the_fly(app)
        print(f"\nnothing stored (counted for the answer, country only; load {load:.1f}): "
              f"/insights/ {page_ms:,.0f} ms, /api/v1/insights/members-by-region "
              f"{api_ms:,.0f} ms")

    load = os.getloadavg()[0]
    runs = time_refresh(app, args.refresh_runs)
    print(f"refresh() (housekeeping: country + every region, stored; load {load:.1f}): "
          + ", ".join(f"{s:.1f} s" for s, _ in runs) + f" for {runs[0][1]} scopes")
    if args.refresh_only:
        return
    if not args.no_table_times:
        rows = time_tables(app)
        total = sum(c + r for _, c, r in rows)
        print(f"\ncounting by table (Table.counts; {total:.1f} s in all):")
        print(f"{'table':28} {'country':>9} {'regions':>9} {'share':>6}")
        for table_id, country, regions in sorted(rows, key=lambda r: -(r[1] + r[2])):
            print(f"{table_id:28} {country:8.2f}s {regions:8.2f}s "
                  f"{100 * (country + regions) / total:5.0f}%")

    load = os.getloadavg()[0]
    results = measure(app, args.warmup, args.requests)
    print(f"\n{args.requests} requests a page after {args.warmup} warm-up, Flask test client "
          f"in-process; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'page':44} {'median':>8} {'p95':>8} {'max':>8} {'CPU/req':>8} {'SQL':>4} "
          f"{'bytes':>8}")
    for r in results:
        flag = "" if r["p95"] < 200 else "  > 200 ms"
        print(f"{r['name']:44} {r['median']:6.1f}ms {r['p95']:6.1f}ms {r['max']:6.1f}ms "
              f"{r['cpu']:6.1f}ms {r['queries']:4d} {r['bytes']:8,}{flag}")


if __name__ == "__main__":
    main()

"""Survey results benchmark: a 10-question survey with N responses (1,000,000 by default).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_surveys \\
        .venv/bin/python bench/survey_results.py --responses 1000000

The database named by DATABASE_URL is WIPED (schema dropped and recreated from the models).
Responses and answers are generated set-based (INSERT ... SELECT over generate_series), the
results' counts are rebuilt from them (results.rebuild_counts: three INSERT ... SELECT ...
GROUP BY), then it reports, each next to a bare `SELECT count(*)` over the answers in the same
run (best of --repeat):

- the full results page's queries (results.results + the filter choices), unfiltered;
- a filtered view (country, home region and return plan at once);
- the whole page through the web stack (Flask test client: queries and rendering);
- the same counts by plain GROUP BYs over the answers, without the kept counts (what the
  page would cost without them), unfiltered and filtered;
- one response submitted through the service (answers plus the counts' upsert).
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

from diaspora import create_app  # noqa: E402
from diaspora.accounts.models import Profile, User  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import utcnow  # noqa: E402
from diaspora.places.service import load_gazetteer  # noqa: E402
from diaspora.surveys import results, service  # noqa: E402
from diaspora.surveys.service import OptionSpec, QuestionSpec, SurveySettings  # noqa: E402

COUNTRIES = ("RU", "RU", "RU", "KZ", "KZ", "TR", "KR", "DE", "US", "AE")
PLANS = ("within_year", "later", "undecided", "no")


def _texts(en: str) -> dict[str, str]:
    return {"en": en, "ru": f"{en} (ru)", "ky": f"{en} (ky)"}


def _options(count: int) -> list[OptionSpec]:
    return [OptionSpec(_texts(f"Option {i + 1}")) for i in range(count)]


def build_survey(staff: User) -> int:
    survey = service.create_survey(staff, SurveySettings(title=_texts("Benchmark"),
                                                         anonymous=True))
    specs = [
        QuestionSpec("single", _texts("Do you send money home?"), options=_options(3)),
        QuestionSpec("single", _texts("How often?"), options=_options(4)),
        QuestionSpec("single", _texts("Plans?"), options=_options(5)),
        QuestionSpec("multiple", _texts("Sectors?"), options=_options(6), required=False),
        QuestionSpec("multiple", _texts("What would help?"), options=_options(5),
                     required=False),
        QuestionSpec("scale", _texts("Trust in local authorities")),
        QuestionSpec("scale", _texts("Readiness to invest")),
        QuestionSpec("number", _texts("How much a month, in som?"), min_value=0,
                     max_value=10_000_000),
        QuestionSpec("place", _texts("Where is home?")),
        QuestionSpec("short_text", _texts("Anything else?"), required=False),
    ]
    for spec in specs:
        service.save_question(staff, survey, spec)
    service.open_survey(staff, survey)
    return survey.id


def generate(survey_id: int, responses: int) -> float:
    """Responses and answers, set-based. Returns seconds."""
    survey = service.get_survey(survey_id)
    q = survey.questions
    regions = db.session.scalars(sa.select(sa.text("id")).select_from(sa.text("places"))
                                 .where(sa.text("level = 1")).order_by(sa.text("id"))).all()
    districts = db.session.scalars(sa.select(sa.text("id")).select_from(sa.text("places"))
                                   .where(sa.text("level = 2")).order_by(sa.text("id"))).all()
    started = time.monotonic()
    conn = db.session.connection()
    conn.execute(sa.text("SELECT setseed(0.42)"))
    # Loading fast: foreign key triggers off for this session (the rows are made consistent
    # by construction) and the answers' secondary indexes built once at the end.
    conn.execute(sa.text("SET session_replication_role = replica"))
    indexes = conn.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'survey_answers' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'survey_answers'::regclass)")).all()
    constraints = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'survey_answers'::regclass AND contype = 'u'")).all()
    for name, _definition in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    for name, _definition in constraints:
        conn.execute(sa.text(f'ALTER TABLE survey_answers DROP CONSTRAINT "{name}"'))
    conn.execute(sa.text(
        "INSERT INTO survey_responses (survey_id, user_id, submitted_on, channel, country_code,"
        " home_region_id, return_plan) "
        "SELECT :s, NULL, date_trunc('day', now()) - (i % 60) * interval '1 day', "
        "CASE WHEN i % 3 = 0 THEN 'web' ELSE 'bot' END, "
        "(CAST(:countries AS text[]))[1 + floor(random() * :nc)::int], "
        "CASE WHEN random() < 0.97 "
        "THEN (CAST(:regions AS int[]))[1 + floor(random() * :nr)::int] END, "
        "CASE WHEN random() < 0.9 "
        "THEN (CAST(:plans AS text[]))[1 + floor(random() * 4)::int] END "
        "FROM generate_series(1, :n) AS i"
    ), {"s": survey_id, "n": responses, "countries": list(COUNTRIES), "nc": len(COUNTRIES),
        "regions": list(regions), "nr": len(regions), "plans": list(PLANS)})
    for question in q:
        option_ids = [o.id for o in question.options]
        params = {"s": survey_id, "q": question.id, "opts": option_ids, "no": len(option_ids)}
        if question.kind == "single":
            # Skewed: the first options are chosen more often.
            sql = ("SELECT r.id, :q, "
                   "(CAST(:opts AS int[]))[1 + floor(power(random(), 1.6) * :no)::int], "
                   "NULL::bigint, NULL, NULL::int, NULL FROM survey_responses r "
                   "WHERE r.survey_id = :s")
        elif question.kind == "multiple":
            # Two different options for 70% of respondents (the first, and one after it).
            sql = ("SELECT id, :q, (CAST(:opts AS int[]))[k], NULL::bigint, NULL, NULL::int, "
                   "NULL FROM ("
                   " SELECT r.id, 1 + floor(random() * (:no - 1))::int AS a, random() AS p "
                   " FROM survey_responses r WHERE r.survey_id = :s) x, "
                   " LATERAL (VALUES (a), (a + 1)) AS v(k) WHERE x.p < 0.7")
        elif question.kind == "scale":
            sql = ("SELECT r.id, :q, NULL::int, 1 + floor(power(random(), 0.8) * 5)::bigint, "
                   "NULL, NULL::int, NULL FROM survey_responses r WHERE r.survey_id = :s")
        elif question.kind == "number":
            # Amounts people give: round thousands, most under 50 000.
            sql = ("SELECT r.id, :q, NULL::int, (1000 * floor(power(random(), 2) * 200))::bigint,"
                   " NULL, NULL::int, NULL FROM survey_responses r WHERE r.survey_id = :s")
        elif question.kind == "place":
            params["places"] = list(districts)
            params["np"] = len(districts)
            sql = ("SELECT r.id, :q, NULL::int, NULL::bigint, NULL, "
                   "(CAST(:places AS int[]))[1 + floor(random() * :np)::int], NULL "
                   "FROM survey_responses r WHERE r.survey_id = :s")
        else:  # short text, from 1 in 10 respondents
            sql = ("SELECT r.id, :q, NULL::int, NULL::bigint, "
                   "'Answer number ' || (r.id % 5000), NULL::int, NULL "
                   "FROM survey_responses r WHERE r.survey_id = :s AND random() < 0.1")
        conn.execute(sa.text(
            "INSERT INTO survey_answers (response_id, question_id, option_id, number_value, "
            "text_value, place_id, country_code) " + sql), params)
    for _name, definition in indexes:
        conn.execute(sa.text(definition))
    for name, definition in constraints:
        conn.execute(sa.text(f'ALTER TABLE survey_answers ADD CONSTRAINT "{name}" {definition}'))
    conn.execute(sa.text("SET session_replication_role = origin"))
    db.session.commit()
    return time.monotonic() - started


def best(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def plain_group_by(survey_id: int, where: str = "", params: dict | None = None) -> None:
    """The page's counts straight from the answers (no kept counts): one GROUP BY."""
    db.session.execute(sa.text(
        "SELECT a.question_id, coalesce(a.option_id, a.place_id), a.number_value, "
        "count(DISTINCT a.response_id) FROM survey_answers a "
        "JOIN survey_responses r ON r.id = a.response_id "
        f"WHERE r.survey_id = :s {where} "
        "GROUP BY a.question_id, coalesce(a.option_id, a.place_id), a.number_value"
    ), {"s": survey_id, **(params or {})}).all()


def cpu() -> str:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({model}); load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (it is wiped)")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "WTF_CSRF_ENABLED": False})
    print(f"harness: {cpu()}; Python {platform.python_version()}")
    with app.app_context():
        engine = db.engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        db.create_all()
        load_gazetteer()
        staff = User(email="staff@bench.test", role="moderator", locale="en")
        db.session.add(staff)
        db.session.commit()
        survey_id = build_survey(staff)
        seconds = generate(survey_id, args.responses)
        answers = db.session.scalar(sa.text("SELECT count(*) FROM survey_answers"))
        print(f"PostgreSQL {version}: {args.responses:,} responses, {answers:,} answers "
              f"generated in {seconds:.1f} s")
        started = time.monotonic()
        survey = service.get_survey(survey_id)
        rows = results.rebuild_counts(survey)
        db.session.commit()
        print(f"counts rebuilt from the answers: {rows:,} rows in "
              f"{time.monotonic() - started:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))

        survey = service.get_survey(survey_id)
        region = db.session.scalar(sa.text(
            "SELECT home_region_id FROM survey_responses WHERE home_region_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
        view = results.Filters(country="RU", region=region, plan="later")

        def full_page() -> None:
            choices = results.filter_choices(survey, "en")
            assert results.results(survey, results.Filters(), "en", choices).refused is None

        def filtered() -> None:
            choices = results.filter_choices(survey, "en")
            assert results.results(survey, view, "en", choices).refused is None

        def bare_count() -> None:
            db.session.execute(sa.text("SELECT count(*) FROM survey_answers")).scalar()

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = staff.get_id(), True

        def http_page() -> None:
            assert client.get(f"/surveys/{survey_id}/results?lang=en").status_code == 200

        figures = []
        for name, fn in (("full results page (queries)", full_page),
                         ("filtered view (queries)", filtered),
                         ("full results page through HTTP (queries + rendering)", http_page)):
            count_seconds = best(bare_count, args.repeat)
            figures.append((name, best(fn, args.repeat), count_seconds))
        plain = best(lambda: plain_group_by(survey_id), max(1, args.repeat // 2))
        figures.append(("plain GROUP BY over the answers, unfiltered (no kept counts)", plain,
                        best(bare_count, args.repeat)))
        plain_filtered = best(lambda: plain_group_by(
            survey_id, "AND r.country_code = :c AND r.home_region_id = :r "
            "AND r.return_plan = :p", {"c": "RU", "r": region, "p": "later"}),
            max(1, args.repeat // 2))
        figures.append(("plain GROUP BY over the answers, filtered (no kept counts)",
                        plain_filtered, best(bare_count, args.repeat)))
        for name, seconds, count_seconds in figures:
            print(f"{name}: {seconds * 1000:,.0f} ms  "
                  f"(bare SELECT count(*) over the answers: {count_seconds * 1000:,.0f} ms)")

        # One response submitted through the service: answers plus the counts' upsert.
        submit_times = []
        for index in range(30):
            member = User(email=f"m{index}@bench.test", role="member", locale="en",
                          privacy_version="2026-11", privacy_accepted_at=utcnow())
            member.profile = Profile(country_code="RU")
            db.session.add(member)
            db.session.commit()
            q = survey.questions
            raw = {q[0].id: str(q[0].options[0].id), q[1].id: str(q[1].options[1].id),
                   q[2].id: str(q[2].options[2].id), q[3].id: [str(q[3].options[0].id)],
                   q[5].id: "4", q[6].id: "3", q[7].id: "20000",
                   q[8].id: str(db.session.scalar(sa.text(
                       "SELECT id FROM places WHERE level = 2 LIMIT 1")))}
            started = time.perf_counter()
            service.submit_response(member, survey, raw)
            submit_times.append(time.perf_counter() - started)
        print(f"one response submitted (answers + counts): median "
              f"{statistics.median(submit_times) * 1000:.1f} ms over 30")
        print(f"harness after the run: {cpu()}")


if __name__ == "__main__":
    main()

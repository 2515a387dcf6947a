"""Pages benchmark: gunicorn on PostgreSQL with many members and posts, driven by wrk.

    apt install wrk
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/pages.py --members 1000000 --posts 10000

The database named by DATABASE_URL is WIPED (schema from the models, the gazetteer, N
members, M published posts with topics and places; --reuse keeps what is there when the
counts match). Then gunicorn serves the site (--workers, sync workers) and wrk drives each
page for --seconds with --connections connections: requests a second, p50 and p95 latency,
and the ratio of its requests a second to those of /healthz (a trivial route served by the
same gunicorn, measured before and after the pages; the ratio uses their mean).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.broadcast import prepare  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402

BODY = ("## Жаңылык\n\nКыргызстандагы **маанилүү** окуя: айыл өкмөтү жаңы *долбоорду* "
        "баштады. [Толугураак](https://example.org/news)\n\n- биринчи\n- экинчи\n- үчүнчү\n\n"
        + "Мекендештер үчүн кеңири маалымат. " * 40)
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format('JSON{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, '
    .. '"errors": %d, "non2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status))
end
"""


def counts(app) -> tuple[int, int]:  # noqa: ANN001
    with app.app_context():
        try:
            return (db.session.scalar(sa.text("SELECT count(*) FROM users")),
                    db.session.scalar(sa.text("SELECT count(*) FROM news_posts")))
        except sa.exc.ProgrammingError:
            db.session.rollback()
            return (0, 0)


def make_posts(app, posts: int) -> float:  # noqa: ANN001
    """Published posts over the last years, each with a topic and a home district; stored
    rendered when the tree's model has the columns (rendered by this tree's renderer)."""
    from diaspora.news import rendering
    from diaspora.news.models import NewsPost
    from diaspora.news.topics import TOPICS
    from diaspora.places.service import load_gazetteer

    started = time.monotonic()
    with app.app_context():
        load_gazetteer()
        db.session.commit()
        columns = set(NewsPost.__table__.columns.keys())
        extra_columns, extra_values, params = "", "", {}
        body = {"ky": BODY, "ru": BODY, "en": BODY}
        if "body_html" in columns:
            html, summary = rendering.render_body(BODY)
            extra_columns = ", body_html, body_summary, rendered_version"
            extra_values = ", :html, :summary, :version"
            params = {"html": json.dumps({c: html for c in body}),
                      "summary": json.dumps({c: summary for c in body}),
                      "version": rendering.RENDERER_VERSION}
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO news_posts (title, body, status, push_telegram, audience, "
                "place_id, created_at, updated_at, published_at" + extra_columns + ") "
                "SELECT json_build_object('ky', 'Жаңылык ' || i, 'ru', 'Новость ' || i, "
                "'en', 'News ' || i), CAST(:body AS json), 'published', false, 'home', "
                "(SELECT id FROM places WHERE kind = 'district' ORDER BY id "
                " OFFSET i % 40 LIMIT 1), now(), now(), now() - i * interval '1 hour'"
                + extra_values + " FROM generate_series(1, :n) AS i"
            ), {"body": json.dumps(body), "n": posts, **params})
            topics = list(TOPICS)
            conn.execute(sa.text(
                "INSERT INTO news_tags (post_id, tag) SELECT id, "
                "(CAST(:topics AS text[]))[1 + id % :k] FROM news_posts"
            ), {"topics": "{" + ",".join(topics) + "}", "k": len(topics)})
            conn.execute(sa.text(
                "INSERT INTO news_audience_places (post_id, place_id) "
                "SELECT id, place_id FROM news_posts WHERE place_id IS NOT NULL"))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk(url: str, seconds: float, connections: int, script: str, *,
        headers: Sequence[str] = (), threads: int = 1, timeout: float = 30.0) -> dict:
    """One wrk run: requests, seconds, p50/p95 (ms), errors, non2xx, rps, and "cpu": the
    seconds of CPU wrk itself used (to show the load generator is not the bottleneck).
    A request slower than `timeout` counts as an error (wrk's own default is 2 s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s",
         "-s", script,
         *(f"-H{header}" for header in headers), url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"JSON(\{.*\})", out)
    if not match:
        raise RuntimeError(f"wrk said: {out}")
    result = json.loads(match.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["output"] = out
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the members and posts already there if the counts match")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt install wrk).")
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    if not args.reuse or counts(app) != (args.members, args.posts):
        print(f"generate {args.members:,} members: {prepare(app, args.members):.1f} s")
        print(f"generate {args.posts:,} posts: {make_posts(app, args.posts):.1f} s")
    with app.app_context():
        post_id = db.session.scalar(sa.text(
            "SELECT id FROM news_posts ORDER BY published_at DESC LIMIT 1"))
        region_id = db.session.scalar(sa.text(
            "SELECT region_id FROM places WHERE kind = 'district' ORDER BY id LIMIT 1"))

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "RATELIMIT_ENABLED": "0",
           "SECRET_KEY": "bench-" + "x" * 40, "MEKENDESH_ENV": "development"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(WRK_SCRIPT)
    script.close()
    pages = [
        ("home", "/?lang=ky"),
        ("news list, first page", "/news/?lang=ky"),
        ("news list, a topic and a region", f"/news/?lang=ky&topic=health&region={region_id}"),
        ("news list, page 200", "/news/?lang=ky&page=200"),
        ("a post", f"/news/{post_id}?lang=ky"),
        ("Atom feed", "/news/feed/ky.atom"),
    ]
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        for _name, path in pages:  # warm every worker's caches
            for _ in range(4):
                with urllib.request.urlopen(base + path, timeout=30) as answer:  # noqa: S310
                    assert answer.status == 200, path
        trivial = [wrk(base + "/healthz", args.seconds, args.connections, script.name)]
        results = [(name, path, wrk(base + path, args.seconds, args.connections, script.name))
                   for name, path in pages]
        trivial.append(wrk(base + "/healthz", args.seconds, args.connections, script.name))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        os.unlink(script.name)
    yardstick = sum(t["rps"] for t in trivial) / len(trivial)
    print(f"tree {ROOT}; gunicorn {args.workers} workers, wrk {args.connections} connections, "
          f"{args.seconds:g} s a page; {args.members:,} members, {args.posts:,} posts")
    runs = ", ".join(f"{t['rps']:.0f}" for t in trivial)
    print(f"{'/healthz':40} {yardstick:8.0f} req/s (runs: {runs})")
    for name, _path, result in results:
        problems = result["errors"] + result["non2xx"]
        print(f"{name:40} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms  "
              f"p95 {result['p95']:6.1f} ms  ratio {result['rps'] / yardstick:.2f}"
              + (f"  ({problems} errors)" if problems else ""))


if __name__ == "__main__":
    main()

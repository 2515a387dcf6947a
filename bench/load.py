"""Whole-site load benchmark: the production gunicorn (deploy/gunicorn.conf.py) on PostgreSQL
with a large data set, driven by wrk, page by page and then all pages mixed.

    apt install wrk
    createdb -h 127.0.0.1 -U postgres bench_load
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_load \\
        .venv/bin/python bench/load.py --members 1000000 --seconds 10

The database named by DATABASE_URL is WIPED, then filled set-based (INSERT ... SELECT over
generate_series; the pieces of bench/projects_pages.py, bench/pages.py and
bench/survey_results.py): --members members, members/10 projects with 3 supports a member
(skewed: a few projects with thousands), --posts news posts, an open survey; `--reuse` keeps
a data set of the same size. Then gunicorn starts exactly as the systemd unit starts it (its
config: sync workers, 2 x cores + 1 unless --workers; MEKENDESH_ENV=production; the access
log to a file) and wrk, from --connections connections, for --seconds each:

1. /healthz, a trivial route (one SELECT 1), on the same gunicorn: the yardstick;
2. each page alone: requests a second, p50 and p95, and its ratio to /healthz (the mean of
   /healthz's runs before and after the pages). A page that answers 404 (/insights/ before
   that feature is merged) or anything but 200 at warm-up is reported and left out;
3. all pages mixed, in turn on every connection (a Lua script times each request): each
   page's share of the requests, p50 and p95 while the others load the same workers.

Every run also prints the CPU used by wrk itself (% of one core: it must stay far from
100 % for the figures to be the server's), by gunicorn (master and workers, % of the
machine's cores) and by the whole machine (PostgreSQL and anything else running is the rest).
Visitor pages are requested without cookies (a first visit, Kyrgyz by default); the member's
pages with the signed session cookie of a member (as after logging in).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import WRK_SCRIPT, free_port, make_posts, wrk  # noqa: E402
from bench.projects_pages import generate, wipe_and_migrate  # noqa: E402
from bench.projects_pages import pages as project_pages  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1

# The mix: request() picks the next page in turn and notes the time; response() records
# the page, the milliseconds and the status. One connection per wrk thread, so a thread's
# request and response always belong together. done() prints every sample.
MIX_SCRIPT = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local pages = %(pages)s
local threads = {}
local counter = 0
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
local current, started = 1, 0
samples = {}
function request()
  counter = counter + 1
  current = (counter + offset) %% #pages + 1
  started = now_ms()
  return wrk.format("GET", pages[current][1], pages[current][2])
end
function response(status, headers, body)
  samples[#samples + 1] = current
  samples[#samples + 1] = now_ms() - started
  samples[#samples + 1] = status
end
function done(summary, latency, requests)
  io.write(string.format("SECONDS %%f\\n", summary.duration / 1e6))
  for _, thread in ipairs(threads) do
    local s = thread:get("samples")
    for i = 1, #s, 3 do
      io.write(string.format("SAMPLE %%d %%f %%d\\n", s[i], s[i + 1], s[i + 2]))
    end
  end
end
"""


@dataclass
class Page:
    name: str
    path: str
    member: bool = False
    status: int = 0
    results: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- the data set

def counts(app) -> tuple[int, int, int]:  # noqa: ANN001
    with app.app_context():
        try:
            return tuple(db.session.execute(sa.text(
                "SELECT (SELECT count(*) FROM users WHERE role = 'member'), "
                "(SELECT count(*) FROM news_posts), "
                "(SELECT count(*) FROM surveys WHERE status = 'open')")).one())
        except sa.exc.ProgrammingError:
            db.session.rollback()
            return (0, 0, 0)


def build(app, members: int, posts: int) -> None:  # noqa: ANN001
    """Wipe, migrate, and fill: members, projects and supports, posts, an open survey."""
    from bench.survey_results import build_survey
    from diaspora.accounts.models import User

    started = time.monotonic()
    wipe_and_migrate(app)
    print(f"schema (migrations) and gazetteer: {time.monotonic() - started:.1f} s", flush=True)
    steps = generate(app, projects=max(1, members // 10), members=members,
                     supports=3 * members)
    print("generated " + ", ".join(f"{step} {s:.1f} s" for step, s in steps.items()),
          flush=True)
    print(f"generated {posts:,} posts: {make_posts(app, posts):.1f} s", flush=True)
    with app.app_context():
        moderator = db.session.scalar(sa.text(
            "INSERT INTO users (role, locale, active, broadcasts_paused, privacy_version, "
            "privacy_accepted_at, created_at) VALUES ('moderator', 'ky', true, false, "
            "'2026-11', now(), now()) RETURNING id"))
        db.session.commit()
        build_survey(db.session.get(User, moderator))
        db.session.commit()


def member_cookie(app, user_id: int) -> str:  # noqa: ANN001
    """The session cookie a member's browser holds after logging in (accounts/sessions.py):
    their "<id>:<version>" key, a session id, a CSRF token, and Flask-Login's identifier of a
    client at 127.0.0.1 without a User-Agent (wrk sends none), so no page rewrites it."""
    from flask import request
    from flask_login.utils import _create_identifier

    from diaspora.accounts.models import User
    from diaspora.accounts.sessions import SESSION_ID_KEY

    with app.app_context():
        key = db.session.get(User, user_id).get_id()
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        request.environ.pop("HTTP_USER_AGENT", None)
        identifier = _create_identifier()
    # Flask-WTF's token, there since the first page with a form (the logout button).
    data = {"_user_id": key, "_fresh": True, "_id": identifier,
            SESSION_ID_KEY: secrets.token_urlsafe(24), "csrf_token": secrets.token_hex(20)}
    value = app.session_interface.get_signing_serializer(app).dumps(data)
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def choose_pages(app) -> tuple[list[Page], int]:  # noqa: ANN001
    """The pages measured, and the member whose pages they are."""
    with app.app_context():
        q = db.session.scalar
        post = q(sa.text("SELECT id FROM news_posts ORDER BY published_at DESC LIMIT 1"))
        survey = q(sa.text("SELECT id FROM surveys WHERE status = 'open' ORDER BY id LIMIT 1"))
        # A member in the middle of the ids who supports projects.
        member = q(sa.text("SELECT user_id FROM project_supports WHERE user_id >= "
                           "(SELECT max(id) / 2 FROM users WHERE role = 'member') "
                           "ORDER BY user_id LIMIT 1"))
    projects = {name: url.replace("?lang=ky&", "?").replace("?lang=ky", "")
                for name, who, url in project_pages(app) if who is None}
    return [
        Page("home", "/"),
        Page("news list", "/news/"),
        Page("news post", f"/news/{post}"),
        Page("project list", projects["list, first page"]),
        Page("project page (typical)", projects["project, typical"]),
        Page("project page (busiest)", projects["project, busiest (most supporters)"]),
        Page("survey list (member)", "/surveys/", member=True),
        Page("survey (member answers)", f"/surveys/{survey}", member=True),
        Page("insights", "/insights/"),
        Page("account (member)", "/account", member=True),
    ], member


# ----------------------------------------------------------------------------- the server

def start_gunicorn(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
         "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, dict, bytes]:
    """One GET without following redirects (a member page that sends to the login page
    must not count as 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped: " + server.stderr.read().decode()[-2000:])
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


def process_cpu(pid: int, children_too: bool = False) -> float:
    """Seconds of CPU a process used (and the workers it reaped, for gunicorn's master)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children_too:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return sorted(found)


def gunicorn_cpu(master: int) -> float:
    """The master, its live workers, and (through the master's reaped-children times) the
    workers that restarted."""
    return process_cpu(master, children_too=True) + sum(
        process_cpu(worker) for worker in children(master))


def machine_cpu() -> tuple[float, float]:
    """(busy, total) seconds of all cores so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


class CpuWatch:
    def __init__(self, master: int) -> None:
        self.master = master
        self.gunicorn = gunicorn_cpu(master)
        self.busy, self.total = machine_cpu()

    def shares(self, seconds: float) -> dict[str, float]:
        busy, total = machine_cpu()
        return {"gunicorn": 100 * (gunicorn_cpu(self.master) - self.gunicorn)
                / (seconds * CORES),
                "machine": 100 * (busy - self.busy) / max(1e-9, total - self.total)}


# --------------------------------------------------------------------------------- the runs

def measure(url: str, page: Page | None, args: argparse.Namespace, script: str,
            master: int, cookie: str) -> dict:
    watch = CpuWatch(master)
    result = wrk(url, args.seconds, args.connections, script,
                 headers=[f"Cookie: {cookie}"] if page is not None and page.member else ())
    result.update(watch.shares(result["seconds"]))
    result["wrk_cpu"] = 100 * result["cpu"] / result["seconds"]
    return result


def mix(base: str, pages: list[Page], args: argparse.Namespace, master: int,
        cookie: str) -> tuple[dict, dict[int, list[tuple[float, int]]]]:
    entries = ", ".join(
        "{" + json.dumps(p.path) + (", {Cookie = " + json.dumps(cookie) + "}" if p.member
                                    else ", {}") + "}" for p in pages)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(MIX_SCRIPT % {"pages": "{" + entries + "}"})
    watch = CpuWatch(master)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            ["wrk", f"-t{args.connections}", f"-c{args.connections}",
             f"-d{args.seconds:g}s", "--timeout=30s", "-s", script.name, base + "/"],
            capture_output=True, text=True, check=True, timeout=args.seconds + 120).stdout
    finally:
        os.unlink(script.name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples: dict[int, list[tuple[float, int]]] = {i: [] for i in range(len(pages))}
    seconds = args.seconds
    for line in out.splitlines():
        if line.startswith("SECONDS "):
            seconds = float(line.split()[1])
        elif line.startswith("SAMPLE "):
            _, index, ms, status = line.split()
            samples[int(index) - 1].append((float(ms), int(status)))
    summary = {"seconds": seconds,
               "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}
    summary["wrk_cpu"] = 100 * summary["cpu"] / seconds
    summary.update(watch.shares(seconds))
    return summary, samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="each run's length")
    parser.add_argument("--connections", type=int, default=None,
                        help="wrk connections (default: one per gunicorn worker)")
    parser.add_argument("--workers", type=int, default=None,
                        help="GUNICORN_WORKERS (default: the config's 2 x cores + 1)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data already there when its size matches")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt install wrk).")
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    workers = args.workers or 2 * CORES + 1
    args.connections = args.connections or workers

    port = free_port()
    access_log = tempfile.NamedTemporaryFile(suffix=".log", delete=False)  # noqa: SIM115
    access_log.close()
    env = {**os.environ, "DATABASE_URL": database_url, "MEKENDESH_ENV": "production",
           "SECRET_KEY": "bench-load-" + "x" * 40, "RATELIMIT_ENABLED": "0",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "GUNICORN_ACCESS_LOG": access_log.name, "GUNICORN_LOG_LEVEL": "warning"}
    # The same settings as the server's, so the member's cookie is signed with its key.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, environ=env)
    wanted = (args.members, args.posts, 1)
    if args.reuse and counts(app) == wanted:
        print("reusing the data already there", flush=True)
    else:
        build(app, args.members, args.posts)
    with app.app_context():
        # As in production (the install steps and the sender's housekeeping): the insights are
        # counted and stored before the site serves them. Otherwise each worker counts them
        # itself at its first /insights/ (seconds with a million members) and that, not the
        # pages, is what the runs measure.
        from diaspora.insights.service import refresh_if_due

        started = time.monotonic()
        if refresh_if_due():
            print(f"insights counted and stored: {time.monotonic() - started:.1f} s", flush=True)
    pages, member = choose_pages(app)
    cookie = member_cookie(app, member)
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM projects), "
            "(SELECT count(*) FROM project_supports), (SELECT count(*) FROM news_posts), "
            "pg_size_pretty(pg_database_size(current_database()))")).one()
        db.engine.dispose()

    server = start_gunicorn(env)
    base = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    load_before = os.getloadavg()
    try:
        wait_until_up(port, server)
        for page in pages:  # warm every worker; a page this tree lacks is reported, not run
            for _ in range(2 * workers):
                page.status, headers, _body = get(port, page.path,
                                                  cookie if page.member else None)
                if page.status != 200:
                    break
            if page.member and "Set-Cookie" in headers:
                print(f"note: {page.path} rewrote the member's session cookie")
        measured = [p for p in pages if p.status == 200]
        trivial = [measure(base + "/healthz", None, args, script.name, server.pid, cookie)]
        for page in measured:
            page.results = measure(base + page.path, page, args, script.name, server.pid,
                                   cookie)
        trivial.append(measure(base + "/healthz", None, args, script.name, server.pid,
                               cookie))
        mixed, samples = mix(base, measured, args, server.pid, cookie)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
        os.unlink(script.name)
    load_after = os.getloadavg()
    logged = sum(1 for _ in open(access_log.name, encoding="utf-8", errors="replace"))
    os.unlink(access_log.name)

    yardstick = statistics.mean(t["rps"] for t in trivial)
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}: "
          f"{CORES} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}"
          f" GiB, Python {platform.python_version()}; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"data: {rows[0]:,} users, {rows[1]:,} projects, {rows[2]:,} supports, "
          f"{rows[3]:,} posts; database {rows[4]}")
    print(f"gunicorn: deploy/gunicorn.conf.py, {workers} sync workers, MEKENDESH_ENV=production,"
          f" access log on ({logged:,} lines); wrk: {args.connections} connections, "
          f"{args.seconds:g} s a run")
    header = (f"{'page':28} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'ratio':>6} "
              f"{'wrk CPU':>8} {'gunicorn':>9} {'machine':>8}")
    print("\neach page alone (CPU: wrk in % of one core; gunicorn and machine in % of all "
          f"{CORES} cores)")
    print(header)

    def row(name: str, r: dict, ratio: str) -> str:
        problems = r.get("errors", 0) + r.get("non2xx", 0)
        return (f"{name:28} {r['rps']:7.1f} {r['p50']:7.1f} {r['p95']:7.1f} {ratio:>6} "
                f"{r['wrk_cpu']:7.1f}% {r['gunicorn']:8.0f}% {r['machine']:7.0f}%"
                + (f"  {problems} errors/non-2xx" if problems else ""))

    print(row("/healthz (before)", trivial[0], "1"))
    for page in measured:
        print(row(page.name, page.results, f"{page.results['rps'] / yardstick:.3f}"))
    print(row("/healthz (after)", trivial[1], "1"))
    for page in pages:
        if page.status != 200:
            print(f"{page.name:28} not measured: {page.path} answered {page.status}"
                  + (" (not in this tree)" if page.status == 404 else ""))

    total = sum(len(s) for s in samples.values())
    print(f"\nall pages mixed, in turn on every connection: {total / mixed['seconds']:.1f} "
          f"req/s in all; wrk CPU {mixed['wrk_cpu']:.1f}% of one core, gunicorn "
          f"{mixed['gunicorn']:.0f}%, machine {mixed['machine']:.0f}%")
    print(f"{'page':28} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'non-200':>8}")
    for index, page in enumerate(measured):
        times = [ms for ms, _status in samples[index]]
        if not times:
            print(f"{page.name:28} no answer")
            continue
        bad = sum(1 for _ms, status in samples[index] if status != 200)
        print(f"{page.name:28} {len(times) / mixed['seconds']:7.1f} "
              f"{statistics.median(times):7.1f} {percentile(times, 0.95):7.1f} {bad:8d}")


if __name__ == "__main__":
    main()

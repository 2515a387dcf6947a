"""Soak: the bot, the sender and the web together for a while under a steady mix.

    createdb -h 127.0.0.1 -U postgres soak_big
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/soak_big \\
        .venv/bin/python bench/soak.py [--seconds 600] [--update-rate 100] [--send-rate 25] \\
                                       [--web-rate 50] [--members 100000] [--reuse]

The database named by DATABASE_URL is WIPED (unless --reuse finds a data set of the same
size), then filled set-based by bench/load.py's builder (--members members, a tenth as many
projects, three supports a member, --posts posts, an open survey), and every member is made
reachable on Telegram (a chat id). One broadcast to all of them is enqueued at the start.

Each piece runs as its own process, as in production:
- the Bot API double of bench/bot_capacity.py (asyncio, its own process), which also drives
  the updates: a Poisson process at --update-rate from simulated members doing a realistic
  mix (registration, then menu, news, profile, projects, a stale button, free text, help);
  here it also counts the sender's messages to the broadcast's chats;
- the real bot, `python -m bot`, long polling the double (TELEGRAM_API_URL);
- the sender, `python -m bot.sender`, at TELEGRAM_RATE=--send-rate;
- gunicorn with deploy/gunicorn.conf.py (MEKENDESH_ENV=production), driven from this
  process by an open-loop aiohttp client at --web-rate requests a second, evenly spaced,
  over home, news list, a news post, the project list, a project and insights in turn.

The bot's replies and the sender do not share one budget here (no TELEGRAM_REDIS_URL, and
the bot runs with a budget it never reaches, as in bench/bot_capacity.py): 100 replies a
second is past Telegram's 30 anyway, and the point is the sender's 25 a second beside them.

Every --sample seconds it reads each process's resident memory (/proc/PID/status, VmRSS)
and the broadcast's progress. At the end it prints each process's RSS at the start, the
middle and the end, and the growth; errors (ERROR/Traceback lines in the bot's, the
sender's and gunicorn's logs during the window, web answers other than 2xx and failed
requests, the double's own failures, the broadcast's failed rows); the broadcast's sent
count against what --send-rate allows in the window, and its ETA; the bot's reply latency;
the web's achieved rate and latency a page; the CPU of this harness and of the double.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bot_capacity import TOKEN, Double, Member, cpu_seconds  # noqa: E402
from bench.enqueue import enqueue_once  # noqa: E402
from bench.load import (  # noqa: E402
    build,
    children,
    choose_pages,
    counts,
    get,
    machine_cpu,
    start_gunicorn,
    wait_until_up,
)
from bench.pages import free_port  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402

CORES = os.cpu_count() or 1
CHAT_BASE = 1_000_000_000  # the data set's members: chat id = CHAT_BASE + user id
# The pages of the web mix (names as bench/load.py's choose_pages gives them).
WEB_PAGES = ("home", "news list", "news post", "project list", "project page (typical)",
             "insights")
ERROR_LINE = re.compile(r"\bERROR\b|\bCRITICAL\b|Traceback")


# ----------------------------------------------------------------------------- the double

class SoakDouble(Double):
    """bench/bot_capacity.py's double, with its simulated members' ids chosen per run (a
    reused data set keeps the members an earlier run registered), counting the messages to
    other chats (the broadcast's) and its own failures."""

    def __init__(self, members: int, first: int) -> None:
        super().__init__(0)
        self.members = [Member(first + n) for n in range(members)]
        self.by_chat = {m.user_id: m for m in self.members}
        self.failures = 0
        self.failure_samples: list[str] = []
        self.broadcast_sends = 0
        self.per_second: collections.Counter[int] = collections.Counter()

    async def handle(self, request):  # noqa: ANN001, ANN201
        from aiohttp import web

        try:
            return await super().handle(request)
        except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
            self.failures += 1
            if len(self.failure_samples) < 5:
                self.failure_samples.append(f"{request.match_info.get('method')}: {error!r}")
            return web.json_response({"ok": False, "error_code": 500,
                                      "description": "double failed"}, status=500)

    def message_sent(self, method: str, params: dict) -> dict:
        if method == "sendMessage" and int(params.get("chat_id") or 0) not in self.by_chat:
            self.broadcast_sends += 1
            self.per_second[int(time.time())] += 1
        return super().message_sent(method, params)


def double_process(members: int, first: int, conn) -> None:  # noqa: ANN001
    """Serves the Bot API; on the parent's order drives the updates for its seconds."""
    from aiohttp import web

    async def main() -> None:
        double = SoakDouble(members, first)
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", double.handle)
        app.router.add_route("GET", "/bot{token}/{method}", double.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        conn.send({"port": site._server.sockets[0].getsockname()[1]})  # noqa: SLF001
        await double.ready.wait()
        conn.send({"ready": True})
        loop = asyncio.get_running_loop()
        order = await loop.run_in_executor(None, conn.recv)
        if order is not None:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            run = await double.drive(order["rate"], order["seconds"])
            conn.send({"sent": run.sent, "skipped": run.skipped, "first": run.first,
                       "last": run.last, "replies": run.replies,
                       "cpu": time.process_time() - cpu0, "wall": time.perf_counter() - wall0,
                       "failures": double.failures, "failure_samples": double.failure_samples,
                       "broadcast_sends": double.broadcast_sends,
                       "max_in_1s": max(double.per_second.values(), default=0)})
            await loop.run_in_executor(None, conn.recv)  # the parent's word to stop
        await runner.cleanup()

    asyncio.run(main())


# ------------------------------------------------------------------------------- the data

def prepare(app, members: int, posts: int, reuse: bool) -> None:  # noqa: ANN001
    found = counts(app)
    # An earlier run's simulated members registered through the bot: more members is fine.
    if reuse and found[0] >= members and found[1:] == (posts, 1):
        print("reusing the data set already there", flush=True)
    else:
        build(app, members, posts)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE users SET telegram_chat_id = :base + id WHERE role = 'member' "
            "AND id < :base AND telegram_chat_id IS NULL"), {"base": CHAT_BASE})
        # A fresh broadcast each run: the outbox of an earlier one goes.
        conn.execute(sa.text("DELETE FROM outbox"))
        conn.execute(sa.text("DELETE FROM broadcasts"))
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE users"))
        conn.execute(sa.text("VACUUM ANALYZE outbox"))
    # What housekeeping does on a running site (every INSIGHTS_REFRESH_SECONDS): without
    # stored tables /insights/ counts them for each answer (seconds a request).
    from diaspora.insights.service import refresh

    with app.app_context():
        started = time.monotonic()
        scopes = refresh()
        print(f"insights counted for {scopes} scopes: {time.monotonic() - started:.1f} s",
              flush=True)


def broadcast_state(app, broadcast_id: int) -> dict:  # noqa: ANN001
    from diaspora.delivery import service as delivery

    with app.app_context():
        state = delivery.progress(delivery.get_broadcast(broadcast_id)).as_dict()
        db.session.remove()
        return state


# -------------------------------------------------------------------------- the processes

def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def processes(named: dict[str, int], gunicorn: int) -> dict[str, int]:
    """Every process measured, by name; gunicorn's workers by pid (a restarted worker is a
    new name, so a restart shows)."""
    result = dict(named)
    result["gunicorn master"] = gunicorn
    for pid in children(gunicorn):
        result[f"gunicorn worker {pid}"] = pid
    return result


def errors_in(path: str, upto: int) -> tuple[int, list[str]]:
    with open(path, encoding="utf-8", errors="replace") as log:
        text = log.read(upto)
    lines = [line for line in text.splitlines() if ERROR_LINE.search(line)]
    return len(lines), lines[:5]


def stop(process: subprocess.Popen, sig: int = signal.SIGINT, group: bool = False) -> None:
    if process.poll() is not None:
        return
    if group:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# ---------------------------------------------------------------------------- the web load

async def drive_web(base: str, paths: list[tuple[str, str]], rate: float, seconds: float,
                    max_in_flight: int) -> dict:
    """Open loop: a request every 1/rate seconds (pages in turn) whatever the answers, so a
    slow server shows as latency and requests in flight, not as a lower offered rate. When
    `max_in_flight` requests are already waiting, the tick is counted as not sent."""
    import aiohttp

    samples: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in paths}
    failures: list[str] = []
    in_flight = 0
    not_sent = 0
    tasks: set[asyncio.Task] = set()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=max_in_flight)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def one(name: str, path: str) -> None:
            nonlocal in_flight
            in_flight += 1
            started = time.perf_counter()
            try:
                async with session.get(base + path, allow_redirects=False) as answer:
                    await answer.read()
                    samples[name].append((time.perf_counter() - started, answer.status))
            except Exception as error:  # noqa: BLE001 - a failed request is a figure
                failures.append(f"{name}: {error!r}")
            finally:
                in_flight -= 1

        start = time.perf_counter()
        tick = 0
        while True:
            due = start + tick / rate
            if due - start >= seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            name, path = paths[tick % len(paths)]
            tick += 1
            if in_flight >= max_in_flight:
                not_sent += 1
                continue
            task = asyncio.create_task(one(name, path))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        window = time.perf_counter() - start
        if tasks:
            await asyncio.wait(tasks, timeout=35)
    return {"samples": samples, "failures": failures, "ticks": tick, "not_sent": not_sent,
            "window": window}


async def sample_loop(app, every: float, seconds: float, pids: dict[str, int],  # noqa: ANN001
                      gunicorn: int, broadcast_id: int, out: list[dict]) -> None:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    n = 0
    while True:
        due = start + n * every
        if due - start > seconds + 0.5:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        now = time.perf_counter() - start
        named = processes(pids, gunicorn)
        rss = {name: rss_mb(pid) for name, pid in named.items()}
        state = await loop.run_in_executor(None, broadcast_state, app, broadcast_id)
        out.append({"t": now, "rss": rss, "sent": state["sent"], "load": os.getloadavg()[0]})
        n += 1


# ---------------------------------------------------------------------------------- report

def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def print_memory(samples: list[dict], seconds: float) -> None:
    names = []
    for sample in samples:
        names.extend(n for n in sample["rss"] if n not in names)
    middle = min(samples, key=lambda s: abs(s["t"] - seconds / 2))
    settled = min(samples, key=lambda s: abs(s["t"] - seconds / 10))
    first, last = samples[0], samples[-1]
    print(f"\nresident memory (MB), sampled every {samples[1]['t'] - samples[0]['t']:.0f} s "
          f"({len(samples)} samples); 'settled' is t={settled['t']:.0f} s, after the "
          "first tenth")
    print(f"{'process':28} {'start':>7} {'settled':>8} {'middle':>7} {'end':>7} {'max':>7} "
          f"{'growth':>8} {'after settled':>14}")
    total = {"start": 0.0, "settled": 0.0, "middle": 0.0, "end": 0.0}
    for name in names:
        values = [s["rss"].get(name) for s in samples]
        present = [v for v in values if v is not None]

        a, b, m, z = (s["rss"].get(name) for s in (first, settled, middle, last))
        for key, value in (("start", a), ("settled", b), ("middle", m), ("end", z)):
            total[key] += value or 0.0

        def fmt(v: float | None) -> str:
            return f"{v:7.1f}" if v is not None else f"{'-':>7}"

        growth = f"{z - a:+7.1f}" if a is not None and z is not None else f"{'-':>7}"
        after = f"{z - b:+7.1f}" if b is not None and z is not None else f"{'-':>7}"
        print(f"{name:28} {fmt(a)} {fmt(b):>8} {fmt(m)} {fmt(z)} "
              f"{max(present) if present else 0:7.1f} {growth:>8} {after:>14}")
    print(f"{'all':28} {total['start']:7.1f} {total['settled']:8.1f} {total['middle']:7.1f} "
          f"{total['end']:7.1f} {'':7} {total['end'] - total['start']:+8.1f} "
          f"{total['end'] - total['settled']:+14.1f}")


def main() -> int:  # noqa: C901, PLR0912, PLR0915 - one run, printed in order
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--update-rate", type=float, default=100.0, help="updates a second")
    parser.add_argument("--send-rate", type=float, default=25.0,
                        help="the sender's TELEGRAM_RATE (broadcast messages a second)")
    parser.add_argument("--web-rate", type=float, default=50.0, help="web requests a second")
    parser.add_argument("--members", type=int, default=100_000,
                        help="members in the data set, all reachable on Telegram")
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--bot-members", type=int, default=0,
                        help="simulated members of the bot (default: 10 x update rate + 50, "
                             "enough to keep the rate with replies taking seconds)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--workers", type=int, default=None,
                        help="GUNICORN_WORKERS (default: the config's 2 x cores + 1)")
    parser.add_argument("--max-in-flight", type=int, default=100,
                        help="web requests waiting at once before a tick is not sent")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data set already there when its size matches")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    workers = args.workers or 2 * CORES + 1
    bot_members = args.bot_members or int(args.update_rate * 10) + 50
    logs = Path(tempfile.mkdtemp(prefix="soak-"))

    port = free_port()
    web_env = {**os.environ, "DATABASE_URL": database_url, "MEKENDESH_ENV": "production",
               "SECRET_KEY": "bench-soak-" + "x" * 40, "RATELIMIT_ENABLED": "0",
               "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
               "GUNICORN_ACCESS_LOG": str(logs / "access.log"),
               "GUNICORN_LOG_LEVEL": "warning"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, environ=web_env)
    load_at_start = os.getloadavg()
    started = time.monotonic()
    prepare(app, args.members, args.posts, args.reuse)
    pages, _member = choose_pages(app)
    paths = [(p.name, p.path) for p in pages if p.name in WEB_PAGES]
    with app.app_context():
        reachable = db.session.scalar(sa.text(
            "SELECT count(*) FROM users WHERE telegram_chat_id IS NOT NULL AND active"))
    seconds, total = enqueue_once(app)
    with app.app_context():
        broadcast_id = db.session.scalar(sa.text("SELECT max(id) FROM broadcasts"))
        db.engine.dispose()
    print(f"data set ready in {time.monotonic() - started:.0f} s: {reachable:,} members "
          f"reachable on Telegram; broadcast {broadcast_id} enqueued for {total:,} in "
          f"{seconds:.1f} s", flush=True)

    # The double, in its own process; its simulated members' ids are new each run.
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    first_member = 700_000_000 + (int(time.time()) % 100_000) * 1000
    double = context.Process(target=double_process, args=(bot_members, first_member, child),
                             daemon=True)
    double.start()
    api = f"http://127.0.0.1:{parent.recv()['port']}"
    tg_env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
              "TELEGRAM_API_URL": api, "SITE_URL": "http://bench.test",
              "TELEGRAM_REDIS_URL": "", "MEKENDESH_ENV": "production",
              "SECRET_KEY": web_env["SECRET_KEY"]}
    server = start_gunicorn(web_env)
    gunicorn_log = open(logs / "gunicorn.log", "wb")  # noqa: SIM115
    # start_gunicorn pipes stderr (its error log): copy it to a file as it comes.
    copier = subprocess.Popen(["cat"], stdin=server.stderr, stdout=gunicorn_log)
    bot_log = open(logs / "bot.log", "w")  # noqa: SIM115
    bot = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT,
                           # As deploy/systemd/mekendesh-bot.service runs it: the outbox
                           # is the sender's alone (BOT_RUN_SENDER=0).
                           env={**tg_env, "TELEGRAM_RATE": "1000000", "BOT_RUN_SENDER": "0"},
                           stdout=bot_log, stderr=subprocess.STDOUT)
    sender_log = open(logs / "sender.log", "w")  # noqa: SIM115
    sender = None
    result: dict = {}
    web: dict = {}
    samples: list[dict] = []
    try:
        wait_until_up(port, server)
        statuses = {}
        for name, path in paths:  # warm every worker, and see that each page answers
            for _ in range(2 * workers):
                statuses[name] = get(port, path)[0]
        if not parent.poll(120):
            raise SystemExit(f"the bot did not start; its log: {logs / 'bot.log'}")
        parent.recv()
        sender = subprocess.Popen(
            [sys.executable, "-m", "bot.sender"], cwd=ROOT,
            env={**tg_env, "TELEGRAM_RATE": str(args.send_rate)},
            stdout=sender_log, stderr=subprocess.STDOUT)
        named = {"harness (this process)": os.getpid(), "Bot API double": double.pid,
                 "bot": bot.pid, "sender": sender.pid}
        print(f"started: gunicorn {server.pid} ({workers} workers), bot {bot.pid}, sender "
              f"{sender.pid}, double {double.pid}; warm-up statuses "
              + ", ".join(f"{n} {s}" for n, s in statuses.items()), flush=True)
        time.sleep(2)  # the sender's start (it imports the application) before the clock

        async def run() -> dict:
            loop = asyncio.get_running_loop()
            parent.send({"rate": args.update_rate, "seconds": args.seconds})
            answer = loop.run_in_executor(None, parent.recv)
            sampler = asyncio.create_task(sample_loop(
                app, args.sample, args.seconds, named, server.pid, broadcast_id, samples))
            web.update(await drive_web(f"http://127.0.0.1:{port}", paths, args.web_rate,
                                       args.seconds, args.max_in_flight))
            await sampler
            return await answer

        cpu0, wall0 = time.process_time(), time.perf_counter()
        machine0 = machine_cpu()
        bot_cpu0, sender_cpu0 = cpu_seconds(bot.pid), cpu_seconds(sender.pid)
        result = asyncio.run(run())
        wall = time.perf_counter() - wall0
        harness_cpu = time.process_time() - cpu0
        machine1 = machine_cpu()
        bot_cpu, sender_cpu = cpu_seconds(bot.pid) - bot_cpu0, cpu_seconds(sender.pid) - sender_cpu0
        # The logs up to here are the window's; what stopping writes is not counted.
        ends = {name: (logs / name).stat().st_size
                for name in ("bot.log", "sender.log", "gunicorn.log")}
        alive = {"bot": bot.poll() is None, "sender": sender.poll() is None,
                 "gunicorn": server.poll() is None, "double": double.is_alive()}
        state = broadcast_state(app, broadcast_id)
    finally:
        if sender is not None:
            stop(sender, signal.SIGTERM)
        stop(bot)
        stop(server, signal.SIGINT, group=True)  # quick shutdown: the window is over
        copier.wait(10)
        parent.send(None)
        double.join(10)
        for log in (bot_log, sender_log, gunicorn_log):
            log.close()
    load_at_end = os.getloadavg()

    # ------------------------------------------------------------------------ the report
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}: "
          f"{CORES} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f}"
          f" GiB, Python {platform.python_version()}; load average {load_at_start[0]:.1f} "
          f"before, {load_at_end[0]:.1f} after, "
          f"{min(s['load'] for s in samples):.1f}-{max(s['load'] for s in samples):.1f} "
          f"during; machine CPU busy "
          f"{100 * (machine1[0] - machine0[0]) / max(1e-9, machine1[1] - machine0[1]):.0f} %")
    print(f"soak: {wall:.0f} s; updates {args.update_rate:g}/s, broadcast at "
          f"{args.send_rate:g}/s, web {args.web_rate:g}/s; {bot_members} simulated members of "
          f"the bot; gunicorn {workers} sync workers; "
          f"{reachable:,} members reachable; logs in {logs}")
    print("still running at the end: " + ", ".join(f"{k} {'yes' if v else 'NO'}"
                                                  for k, v in alive.items()))
    print_memory(samples, args.seconds)

    first = result["first"]
    print(f"\nbot: {result['sent']:,} updates sent ({result['sent'] / args.seconds:.1f}/s), "
          f"{len(first):,} answered, {result['sent'] - len(first):,} without an answer, "
          f"{result['skipped']} arrivals skipped (no idle simulated member); reply latency "
          f"(to the first message) p50 {statistics.median(first) * 1000 if first else 0:.0f} "
          f"ms, p95 {percentile(first, 0.95) * 1000:.0f} ms, p99 "
          f"{percentile(first, 0.99) * 1000:.0f} ms; to the last message p95 "
          f"{percentile(result['last'], 0.95) * 1000:.0f} ms; bot CPU "
          f"{100 * bot_cpu / wall:.0f} % of one core "
          f"({1000 * bot_cpu / max(1, result['sent']):.1f} ms an update)")

    elapsed = samples[-1]["t"] if samples else args.seconds
    sent = state["sent"]
    expected = args.send_rate * (wall + 2)  # the sender started 2 s before the clock
    remaining = state["queued"] + state["sending"]
    achieved = sent / (wall + 2)
    eta = remaining / achieved if achieved else float("inf")
    print(f"\nbroadcast {broadcast_id}: {sent:,} of {state['total']:,} sent "
          f"({100 * sent / max(1, state['total']):.1f} %), {state['failed']} failed, "
          f"{state['blocked']} blocked, {remaining:,} still to send; "
          + ("COMPLETED" if not remaining else
             f"not completed (as expected: {state['total'] / args.send_rate:.0f} s needed at "
             "this rate)"))
    print(f"  sent / expected at {args.send_rate:g}/s over the window: {sent:,} / "
          f"{expected:,.0f} = {sent / max(1, expected):.3f}; achieved {achieved:.2f}/s; the "
          f"double counted {result['broadcast_sends']:,} broadcast messages, at most "
          f"{result['max_in_1s']} in any one second; ETA of the rest at this pace "
          f"{eta / 60:.0f} min; sender CPU {100 * sender_cpu / wall:.1f} % of one core")
    if len(samples) >= 3:
        steps = [(b["sent"] - a["sent"]) / (b["t"] - a["t"])
                 for a, b in zip(samples, samples[1:], strict=False) if b["t"] > a["t"]]
        print(f"  rate each {args.sample:g} s: min {min(steps):.1f}/s, max {max(steps):.1f}/s "
              f"over {elapsed:.0f} s")

    print(f"\nweb: {web['ticks']:,} requests due at {args.web_rate:g}/s, "
          f"{web['not_sent']:,} not sent ({args.max_in_flight} already waiting); answered "
          f"{sum(len(s) for s in web['samples'].values()):,} "
          f"({sum(len(s) for s in web['samples'].values()) / web['window']:.1f}/s reached)")
    print(f"{'page':26} {'answers':>8} {'p50 ms':>7} {'p95 ms':>7} {'non-2xx':>8}")
    non2xx = 0
    for name, _path in paths:
        times = [t * 1000 for t, _s in web["samples"][name]]
        bad = sum(1 for _t, s in web["samples"][name] if not 200 <= s < 300)
        non2xx += bad
        print(f"{name:26} {len(times):8,} "
              f"{statistics.median(times) if times else float('nan'):7.0f} "
              f"{percentile(times, 0.95):7.0f} {bad:8d}")

    bot_errors, bot_lines = errors_in(str(logs / "bot.log"), ends["bot.log"])
    sender_errors, sender_lines = errors_in(str(logs / "sender.log"), ends["sender.log"])
    web_errors, web_lines = errors_in(str(logs / "gunicorn.log"), ends["gunicorn.log"])
    print(f"\nerrors: bot log {bot_errors}, sender log {sender_errors}, gunicorn log "
          f"{web_errors}, web non-2xx {non2xx}, web requests failed {len(web['failures'])}, "
          f"double failures {result['failures']}, broadcast rows failed {state['failed']}")
    for label, lines in (("bot", bot_lines), ("sender", sender_lines), ("gunicorn", web_lines),
                         ("web", web["failures"][:5]), ("double", result["failure_samples"])):
        for line in lines:
            print(f"  {label}: {line[:200]}")
    print(f"\nCPU: harness (this process: web client, sampling) {100 * harness_cpu / wall:.1f} % "
          f"of one core; the double (Bot API and the members) "
          f"{100 * result['cpu'] / result['wall']:.1f} % of one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())

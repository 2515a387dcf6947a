"""Broadcast benchmark: enqueue for N members, then send against the loopback Bot API double.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/broadcast.py --members 1000000 --rate 1000

The database named by DATABASE_URL is WIPED (schema dropped and recreated from the models).
Reports: enqueue seconds (one INSERT ... SELECT), the sender's throughput as achieved /
configured rate over a sending window (then at 25/s), the most messages the double saw in
any one second, and the sender's peak memory and CPU (it runs as its own process,
`python -m bot.sender`, exactly as in production; the double runs in this process).

`--paid` sends the broadcast in the paid lane (TELEGRAM_PAID_BROADCASTS, allow_paid_broadcast
on every message, at --rate); otherwise --rate is TELEGRAM_RATE. `--senders N` starts N
sender processes sharing the one rate through Redis (--redis-url, TELEGRAM_REDIS_URL).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diaspora import create_app  # noqa: E402
from diaspora.delivery import service as delivery  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from tests.telegram.bot_api_double import BotApiDouble  # noqa: E402


def prepare(app, members: int) -> float:  # noqa: ANN001
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        started = time.monotonic()
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (role, locale, telegram_chat_id, active, broadcasts_paused, "
                "privacy_version, privacy_accepted_at, created_at) "
                "SELECT 'member', (ARRAY['ky','ru','en'])[1 + i % 3], "
                "1000000000 + i, true, false, '2026-11', now(), now() "
                "FROM generate_series(1, :n) AS i"
            ), {"n": members})
            conn.execute(sa.text(
                "INSERT INTO profiles (user_id, country_code, skills, wants_to_invest, "
                "wants_to_volunteer, interest_sectors, notify_news, notify_surveys, "
                "notify_projects, notify_by_email, updated_at) SELECT id, "
                "(ARRAY['RU','KZ','TR','KR'])[1 + id % 4], '[]', false, false, '[]', true, "
                "true, true, false, now() FROM users"
            ))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        return time.monotonic() - started


def enqueue(app) -> tuple[float, int]:  # noqa: ANN001
    with app.app_context():
        started = time.monotonic()
        broadcast = delivery.enqueue_broadcast(
            None, subject="bench", template="news",
            params={"title": {"ky": "Жаңылык", "ru": "Новость", "en": "News"},
                    "summary": {"ky": "Кыска маалымат " * 10, "ru": "Коротко " * 10,
                                "en": "In short " * 10},
                    "url": "/news/1"},
        )
        db.session.commit()
        seconds = time.monotonic() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE outbox"))
        return seconds, broadcast.total


def send_window(database_url: str, tg: BotApiDouble, rate: float, seconds: float,
                concurrency: int, senders: int = 1, *, paid: bool = False,
                redis_url: str = "") -> dict:
    """Run `senders` processes of `python -m bot.sender` sharing `rate` for `seconds`;
    measure the rate the double received (after a 2 s warm-up), each sender's peak
    resident memory and the senders' CPU time."""
    tg.clear()
    harness_started = time.process_time(), time.monotonic()
    env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": tg.token,
           "TELEGRAM_API_URL": tg.url, "TELEGRAM_RATE": str(rate),
           "TELEGRAM_SEND_RATE": str(rate / senders),  # the variable of the tree before
           "TELEGRAM_REDIS_URL": redis_url if senders > 1 else ""}
    if paid:
        env.update(TELEGRAM_PAID_BROADCASTS="1", TELEGRAM_PAID_RATE=str(rate))
    processes = [subprocess.Popen(
        [sys.executable, "-m", "bot.sender", "--max-seconds", str(seconds),
         *(["--concurrency", str(concurrency)] if concurrency else [])], cwd=ROOT, env=env,
    ) for _ in range(senders)]
    peak_kb = 0
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    while any(process.poll() is None for process in processes):
        for process in processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu[process.pid] = (int(fields[11]) + int(fields[12])) / ticks
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        time.sleep(0.2)
    # The double runs in this process: its CPU share shows whether it, not the sender, set
    # the pace (near 100 % of a core it would be the bottleneck).
    harness_share = ((time.process_time() - harness_started[0])
                     / (time.monotonic() - harness_started[1]))
    times = sorted(t for chat in tg.sends_per_chat.values() for t in chat)
    cpu_seconds = sum(cpu.values())
    if len(times) < 2:
        return {"sent": len(times), "achieved": 0.0, "ratio": 0.0, "peak_mb": peak_kb / 1024,
                "cpu_ms": 0.0}
    start = times[0] + 2.0
    end = times[-1]
    steady = [t for t in times if start <= t <= end]
    achieved = len(steady) / (end - start) if end > start else len(times) / (end - times[0])
    paid_flags = sum(1 for call in tg.calls_of("sendMessage", ok_only=True)
                     if call.params.get("allow_paid_broadcast") is True)
    return {"sent": len(times), "achieved": achieved, "ratio": achieved / rate,
            "peak_mb": peak_kb / 1024, "max_in_1s": tg.max_sends_in_window(1.0),
            "cpu_ms": 1000 * cpu_seconds / len(times), "paid_flags": paid_flags,
            "harness": harness_share}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--send-seconds", type=float, default=25.0)
    parser.add_argument("--slow-rate", type=float, default=25.0)
    parser.add_argument("--slow-seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="requests in flight (default: the sender's own, rate / 10)")
    parser.add_argument("--http", default="",
                        help="DELIVERY_HTTP for a tree from before bot/http.py (stream, httpx)")
    parser.add_argument("--senders", type=int, default=1,
                        help="sender processes sharing the outbox and the rate (via Redis)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14",
                        help="TELEGRAM_REDIS_URL for --senders > 1")
    parser.add_argument("--paid", action="store_true",
                        help="paid broadcasts: allow_paid_broadcast at --rate")
    args = parser.parse_args()
    if args.http:
        os.environ["DELIVERY_HTTP"] = args.http
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database that may be wiped.")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})

    print(f"members: {args.members:,}; tree {ROOT}; {args.http or 'aiohttp'}"
          f"{'; paid broadcasts' if args.paid else ''}")
    print(f"generate members: {prepare(app, args.members):.1f} s")
    seconds, total = enqueue(app)
    print(f"enqueue (one INSERT ... SELECT): {total:,} rows in {seconds:.1f} s "
          f"({total / seconds:,.0f} rows/s)")
    with BotApiDouble() as tg:
        fast = send_window(database_url, tg, args.rate, args.send_seconds, args.concurrency,
                           args.senders, paid=args.paid, redis_url=args.redis_url)
        print(f"send at {args.rate:g}/s for {args.send_seconds:g} s with {args.senders} "
              f"sender(s): {fast['sent']:,} sent, "
              f"{fast['achieved']:.0f}/s achieved, ratio {fast['ratio']:.3f}, "
              f"max in any 1 s {fast.get('max_in_1s')}, sender CPU {fast['cpu_ms']:.2f} ms/msg, "
              f"peak RSS {fast['peak_mb']:.0f} MB, allow_paid_broadcast on "
              f"{fast.get('paid_flags', 0):,}; the double (this process) used "
              f"{fast.get('harness', 0):.0%} of a core")
        slow = send_window(database_url, tg, args.slow_rate, args.slow_seconds, 0)
        print(f"send at {args.slow_rate:g}/s for {args.slow_seconds:g} s: {slow['sent']:,} sent, "
              f"{slow['achieved']:.1f}/s achieved, ratio {slow['ratio']:.3f}, "
              f"max in any 1 s {slow.get('max_in_1s')}, sender peak RSS {slow['peak_mb']:.0f} MB")
    with app.app_context():
        broadcast = delivery.get_broadcast(1)
        progress = delivery.progress(broadcast)
        print("progress:", progress.as_dict())


if __name__ == "__main__":
    main()

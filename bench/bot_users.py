"""Quick load check of the bot: N simulated members register at the same time.

    .venv/bin/python bench/bot_users.py --users 100 [--database-url URL] [--latency 0.05]

Runs the real bot (`python -m bot`, its own process: HTTP stack, handlers, database,
persistence) against the Bot API test double on loopback, in this process, each simulated
member in its own thread doing /start, language, "I agree", country, city. Prints how long
each reply took (injection of the update -> the bot's answer at the double): median, 95th
percentile and worst, and the total time. BENCH_PROFILE=file.prof profiles the bot.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diaspora import create_app  # noqa: E402
from tests.telegram import bot_api_double  # noqa: E402
from tests.telegram.bot_api_double import BotApiDouble  # noqa: E402

# The double is a stdlib ThreadingHTTPServer with a listen backlog of 5; the bot opens up to
# 64 connections at once, as it may with api.telegram.org. A deeper backlog, for the bench.
bot_api_double._Server.request_queue_size = 256


def setup_app(url: str | None):  # noqa: ANN201
    from flask_migrate import upgrade

    from diaspora.places.service import load_gazetteer

    url = url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SITE_URL": "http://bench.test",
            "BOT_PERSISTENCE_INTERVAL": 2.0,
        }
    )
    with app.app_context():
        upgrade()
        load_gazetteer()
    return app


class BenchDouble(BotApiDouble):
    """The double, plus one queue per chat of what the bot sent there: the simulated members
    wait on their own queue instead of all waking up at every call (which would make the
    harness, not the bot, the bottleneck)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.inbox: dict[int, queue.Queue] = defaultdict(queue.Queue)

    def _record_locked(self, method, params, token, error, result=None):  # noqa: ANN001, ANN201
        answer = super()._record_locked(method, params, token, error, result)
        if error is None and method in ("sendMessage", "editMessageText"):
            self.inbox[params.get("chat_id")].put({"message": result})
        return answer


def member(tg: BenchDouble, user_id: int, latencies: list[float], errors: list[str]) -> None:
    user = tg.make_user(user_id, language_code="ru")
    inbox = tg.inbox[user.id]

    def step(push, expect: int) -> dict:  # noqa: ANN001
        t0 = time.perf_counter()
        push()
        try:
            got = [inbox.get(timeout=60) for _ in range(expect)]
        except queue.Empty:
            raise AssertionError(f"no answer to chat {user.id} within 60 s") from None
        latencies.append(time.perf_counter() - t0)
        return got[-1]

    try:
        last = step(lambda: tg.send_command(user, "start"), 1)
        last = step(lambda: tg.press_button(user, last["message"], "lang:ru"), 2)
        last = step(lambda: tg.press_button(user, last["message"], "consent:yes"), 2)
        last = step(lambda: tg.press_button(user, last["message"], "ct:RU"), 2)
        step(lambda: tg.send_text(user, "Москва"), 2)
    except AssertionError as error:
        errors.append(str(error)[:200])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the double adds to every send (a slow network)",
    )
    args = parser.parse_args()

    app = setup_app(args.database_url)
    root = Path(__file__).resolve().parent.parent
    with BenchDouble(max_poll_timeout=1.0, latency=args.latency) as tg:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.url,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SITE_URL": "http://bench.test",
            # The bot's own cost is measured, not Telegram's 30 a second (bot/budget.py).
            "TELEGRAM_RATE": os.environ.get("TELEGRAM_RATE", "100000"),
        }
        log = tempfile.NamedTemporaryFile("w", suffix="-bot.log", delete=False)  # noqa: SIM115
        profile = (
            ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
            if os.environ.get("BENCH_PROFILE")
            else []
        )
        process = subprocess.Popen(
            [sys.executable, *profile, "-m", "bot"],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        tg.wait_for_call(
            "setMyCommands", lambda c: c.params.get("language_code") == "en", timeout=60
        )
        latencies: list[float] = []
        errors: list[str] = []
        workers = [
            threading.Thread(target=member, args=(tg, 900_000_000 + n, latencies, errors))
            for n in range(args.users)
        ]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        total = time.perf_counter() - t0
        process.send_signal(signal.SIGINT)
        process.wait(30)
        log.close()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0
    print(
        f"{args.users} simulated members, 5 steps each, {len(latencies)} replies in "
        f"{total:.1f} s ({len(latencies) / total:.0f} replies/s); database "
        f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}"
    )
    if latencies:
        print(
            f"reply latency: median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms"
        )
    print(f"errors: {len(errors)}", *errors[:3], sep="\n  ")
    print(f"bot log: {log.name}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""The bot's capacity, measured so that the harness is not what is measured.

    .venv/bin/python bench/bot_capacity.py [--rates 50,100,200,400] [--seconds 20]
                                           [--database-url URL]

Three processes: the real bot (`python -m bot`: its HTTP client, handlers, database,
persistence), a minimal Bot API double built on asyncio (aiohttp) in a process of its own,
and this one, which only starts them and prints. The double also drives the load: updates
arrive at a steady rate with exponential gaps (a Poisson process), each from a simulated
member who is not waiting for an answer, doing the next step of a realistic mix:
registration (/start, language, consent, country, city), then /menu, News, /profile,
Projects, a stale button, free text, /help, round and round.

For each rate it reports the replies a second, the latency of an update (its arrival at the
double, to the bot's first message, or edit, in that chat: what the member sees) at the
50th, 95th and 99th percentile, the same to the bot's last message, the bot's CPU time per
update, and the double's own CPU share, which shows whether the harness kept up. The last
line names the highest rate whose p95 stayed under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN = "123456:bench-capacity"  # noqa: S105 - the double accepts any token
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Mekendesh", "username": "mekendesh_bot"}
FIRST_MEMBER = 700_000_000
# After a member's last message, how long they "read" before they may act again: an answer
# may come as two messages (an edit and a new question), and a member answers the second.
READ_SECONDS = 0.25

# The mix: registration once, then these round and round. ("text", ...) is a message,
# ("press", data) a button of the last message, ("stale", data) a button of an old message.
# ("label", text) presses the last message's first button whose label contains `text`.
REGISTRATION = [("text", "/start"), ("press", "lang:ru"), ("press", "consent:yes"),
                ("press", "ct:RU"), ("text", "Москва"), ("text", "Кара-Суу"), ("label", ""),
                ("label", "Пропустить"), ("press", "rp:later"), ("press", "rm:sometimes"),
                ("label", ""), ("label", "Готово")]
LOOP = [("text", "/menu"), ("press", "m:news"), ("text", "/profile"), ("text", "/menu"),
        ("press", "m:projects"), ("stale", "lang:ky"), ("text", "Салам, бул жөн гана текст"),
        ("text", "/help")]


@dataclass
class Member:
    user_id: int
    step: int = 0
    busy_since: float | None = None  # when the update waiting for an answer arrived
    first_at: float | None = None
    last_at: float | None = None
    first_message: dict | None = None
    last_message: dict | None = None
    idle_from: float = 0.0
    acted: str = ""

    def next_action(self) -> tuple[str, str]:
        if self.step < len(REGISTRATION):
            return REGISTRATION[self.step]
        return LOOP[(self.step - len(REGISTRATION)) % len(LOOP)]


@dataclass
class Run:
    rate: float
    seconds: float
    sent: int = 0
    skipped: int = 0  # arrivals with no idle member (too few members: should stay 0)
    first: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    replies: int = 0
    answers: dict = field(default_factory=dict)


class Double:
    """Just enough of the Bot API for the bot, and the members who use it."""

    def __init__(self, members: int) -> None:
        self.members = [Member(FIRST_MEMBER + n) for n in range(members)]
        self.by_chat = {m.user_id: m for m in self.members}
        self.by_callback: dict[str, Member] = {}
        self.updates: list[dict] = []
        self.next_update_id = 1
        self.next_message_id = 1
        self.new_update = asyncio.Event()
        self.ready = asyncio.Event()
        self.run: Run | None = None

    # -- the Bot API ---------------------------------------------------------------------
    async def handle(self, request):  # noqa: ANN001, ANN201
        from aiohttp import web

        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        result = await self.call(method, params)
        return web.json_response({"ok": True, "result": result})

    async def call(self, method: str, params: dict):  # noqa: ANN201
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self.get_updates(params)
        if method == "setMyCommands":
            if params.get("language_code") == "en":
                self.ready.set()
            return True
        if method in ("sendMessage", "editMessageText", "sendPhoto", "editMessageReplyMarkup"):
            return self.message_sent(method, params)
        if method == "answerCallbackQuery" and params.get("text"):
            # A toast ("this button is no longer valid") is an answer the member sees.
            member = self.by_callback.pop(str(params.get("callback_query_id")), None)
            if member is not None:
                self.answered(member, "toast: " + str(params["text"]))
        return True

    async def get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout:
            self.new_update.clear()
            try:
                await asyncio.wait_for(self.new_update.wait(), min(timeout, 1.0))
            except TimeoutError:
                pass
        return self.updates[:100]

    def message_sent(self, method: str, params: dict) -> dict:
        chat_id = int(params.get("chat_id") or 0)
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if method == "editMessageText" or method == "editMessageReplyMarkup":
            message_id = int(params.get("message_id") or 0)
        else:
            message_id = self.next_message_id
            self.next_message_id += 1
        message = {"message_id": message_id, "from": BOT_USER, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "M"},
                   "text": params.get("text") or params.get("caption") or ""}
        if markup:
            message["reply_markup"] = markup
        member = self.by_chat.get(chat_id)
        if member is not None:
            if member.first_message is None:
                member.first_message = message
            member.last_message = message
            self.answered(member, message["text"])
        return message

    def answered(self, member: Member, text: str) -> None:
        now = time.perf_counter()
        if member.busy_since is not None:
            if self.run is not None:
                self.run.replies += 1
            if member.first_at is None:
                member.first_at = now
                if self.run is not None:
                    self.run.first.append(now - member.busy_since)
                    # What each step of the mix was answered with: shows the mix is real.
                    self.run.answers.setdefault(member.acted, {}).setdefault(
                        " ".join(text.split())[:40], 0)
                    self.run.answers[member.acted][" ".join(text.split())[:40]] += 1
            member.last_at = now
        member.idle_from = now + READ_SECONDS

    # -- the members ---------------------------------------------------------------------
    def push(self, update: dict) -> None:
        update["update_id"] = self.next_update_id
        self.next_update_id += 1
        self.updates.append(update)
        self.new_update.set()

    def act(self, member: Member, now: float) -> None:
        if member.busy_since is not None and member.last_at is not None and self.run:
            self.run.last.append(member.last_at - member.busy_since)
        kind, value = member.next_action()
        user = {"id": member.user_id, "is_bot": False, "first_name": "Member",
                "language_code": "ru"}
        chat = {"id": member.user_id, "type": "private", "first_name": "Member"}
        if kind == "text":
            message = {"message_id": self.next_message_id, "from": user, "chat": chat,
                       "date": int(time.time()), "text": value}
            self.next_message_id += 1
            if value.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(value.split()[0])}]
            update = {"message": message}
        else:
            shown = member.first_message if kind == "stale" else member.last_message
            shown = shown or {"message_id": 1, "from": BOT_USER, "chat": chat,
                              "date": int(time.time()), "text": "?"}
            if kind == "label":
                value = button_data(shown, value)
            self.by_callback[str(self.next_update_id)] = member
            update = {"callback_query": {"id": str(self.next_update_id), "from": user,
                                         "message": shown, "chat_instance": "bench",
                                         "data": value}}
        member.step += 1
        member.acted = f"{kind} {value}"
        member.busy_since, member.first_at, member.last_at = now, None, None
        member.idle_from = float("inf")  # until the bot answers
        self.push(update)

    async def drive(self, rate: float, seconds: float) -> Run:
        """Arrivals at `rate` a second on average, exponential gaps, for `seconds`."""
        run = self.run = Run(rate, seconds)
        generator = random.Random(rate)
        start = time.perf_counter()
        due = start
        while due - start < seconds:
            due += generator.expovariate(rate)
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            idle = [m for m in self.members if m.idle_from <= now]
            if not idle:
                run.skipped += 1
                continue
            self.act(generator.choice(idle), now)
            run.sent += 1
        await asyncio.sleep(3)  # the answers still on their way
        self.run = None
        for member in self.members:
            member.idle_from = min(member.idle_from, time.perf_counter())
        return run


def button_data(message: dict, label: str) -> str:
    """The callback data of the message's first button whose label contains `label`."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    for row in rows:
        for button in row:
            if label in button.get("text", "") and button.get("callback_data"):
                return button["callback_data"]
    return "none"


def double_process(members: int, conn) -> None:  # noqa: ANN001
    """The double's process: serves the Bot API and runs each rate the parent asks for."""
    from aiohttp import web

    async def main() -> None:
        double = Double(members)
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", double.handle)
        app.router.add_route("GET", "/bot{token}/{method}", double.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        conn.send({"port": port})
        await double.ready.wait()
        conn.send({"ready": True})
        loop = asyncio.get_running_loop()
        while True:
            order = await loop.run_in_executor(None, conn.recv)
            if order is None:
                break
            cpu0, wall0 = time.process_time(), time.perf_counter()
            run = await double.drive(order["rate"], order["seconds"])
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            conn.send({"sent": run.sent, "skipped": run.skipped, "first": run.first,
                       "last": run.last, "replies": run.replies, "cpu": cpu, "wall": wall,
                       "answers": run.answers})
        await runner.cleanup()

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="50,100,200,400")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--members", type=int, default=0,
                        help="simulated members (default: enough for the highest rate)")
    parser.add_argument("--database-url")
    parser.add_argument("--show-answers", action="store_true",
                        help="print what each step of the mix was answered with")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    members = args.members or int(max(rates) * 1.5) + 50

    from bench.bot_users import setup_app

    app = setup_app(args.database_url)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    parent, child = multiprocessing.get_context("spawn").Pipe()
    double = multiprocessing.get_context("spawn").Process(
        target=double_process, args=(members, child), daemon=True)
    double.start()
    port = parent.recv()["port"]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SITE_URL": "http://bench.test",
           # The bot's own cost is measured, not Telegram's 30 a second (bot/budget.py).
           "TELEGRAM_RATE": "1000000"}
    log = tempfile.NamedTemporaryFile("w", suffix="-bot.log", delete=False)  # noqa: SIM115
    # BENCH_PROFILE=file.prof: the bot runs under cProfile (slower; for finding costs only).
    profile = (["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
               if os.environ.get("BENCH_PROFILE") else [])
    bot = subprocess.Popen([sys.executable, *profile, "-m", "bot"], cwd=root, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    best = None
    try:
        if not parent.poll(90):
            raise SystemExit(f"the bot did not start; its log: {log.name}")
        parent.recv()
        print(f"bot capacity on {database}, {members} simulated members, "
              f"{args.seconds:.0f} s a rate, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'rate/s':>7} {'sent':>6} {'replies/s':>9} {'first p50':>9} {'p95':>6} "
              f"{'p99':>6} {'last p95':>8} {'bot CPU ms/upd':>14} {'double CPU':>10} "
              f"{'skipped':>7}")
        for rate in rates:
            bot_cpu0 = cpu_seconds(bot.pid)
            parent.send({"rate": rate, "seconds": args.seconds})
            result = parent.recv()
            bot_cpu = cpu_seconds(bot.pid) - bot_cpu0
            first, last = result["first"], result["last"]
            answered = len(first)
            p95 = percentile(first, 0.95)
            print(f"{rate:7.0f} {result['sent']:6d} {answered / args.seconds:9.1f} "
                  f"{statistics.median(first) * 1000 if first else float('nan'):7.0f}ms "
                  f"{p95 * 1000:4.0f}ms {percentile(first, 0.99) * 1000:4.0f}ms "
                  f"{percentile(last, 0.95) * 1000:6.0f}ms "
                  f"{bot_cpu * 1000 / max(result['sent'], 1):14.1f} "
                  f"{result['cpu'] / result['wall'] * 100:9.0f}% {result['skipped']:7d}")
            if args.show_answers:
                for step, texts in sorted(result["answers"].items()):
                    print(f"        {step}: {texts}")
            if answered < result["sent"]:
                print(f"        {result['sent'] - answered} updates had no answer")
            if p95 < 0.3 and answered >= result["sent"] * 0.99:
                best = rate
    finally:
        bot.send_signal(signal.SIGINT)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
        parent.send(None)
        double.join(10)
        log.close()
    print(f"highest rate with p95 under 300 ms: {best if best is not None else 'none'} "
          f"updates/s (goal: 300); bot log: {log.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

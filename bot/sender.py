"""The outbox sender: sends queued Telegram messages at Telegram's pace.

Runs inside the bot process (`await run_sender(flask_app, stop_event=...)`) or on its own:

    python -m bot.sender [--rate 30] [--paid-rate 1000] [--batch 200] [--worker-id NAME]

How it works:

* a claimer leases batches of due rows (see diaspora/delivery/worker.py) and keeps a small
  local queue topped up, so sending never waits for the database;
* workers send them within Telegram's budget (bot/budget.py): one rate shared with the bot's
  replies (TELEGRAM_RATE, 30 a second by default; replies go first), broadcast rows in a paid
  lane of up to 1000 a second with `allow_paid_broadcast` when TELEGRAM_PAID_BROADCASTS is
  on, and never more than one message a second to the same chat;
* a recorder writes every outcome as soon as the previous write finished, so at a SIGKILL
  only the messages in flight (accepted by Telegram, not yet recorded) can go out twice;
* 429 pauses every worker for `retry_after`; 403 marks the member unreachable and skips
  their other rows; timeouts and 5xx are retried with exponential backoff up to
  DELIVERY_MAX_ATTEMPTS, then the row fails with the error kept; 400 fails at once.

With TELEGRAM_REDIS_URL set, every sender and bot process shares one budget through Redis;
without it the budget is per process (one sender, in the bot or beside it, works as is).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot import budget as budgets
from bot.http import AiohttpRequest
from bot.runtime import retry_after_seconds
from diaspora.delivery import housekeeping, states, worker
from diaspora.delivery.models import FAILED, SENT

log = logging.getLogger("bot.sender")

MAX_RATE = budgets.MAX_PAID_RATE
CANCEL_CHECK_SECONDS = 1.0
CHAT_INTERVAL = budgets.CHAT_INTERVAL


class Sender:
    def __init__(
        self,
        flask_app: Flask,
        bot: Bot,
        *,
        rate: float | None = None,
        paid_rate: float | None = None,
        budget: budgets.TelegramBudget | None = None,
        batch_size: int | None = None,
        lease_seconds: float | None = None,
        max_attempts: int | None = None,
        retry_base: float | None = None,
        chat_interval: float = CHAT_INTERVAL,
        concurrency: int | None = None,
        owner: str | None = None,
        idle_interval: float = 0.5,
        housekeeping: Iterable[Callable[[], Any]] = (),
        housekeeping_interval: float = 30.0,
    ) -> None:
        config = flask_app.config
        self.app = flask_app
        self.bot = bot
        if budget is None:
            # The process's budget, shared with the bot's replies when it runs in the bot;
            # an explicit rate (tests, benches) gets a budget of its own.
            explicit = rate is not None or paid_rate is not None or chat_interval != CHAT_INTERVAL
            budget = (budgets.build(config, rate=rate, paid_rate=paid_rate,
                                    chat_interval=chat_interval)
                      if explicit else budgets.for_app(flask_app))
            self.own_budget = explicit
        else:
            self.own_budget = False
        self.budget = budget
        self.paid = budget.paid is not None
        self.rate = max(budget.free.rate, budget.paid.rate if budget.paid else 0.0)
        self.batch_size = batch_size or max(20, min(2000, int(self.rate * 2)))
        self.lease_seconds = float(lease_seconds or config["DELIVERY_LEASE_SECONDS"])
        self.max_attempts = int(max_attempts or config["DELIVERY_MAX_ATTEMPTS"])
        self.retry_base = float(retry_base if retry_base is not None
                                else config["DELIVERY_RETRY_BASE_SECONDS"])
        # Requests in flight at once: enough to cover Telegram's latency at the rate (about
        # rate x 0.1 s), bounded so the HTTP pool stays cheap.
        self.concurrency = int(concurrency or config["DELIVERY_CONCURRENCY"]
                               or max(8, min(64, int(self.rate / 10))))
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.idle_interval = idle_interval
        self.housekeeping = list(housekeeping)
        self.housekeeping_interval = housekeeping_interval
        self.pacer = budget.pacer
        self.sent = 0
        self.failed = 0
        self._queue: asyncio.Queue[worker.Job] = asyncio.Queue()
        self._held: set[int] = set()  # ids leased to us and not yet recorded
        self._outcomes: list[states.Outcome] = []
        self._outcome_event = asyncio.Event()
        self._blocked_chats: set[int] = set()
        self._cancelled: set[int] = set()
        self._in_flight = 0
        self._stopping = False

    # -- database calls, each in a thread inside an app context -------------------------------

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        def call() -> Any:
            with self.app.app_context():
                try:
                    return function(*args)
                finally:
                    from diaspora.extensions import db

                    db.session.remove()

        return await asyncio.to_thread(call)

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, stop_event: asyncio.Event | None = None, *, until_idle: bool = False,
                  max_seconds: float | None = None) -> None:
        """Send until `stop_event` is set (or, with `until_idle`, until the outbox is empty)."""
        stop = stop_event or asyncio.Event()
        deadline = time.monotonic() + max_seconds if max_seconds else None
        try:
            await self._db(states.reclaim_expired, self.owner)
        except Exception:  # noqa: BLE001  (the claim loop retries; expired leases wait)
            log.exception("could not reclaim leases at start")
        claimer_done = asyncio.Event()
        tasks = [asyncio.create_task(self._work(claimer_done)) for _ in range(self.concurrency)]
        recorder = asyncio.create_task(self._record_loop())
        try:
            while True:
                try:
                    await self._claim_loop(stop, until_idle, deadline)
                    break
                except Exception:  # noqa: BLE001  (database away: wait, then go on)
                    log.exception("sender loop failed; retrying in 5 s")
                    await self._sleep(stop, 5.0)
        finally:
            claimer_done.set()
            if stop.is_set() or (deadline and time.monotonic() >= deadline):
                # Stopping: hand back what we hold but have not started.
                unsent = []
                while not self._queue.empty():
                    unsent.append(self._queue.get_nowait().id)
                    self._queue.task_done()
                self._held.difference_update(unsent)
                with contextlib.suppress(Exception):
                    await self._db(states.release, self.owner, unsent)
            await self._queue.join()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._stopping = True
            self._outcome_event.set()
            await asyncio.gather(recorder, return_exceptions=True)
            await self._flush()

    async def _claim_loop(self, stop: asyncio.Event, until_idle: bool,
                          deadline: float | None) -> None:
        last_reclaim = last_housekeeping = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if deadline and now >= deadline:
                return
            if now - last_reclaim > max(1.0, self.lease_seconds / 4):
                last_reclaim = now
                await self._db(states.reclaim_expired)
            if self.housekeeping and now - last_housekeeping > self.housekeeping_interval:
                last_housekeeping = now
                for function in self.housekeeping:
                    try:
                        await self._db(function)
                    except Exception:  # noqa: BLE001
                        log.exception("sender housekeeping job %s failed",
                                      getattr(function, "name", function))
            if self._queue.qsize() < self.batch_size // 2:
                jobs = await self._db(worker.claim, self.owner, self.batch_size,
                                      self.lease_seconds)
                for job in jobs:
                    self._held.add(job.id)
                    self._queue.put_nowait(job)
                if jobs:
                    continue
                if until_idle and self._queue.empty() and not self._in_flight:
                    await self._wait_recorded()
                    if not await self._db(states.pending_count):
                        return
                await self._sleep(stop, self.idle_interval)
            else:
                await self._sleep(stop, 0.02)

    async def _wait_recorded(self) -> None:
        while self._outcomes:
            await asyncio.sleep(0.01)

    @staticmethod
    async def _sleep(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def _work(self, claimer_done: asyncio.Event) -> None:
        while True:
            job = await self._queue.get()
            self._in_flight += 1
            try:
                outcome = await self._process(job)
            except Exception as error:  # noqa: BLE001  (never let one row kill a worker)
                log.exception("unexpected error sending outbox row %s", job.id)
                outcome = self._retry_or_fail(job, f"unexpected: {error!r}")
            finally:
                self._in_flight -= 1
            if outcome.status == SENT:
                self.sent += 1
            elif outcome.status == FAILED:
                self.failed += 1
            self._outcomes.append(outcome)
            self._outcome_event.set()
            self._queue.task_done()

    async def _process(self, job: worker.Job) -> states.Outcome:
        """Send one message; what happened is decided by diaspora/delivery/states.py."""
        if job.skip:
            return states.not_sent(job, job.skip, job.reason)
        rate_limited = 0
        while True:
            async with self.pacer.turn(job.chat_id):
                if job.chat_id in self._blocked_chats:
                    return states.blocked(job, attempted=False)
                if job.broadcast_id is not None and job.broadcast_id in self._cancelled:
                    return states.cancelled(job)
                # Broadcast rows take the paid lane when it is on; notifications always
                # stay within the free budget they share with the bot's replies.
                paid = self.paid and job.broadcast_id is not None
                lane = self.budget.lane(paid)
                await lane.acquire()
                try:
                    await post_message(self.bot, job.chat_id, job.text, paid=paid)
                except RetryAfter as error:
                    wait = retry_after_seconds(error)
                    log.warning("Telegram asks to wait %.1f s (429)", wait)
                    await lane.pause(wait)
                    rate_limited += 1
                    if rate_limited > 10:
                        return self._retry_or_fail(job, str(error), count=False)
                    continue
                except Forbidden as error:
                    self._blocked_chats.add(job.chat_id)
                    return states.blocked(job, f"{type(error).__name__}: {error}")
                except InvalidToken as error:
                    log.error("the bot token is refused: %s", error)
                    return self._retry_or_fail(job, str(error))
                except BadRequest as error:
                    return states.failed(job, f"{type(error).__name__}: {error}")
                except TelegramError as error:  # TimedOut, NetworkError, 5xx
                    return self._retry_or_fail(job, f"{type(error).__name__}: {error}")
                return states.sent(job)

    def _retry_or_fail(self, job: worker.Job, error: str, *, count: bool = True
                       ) -> states.Outcome:
        return states.retry_or_fail(job, error, max_attempts=self.max_attempts,
                                    retry_base=self.retry_base, count=count)

    # -- recording ------------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        last_lease = last_cancel_check = time.monotonic()
        while not self._stopping:
            waiter = asyncio.ensure_future(self._outcome_event.wait())
            await asyncio.wait([waiter], timeout=0.5)
            waiter.cancel()
            self._outcome_event.clear()
            await self._flush()
            now = time.monotonic()
            if now - last_cancel_check > CANCEL_CHECK_SECONDS:
                # A cancelled broadcast stops within about a second, even for rows we hold.
                last_cancel_check = now
                broadcasts = {job.broadcast_id for job in list(self._queue._queue)  # noqa: SLF001
                              if job.broadcast_id is not None}
                self._cancelled = await self._db(worker.cancelled_broadcasts, broadcasts)
                self.pacer.prune()
            if now - last_lease > self.lease_seconds / 3:
                last_lease = now
                await self._db(states.extend_lease, self.owner, list(self._held),
                               self.lease_seconds)

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        try:
            await self._db(states.record, outcomes)
        except Exception:
            log.exception("could not record %d outcomes; retrying", len(outcomes))
            self._outcomes[:0] = outcomes
            await asyncio.sleep(1.0)
            self._outcome_event.set()
            return
        self._held.difference_update(o.id for o in outcomes)


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def post_message(bot: Bot, chat_id: int, text: str, *, paid: bool = False) -> None:
    """sendMessage as `Bot.send_message` sends it (same parameters, same errors raised), but
    without turning Telegram's answer into a `Message`: the sender never reads it, and
    building it was an eighth of the sender's CPU at 1000 messages a second."""
    data: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML,
                            "link_preview_options": _NO_PREVIEW}
    if paid:
        data["allow_paid_broadcast"] = True
    # `_post` is what every `Bot.send_*` method calls (python-telegram-bot 20-22): it
    # serialises the parameters, applies the request's timeouts and maps HTTP errors.
    await bot._post("sendMessage", data)  # noqa: SLF001


def make_bot(flask_app: Flask, *, concurrency: int = 64) -> Bot:
    """A Bot for the sender with its own connection pool (a broadcast never queues the bot's
    replies behind it), on the one HTTP client (bot/http.py)."""
    config = flask_app.config
    request = AiohttpRequest(concurrency + 4, read_timeout=10.0, write_timeout=10.0,
                             connect_timeout=5.0, pool_timeout=10.0,
                             proxy=config.get("TELEGRAM_PROXY") or None)
    return Bot(config["TELEGRAM_BOT_TOKEN"], base_url=f"{config['TELEGRAM_API_URL']}/bot",
               request=request)


async def run_sender(flask_app: Flask, *, bot: Bot | None = None,
                     stop_event: asyncio.Event | None = None, until_idle: bool = False,
                     max_seconds: float | None = None, **options: Any) -> Sender:
    """Run a sender in the current event loop (inside the bot process, or alone)."""
    own_bot = bot is None
    sender_bot = bot or make_bot(flask_app, concurrency=options.get("concurrency") or 64)
    options = {key: value for key, value in options.items() if value is not None}
    sender = Sender(flask_app, sender_bot, **options)
    if own_bot:
        await sender_bot.initialize()
    try:
        await sender.run(stop_event, until_idle=until_idle, max_seconds=max_seconds)
    finally:
        if sender.own_budget:
            await sender.budget.close()
        if own_bot:
            await sender_bot.shutdown()
    log.info("sender %s stopped: %d sent, %d failed", sender.owner, sender.sent, sender.failed)
    return sender


# -- inside the bot process -------------------------------------------------------------------

_IN_BOT: dict[str, Any] = {}


def _enabled(flask_app: Flask) -> bool:
    value = flask_app.config.get("BOT_RUN_SENDER")
    if value is None or value == "":
        return not flask_app.testing
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


async def start_in_bot(application: Any) -> None:
    """POST_INIT hook of the bot: run a sender beside the handlers (BOT_RUN_SENDER=0 turns
    it off, e.g. when senders run as their own processes). It has its own HTTP pool, so a
    broadcast never queues the bot's replies."""
    from bot.runtime import FLASK_APP_KEY

    flask_app = application.bot_data[FLASK_APP_KEY]
    if not _enabled(flask_app) or "task" in _IN_BOT:
        return
    stop = asyncio.Event()
    _IN_BOT["stop"] = stop
    _IN_BOT["task"] = asyncio.create_task(
        run_sender(flask_app, stop_event=stop, housekeeping=housekeeping.jobs(flask_app))
    )


async def stop_in_bot(application: Any) -> None:
    stop, task = _IN_BOT.pop("stop", None), _IN_BOT.pop("task", None)
    if stop is not None and task is not None:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sender",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float,
                        help="free messages a second (TELEGRAM_RATE), shared with the bot")
    parser.add_argument("--paid-rate", type=float,
                        help="paid broadcast messages a second (TELEGRAM_PAID_RATE)")
    parser.add_argument("--batch", type=int, help="rows claimed at a time")
    parser.add_argument("--lease", type=float, help="seconds a claim is held")
    parser.add_argument("--concurrency", type=int, help="requests in flight at once")
    parser.add_argument("--worker-id", help="a stable name: on restart, take back its leases")
    parser.add_argument("--until-idle", action="store_true", help="stop when nothing is left")
    parser.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    args = parser.parse_args(argv)

    from diaspora import create_app

    app = create_app()
    if not app.config.get("TELEGRAM_BOT_TOKEN"):
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set.")

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_sender(app, stop_event=stop, until_idle=args.until_idle,
                         max_seconds=args.max_seconds, rate=args.rate, paid_rate=args.paid_rate,
                         batch_size=args.batch,
                         lease_seconds=args.lease, owner=args.worker_id,
                         concurrency=args.concurrency,
                         housekeeping=housekeeping.jobs(app))

    asyncio.run(serve())


if __name__ == "__main__":
    main()

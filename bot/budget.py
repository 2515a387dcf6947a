"""One Telegram budget for the bot's replies and the outbox sender.

Telegram lets a bot send about 30 messages a second across all chats, one a second to a
chat; the bot's replies to members count too. So every message Mekendesh sends draws on
one budget of `TELEGRAM_RATE` messages a second (30 by default):

* replies first: a bot's reply (`spend`) takes the next token, ahead of the sender, so a
  member pressing a button during a broadcast is answered at once (within one token's
  time: a thirtieth of a second at 30/s);
* the sender (`acquire`) takes what replies leave, one token per message.

Paid broadcasts (`TELEGRAM_PAID_BROADCASTS`, off by default) have their own lane: broadcast
rows go out with `allow_paid_broadcast=True` at up to `TELEGRAM_PAID_RATE` (at most 1000) a
second, while notifications and replies stay in the free budget.

The budget is a token bucket sized so that no one-second window holds more than the rate:
a burst of `capacity` (rate / 50, at least one) and a refill of `rate - capacity` less 1 %
for the jitter between us and Telegram. Within one process it lives in memory; with
`TELEGRAM_REDIS_URL` set, every process on every machine shares it through one Redis key,
updated by a Lua script (Redis runs a script atomically and it reads Redis's own clock, so
machines whose clocks differ still agree). The same goes for the one-message-a-second pace
per chat: a key per chat that lives for the interval.

Lua token bucket (see `_TAKE`): tokens refill at `refill` a second up to `capacity`; a
`send` or `reply` call takes one token if there is one and otherwise answers how long to
wait; a reply that has to wait marks the bucket so that senders leave it the next token; a
429 (`pause`) stops everyone until Telegram's `retry_after` has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

from flask import Flask

FREE_RATE = 30.0
MAX_PAID_RATE = 1000.0
# Telegram allows about one message a second to a chat; a little margin absorbs jitter.
CHAT_INTERVAL = 1.05
JITTER_MARGIN = 0.01
IN_FLIGHT_MS = 15_000


def bucket_shape(rate: float) -> tuple[float, float]:
    """(capacity, refill a second) such that no one-second window exceeds `rate`."""
    capacity = max(1.0, rate / 50)
    refill = max(0.05, (rate - capacity) * (1 - JITTER_MARGIN)) if rate > 1 else rate
    return capacity, refill


class LocalBucket:
    """The budget inside one process."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.capacity, self.refill = bucket_shape(self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.paused_until = 0.0
        self.replies_waiting = 0
        self._lock = asyncio.Lock()

    def _top_up(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill)
        self.updated = now
        return now

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends until `seconds` from now."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = min(self.tokens, 0.0)

    async def spend(self) -> None:
        """A reply takes the next token, ahead of any waiting sender (at 30 a second that is
        at most a thirtieth of a second away unless other replies are queued)."""
        self.replies_waiting += 1
        try:
            while True:
                self._top_up()
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self.tokens) / self.refill)
        finally:
            self.replies_waiting -= 1

    async def acquire(self) -> None:
        """Wait for a token (the sender): one waiter at a time, after any waiting reply."""
        async with self._lock:
            while True:
                now = self._top_up()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                if self.tokens >= 1.0 and not self.replies_waiting:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep(max(0.001, (1.0 - self.tokens) / self.refill))

    async def close(self) -> None:
        return None


# KEYS[1] the bucket; ARGV: capacity, refill a second, mode ("send" | "reply" | "pause"),
# seconds (pause only). Answers the seconds to wait as a string ("0" = taken). A reply that
# must wait marks the bucket so that senders let it have the next token.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local mode = ARGV[3]
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused', 'reply')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local paused = tonumber(state[3]) or 0
local reply = tonumber(state[4]) or 0
tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill)
local wait = 0
if mode == 'pause' then
  paused = math.max(paused, now + tonumber(ARGV[4]))
  tokens = math.min(tokens, 0)
elseif mode == 'reply' then
  if tokens >= 1 then
    tokens = tokens - 1
  else
    wait = (1 - tokens) / refill
    reply = math.max(reply, now + wait + 0.05)
  end
elseif now < paused then
  wait = paused - now
elseif tokens >= 1 and now >= reply then
  tokens = tokens - 1
else
  wait = math.max(0.001, (1 - tokens) / refill)
  if now < reply then wait = math.max(wait, math.min(reply - now, 1 / refill)) end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now),
           'paused', tostring(paused), 'reply', tostring(reply))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""


class RedisBucket:
    """The budget shared through Redis by every process that names the same key."""

    def __init__(self, rate: float, client: Any, key: str) -> None:
        self.rate = float(rate)
        self.capacity, self.refill = bucket_shape(self.rate)
        self.client = client
        self.key = key
        self._script = client.register_script(_TAKE)
        self._lock = asyncio.Lock()  # one sender worker per process asks Redis at a time

    async def _call(self, mode: str, seconds: float = 0.0) -> float:
        answer = await self._script(keys=[self.key],
                                    args=[self.capacity, self.refill, mode, seconds])
        return float(answer)

    async def pause(self, seconds: float) -> None:
        await self._call("pause", seconds)

    async def spend(self) -> None:
        while (wait := await self._call("reply")) > 0:
            await asyncio.sleep(wait)

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := await self._call("send")) > 0:
                await asyncio.sleep(wait)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.aclose()


class LocalChatPacer:
    """Never more than one message a second to the same chat (inside one process): sends
    to one chat take turns, each `interval` after the previous one was answered."""

    def __init__(self, interval: float = CHAT_INTERVAL) -> None:
        self.interval = interval
        self.last: dict[int, float] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        lock = self.locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            wait = self.last.get(chat_id, -1e9) + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self.last[chat_id] = time.monotonic()

    def prune(self) -> None:
        horizon = time.monotonic() - self.interval
        for chat_id in [c for c, t in self.last.items() if t < horizon]:
            lock = self.locks.get(chat_id)
            if lock is None or not lock.locked():
                self.last.pop(chat_id, None)
                self.locks.pop(chat_id, None)


class RedisChatPacer(LocalChatPacer):
    """The same across processes: a chat's key is taken (SET NX) while a message to it is in
    flight, and left behind for `interval` after the answer, so the next message to the
    chat, from any process, starts no sooner than the local pacer would allow."""

    def __init__(self, client: Any, prefix: str, interval: float = CHAT_INTERVAL) -> None:
        super().__init__(interval)
        self.client = client
        self.prefix = prefix

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        async with super().turn(chat_id):
            key = f"{self.prefix}{chat_id}"
            # In flight: held at most this long (a process killed mid-send frees it).
            while not await self.client.set(key, b"1", nx=True, px=IN_FLIGHT_MS):
                left = await self.client.pttl(key)
                await asyncio.sleep(max(0.005, min(1.0, (left if left and left > 0 else 5)
                                                   / 1000)))
            try:
                yield
            finally:
                await self.client.set(key, b"1", px=int(self.interval * 1000))


class TelegramBudget:
    """Everything that paces messages to Telegram in this process: the free budget, the paid
    lane (or None) and the per-chat pace."""

    def __init__(self, free: Any, paid: Any | None, pacer: LocalChatPacer) -> None:
        self.free = free
        self.paid = paid
        self.pacer = pacer

    async def reply(self, _method: str = "") -> None:
        """Hook for the bot's HTTP client (bot/http.py `on_send`)."""
        await self.free.spend()

    def lane(self, broadcast: bool) -> Any:
        return self.paid if (broadcast and self.paid is not None) else self.free

    async def close(self) -> None:
        await self.free.close()
        if self.paid is not None and self.paid is not self.free:
            await self.paid.close()


def paid_broadcasts(config: Any) -> bool:
    return bool(config.get("TELEGRAM_PAID_BROADCASTS"))


def build(config: Any, *, rate: float | None = None, paid_rate: float | None = None,
          redis_url: str | None = None, chat_interval: float = CHAT_INTERVAL
          ) -> TelegramBudget:
    """A budget from configuration (explicit arguments win, for tests and benches)."""
    free_rate = float(rate or config.get("TELEGRAM_RATE") or FREE_RATE)
    paid = paid_broadcasts(config)
    paid_rate = min(MAX_PAID_RATE, float(paid_rate or config.get("TELEGRAM_PAID_RATE")
                                         or MAX_PAID_RATE))
    url = redis_url if redis_url is not None else config.get("TELEGRAM_REDIS_URL") or ""
    if not url:
        return TelegramBudget(LocalBucket(free_rate), LocalBucket(paid_rate) if paid else None,
                              LocalChatPacer(chat_interval))
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    prefix = redis_prefix(config)
    return TelegramBudget(
        RedisBucket(free_rate, client, prefix + "free"),
        RedisBucket(paid_rate, client, prefix + "paid") if paid else None,
        RedisChatPacer(client, prefix + "chat:", chat_interval),
    )


def redis_prefix(config: Any) -> str:
    """One budget per bot: Telegram counts per bot, and a bot is the number before the colon
    of its token (so a new token for the same bot keeps its budget; no secret in the key)."""
    token = str(config.get("TELEGRAM_BOT_TOKEN") or "")
    bot_id = token.split(":", 1)[0]
    if not bot_id.isdigit():
        bot_id = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"mekendesh:telegram:{bot_id}:"


_EXTENSION = "mekendesh_telegram_budget"


def for_app(flask_app: Flask) -> TelegramBudget:
    """The process's budget for this app: the bot's replies and an in-bot sender share it.
    (A Redis client belongs to the event loop that made it: the bot and its sender share
    one loop.)"""
    budget = flask_app.extensions.get(_EXTENSION)
    if budget is None:
        budget = flask_app.extensions[_EXTENSION] = build(flask_app.config)
    return budget

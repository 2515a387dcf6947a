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

The budget has two parts. A token bucket spreads messages evenly (tokens refill at the
rate; up to a tenth of a second's worth can gather, so a worker that wakes late catches up
instead of losing the time), and a log of the last second's messages caps any one-second
window at the rate less 1 % (kept for the jitter between us and Telegram): however late or
bunched the wake-ups, no second holds more. Within one process both live in memory; with
`TELEGRAM_REDIS_URL` set, every process on every machine shares them through Redis, updated
by one Lua script (Redis runs a script atomically and it reads Redis's own clock, so
machines whose clocks differ still agree). The one-message-a-second pace per chat is shared
the same way: a key per chat.

The Lua script (`_TAKE`): a `send` or `reply` call takes a token and a place in the log if
both are free and otherwise answers how long to wait; a reply that has to wait marks the
bucket so that senders leave it the next place; a 429 (`pause`) stops everyone until
Telegram's `retry_after` has passed.
"""

from __future__ import annotations

import asyncio
import collections
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


def bucket_shape(rate: float) -> tuple[float, float, int, float]:
    """(capacity, refill a second, messages allowed per window, window seconds)."""
    capacity = max(1.0, rate / 10)
    if rate >= 2:
        return capacity, rate, max(1, int(rate * (1 - JITTER_MARGIN))), 1.0
    return capacity, rate, 1, 1.0 / rate  # slower than 2/s: one message per 1/rate seconds


class LocalBucket:
    """The budget inside one process."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.capacity, self.refill, self.limit, self.window = bucket_shape(self.rate)
        self.tokens = self.capacity / 2
        self.updated = time.monotonic()
        self.log: collections.deque[float] = collections.deque()
        self.paused_until = 0.0
        self.replies_waiting = 0
        self._lock = asyncio.Lock()

    def _try_take(self) -> float:
        """Take a token and a place in the window (answer 0), or answer the seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill)
        self.updated = now
        while self.log and self.log[0] <= now - self.window:
            self.log.popleft()
        wait = 0.0
        if self.tokens < 1.0:
            wait = (1.0 - self.tokens) / self.refill
        if len(self.log) >= self.limit:
            wait = max(wait, self.log[0] + self.window - now)
        if wait > 0:
            return max(wait, 0.0005)
        self.tokens -= 1.0
        self.log.append(now)
        return 0.0

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends until `seconds` from now."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = min(self.tokens, 0.0)

    async def spend(self) -> None:
        """A reply takes the next place, ahead of any waiting sender (at 30 a second that is
        at most a thirtieth of a second away unless other replies are queued)."""
        self.replies_waiting += 1
        try:
            while (wait := self._try_take()) > 0:
                await asyncio.sleep(wait)
        finally:
            self.replies_waiting -= 1

    async def acquire(self) -> None:
        """Wait for a place (the sender): one waiter at a time, after any waiting reply."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                if self.replies_waiting:
                    await asyncio.sleep(0.001)
                    continue
                wait = self._try_take()
                if wait <= 0:
                    return
                await asyncio.sleep(wait)

    async def close(self) -> None:
        return None


# KEYS[1] the bucket (a hash), KEYS[2] the window's log (a sorted set of send times);
# ARGV: capacity, refill a second, limit per window, window seconds, mode ("send" | "reply"
# | "pause"), seconds (pause only). Answers the seconds to wait as a string ("0" = taken).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local mode = ARGV[5]
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused', 'reply', 'seq')
local tokens = tonumber(state[1]) or capacity / 2
local ts = tonumber(state[2]) or now
local paused = tonumber(state[3]) or 0
local reply = tonumber(state[4]) or 0
local seq = tonumber(state[5]) or 0
tokens = math.min(capacity, tokens + math.max(0, now - ts) * refill)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local wait = 0
if mode == 'pause' then
  paused = math.max(paused, now + tonumber(ARGV[6]))
  tokens = math.min(tokens, 0)
else
  if tokens < 1 then wait = (1 - tokens) / refill end
  if redis.call('ZCARD', KEYS[2]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
  if mode == 'reply' then
    if wait > 0 then reply = math.max(reply, now + wait + 0.05) end
  elseif now < paused then
    wait = math.max(wait, paused - now)
  elseif wait <= 0 and now < reply then
    wait = math.min(reply - now, 1 / refill)
  end
  if wait <= 0 then
    tokens = tokens - 1
    seq = seq + 1
    redis.call('ZADD', KEYS[2], now, tostring(seq))
  else
    wait = math.max(wait, 0.0005)
  end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now),
           'paused', tostring(paused), 'reply', tostring(reply), 'seq', tostring(seq))
redis.call('EXPIRE', KEYS[1], 3600)
redis.call('EXPIRE', KEYS[2], 3600)
return tostring(wait)
"""


class RedisBucket:
    """The budget shared through Redis by every process that names the same key."""

    def __init__(self, rate: float, client: Any, key: str) -> None:
        self.rate = float(rate)
        self.capacity, self.refill, self.limit, self.window = bucket_shape(self.rate)
        self.client = client
        self.key = key
        self._script = client.register_script(_TAKE)
        self._lock = asyncio.Lock()  # one sender worker per process asks Redis at a time

    async def _call(self, mode: str, seconds: float = 0.0) -> float:
        answer = await self._script(keys=[self.key, self.key + ":log"],
                                    args=[self.capacity, self.refill, self.limit, self.window,
                                          mode, seconds])
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

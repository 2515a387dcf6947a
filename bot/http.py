"""The one HTTP client between Mekendesh and the Bot API: python-telegram-bot's
`BaseRequest` on aiohttp.

The bot (its calls and its getUpdates long polls) and the outbox sender both use it.
httpx, python-telegram-bot's default, costs about 3 ms of CPU per call on a small machine,
which capped one sender near 300 messages a second and the bot near 65 replies a second;
aiohttp parses HTTP in C and keeps connections alive in a bounded pool.

What it does, as python-telegram-bot expects of a `BaseRequest`:

* timeouts: `connect_timeout` (open a socket), `pool_timeout` (wait for a free connection:
  aiohttp counts it in its `connect` timeout, so the two are added), `read_timeout` (between
  bytes of the answer; getUpdates passes its long-poll timeout on top), `write_timeout`
  (aiohttp has none of its own: it bounds the whole request together with the others);
* `connection_pool_size` connections at most (per host as well);
* uploads as multipart/form-data (`RequestData.multipart_data`), every other call as a
  JSON body (one of the Bot API's documented ways; python-telegram-bot form-encodes, and
  percent-encoding a Cyrillic text byte by byte in Python cost about 5 % of the bot's CPU,
  where the C JSON encoder takes the parameters as they are);
* a proxy (`proxy="http://..."`), or with `trust_env=True` the environment's
  `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, read once per Bot API host (aiohttp's own
  `trust_env` reads them again for every request: a third of the CPU of a call);
* errors: a timeout raises `TimedOut`, a refused, reset or dropped connection `NetworkError`
  (python-telegram-bot then maps the HTTP status of an answer: 403 Forbidden, 429 RetryAfter,
  5xx NetworkError, ...).

`on_send`, when given, is awaited before every call that sends a message (its Bot API
method name as argument): the bot's replies draw on the shared Telegram budget there
(bot/budget.py).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger("bot.http")

# Bot API methods that put a message in a chat: they count towards Telegram's rate.
MESSAGE_METHODS = frozenset({
    "sendmessage", "sendphoto", "senddocument", "sendaudio", "sendvoice", "sendvideo",
    "sendanimation", "sendsticker", "sendlocation", "sendvenue", "sendcontact", "sendpoll",
    "senddice", "sendmediagroup", "sendvideonote", "copymessage", "forwardmessage",
})

OnSend = Callable[[str], Awaitable[None]]
JSON_HEADERS = {"Content-Type": "application/json"}


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's HTTP layer on one aiohttp session (see the module docstring)."""

    __slots__ = ("_session", "_pool_size", "_timeouts", "_media_write_timeout", "_proxy",
                 "_trust_env", "_env_proxies", "on_send")

    def __init__(
        self,
        connection_pool_size: int = 16,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        trust_env: bool = True,
        on_send: OnSend | None = None,
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = max(1, int(connection_pool_size))
        self._timeouts = {"read": read_timeout, "write": write_timeout,
                          "connect": connect_timeout, "pool": pool_timeout}
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy or None
        self._trust_env = trust_env
        self._env_proxies: dict[str, str | None] = {}
        self.on_send = on_send

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size,
                                         ttl_dns_cache=300, enable_cleanup_closed=True)
        return aiohttp.ClientSession(
            connector=connector, trust_env=False,  # the environment is read in _proxy_for
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
            raise_for_status=False,
        )

    def _proxy_for(self, url: str) -> str | None:
        """The configured proxy, else (trust_env) the environment's for this URL's host."""
        if self._proxy or not self._trust_env:
            return self._proxy
        origin = url.split("/", 3)[:3]
        key = "/".join(origin)
        if key not in self._env_proxies:
            scheme, host = origin[0].rstrip(":"), origin[2].rsplit(":", 1)[0]
            proxies = urllib.request.getproxies()
            proxy = proxies.get(scheme) or proxies.get("all")
            if proxy and urllib.request.proxy_bypass(host):
                proxy = None
            self._env_proxies[key] = proxy
        return self._env_proxies[key]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = self._new_session()

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(self, request_data: RequestData | None, read: Any, write: Any, connect: Any,
                 pool: Any) -> aiohttp.ClientTimeout:
        uploads = bool(request_data and request_data.contains_files)
        read = _seconds(read, self._timeouts["read"])
        write = _seconds(write, self._media_write_timeout if uploads else self._timeouts["write"])
        connect = _seconds(connect, self._timeouts["connect"])
        pool = _seconds(pool, self._timeouts["pool"])
        # aiohttp's `connect` covers waiting for a pooled connection and opening one.
        acquire = None if connect is None or pool is None else connect + pool
        parts = (acquire, write, read)
        total = None if any(part is None for part in parts) else sum(parts)  # type: ignore[arg-type]
        return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect,
                                     sock_read=read)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        session = self._session
        assert session is not None
        if self.on_send is not None:
            api_method = url.rsplit("/", 1)[-1]
            if api_method.lower() in MESSAGE_METHODS:
                await self.on_send(api_method)
        timeout = self._timeout(request_data, read_timeout, write_timeout, connect_timeout,
                                pool_timeout)
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, value in request_data.multipart_data.items():
                    if isinstance(value, tuple):
                        filename, content, mimetype = value
                        form.add_field(name, content, filename=filename, content_type=mimetype)
                    else:
                        form.add_field(name, value)
                data = form
            else:
                # `parameters` holds JSON-ready values (objects already as dicts): one C-encoded
                # body, instead of a JSON string per object, then urlencoded in Python.
                data = json.dumps(request_data.parameters, ensure_ascii=False,
                                  separators=(",", ":")).encode()
                headers = JSON_HEADERS
        try:
            async with session.request(method, url, data=data, headers=headers,
                                       timeout=timeout, proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut(f"Timed out: {error!r}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

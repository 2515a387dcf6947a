"""The bot's one HTTP client (bot/http.py) against the Bot API double and broken servers."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.http import AiohttpRequest
from tests.telegram.bot_api_double import BotApiDouble

CHAT = 4242


@pytest.fixture
def tg() -> Iterator[BotApiDouble]:
    with BotApiDouble() as double:
        yield double


def run(coroutine):  # noqa: ANN001, ANN201
    return asyncio.run(coroutine)


async def _with_bot(base_url: str, token: str, action, **options):  # noqa: ANN001, ANN003, ANN202
    request = AiohttpRequest(options.pop("pool", 4), **options)
    bot = Bot(token, base_url=base_url, request=request)
    await request.initialize()
    try:
        return await action(bot)
    finally:
        await request.shutdown()


def call(tg: BotApiDouble, action, **options):  # noqa: ANN001, ANN003, ANN201
    return run(_with_bot(tg.base_url, tg.token, action, **options))


def test_messages_and_unicode_go_through(tg):
    message = call(tg, lambda bot: bot.send_message(CHAT, "Салам, <b>мекендеш</b> &amp; ң ө ү",
                                                    parse_mode="HTML"))
    assert message.message_id > 0
    sent = tg.sent_messages(CHAT)
    assert sent[0]["plain_text"] == "Салам, мекендеш & ң ө ү"


def test_file_upload_is_multipart_with_its_name_type_and_caption(tg):
    content = bytes(range(256)) * 40  # binary, 10 KB

    async def upload(bot: Bot):  # noqa: ANN202
        return await bot.send_document(CHAT, document=content, filename="report.pdf",
                                       caption="Отчёт")

    call(tg, upload)
    [upload_call] = tg.calls_of("sendDocument", ok_only=True)
    document = upload_call.params["document"]
    assert document["filename"] == "report.pdf"
    assert document["size"] == len(content) and document["data"] == content
    assert upload_call.params["caption"] == "Отчёт"
    assert upload_call.params["chat_id"] == CHAT


def test_a_slow_answer_times_out(tg):
    tg.latency = 1.5
    started = time.monotonic()
    with pytest.raises(TimedOut):
        call(tg, lambda bot: bot.send_message(CHAT, "x"), read_timeout=0.3)
    assert time.monotonic() - started < 1.4


def test_a_full_pool_times_out_instead_of_queueing_forever(tg):
    tg.latency = 1.0

    async def two_at_once(bot: Bot):  # noqa: ANN202
        first = asyncio.create_task(bot.send_message(CHAT, "first"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT + 1, "second")
        return await first

    call(tg, two_at_once, pool=1, pool_timeout=0.2, connect_timeout=0.2)
    assert [m["chat_id"] for m in tg.sent_messages()] == [CHAT]


def test_the_pool_bounds_connections(tg):
    tg.latency = 0.3

    async def six(bot: Bot):  # noqa: ANN202
        await asyncio.gather(*[bot.send_message(CHAT + i, "x") for i in range(6)])

    started = time.monotonic()
    call(tg, six, pool=2, pool_timeout=5)
    # two connections: three rounds of 0.3 s
    assert time.monotonic() - started >= 0.85
    assert tg.total_sends == 6


def test_a_refused_connection_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # nothing listens on the port now
    with pytest.raises(NetworkError) as error:
        run(_with_bot(f"http://127.0.0.1:{port}/bot", "1:x",
                      lambda bot: bot.send_message(CHAT, "x"), connect_timeout=2))
    assert not isinstance(error.value, TimedOut)


class _Dropper(threading.Thread):
    """Accepts connections, reads the request, and closes without answering."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.accepted = 0

    def run(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            connection.recv(65536)
            connection.close()


def test_a_dropped_connection_is_a_network_error():
    dropper = _Dropper()
    dropper.start()
    try:
        with pytest.raises(NetworkError) as error:
            run(_with_bot(f"http://127.0.0.1:{dropper.port}/bot", "1:x",
                          lambda bot: bot.send_message(CHAT, "x")))
        assert not isinstance(error.value, TimedOut)
        assert dropper.accepted >= 1
    finally:
        dropper.server.close()


@pytest.mark.parametrize(("fault", "expected"), [
    (lambda tg: tg.rate_limit(retry_after=7), RetryAfter),
    (lambda tg: tg.block(CHAT), Forbidden),
    (lambda tg: tg.fail_server(status=502), NetworkError),
    (lambda tg: tg.fail_server(status=500), NetworkError),
    (lambda tg: tg.inject_error(400, "Bad Request: chat not found"), BadRequest),
])
def test_telegram_errors_become_ptb_errors(tg, fault, expected):
    fault(tg)
    with pytest.raises(expected) as error:
        call(tg, lambda bot: bot.send_message(CHAT, "x"))
    if expected is RetryAfter:
        assert "7" in str(error.value)
    assert tg.total_sends == 0
    call(tg, lambda bot: bot.send_message(CHAT + 1, "after"))  # the client still works
    assert tg.total_sends == 1


class _Proxy(http.server.ThreadingHTTPServer):
    """A forward HTTP proxy that records the absolute URLs it was asked for."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # noqa: ANN002, ANN202
                pass

            def do_POST(self):  # noqa: N802, ANN202
                proxy.seen.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                forward = urllib.request.Request(self.path, data=body, method="POST", headers={
                    "Content-Type": self.headers.get("Content-Type", "")})
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(forward, timeout=5) as answer:
                    payload = answer.read()
                    status = answer.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(("127.0.0.1", 0), Handler)


def test_calls_go_through_a_configured_proxy(tg):
    proxy = _Proxy()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        call(tg, lambda bot: bot.send_message(CHAT, "через прокси"),
             proxy=f"http://127.0.0.1:{proxy.server_address[1]}", trust_env=False)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert proxy.seen == [f"{tg.base_url}{tg.token}/sendMessage"]
    assert tg.sent_messages(CHAT)[0]["plain_text"] == "через прокси"


def test_on_send_sees_message_calls_only(tg):
    counted: list[str] = []

    async def count(method: str) -> None:
        counted.append(method)

    async def calls(bot: Bot):  # noqa: ANN202
        await bot.get_me()
        await bot.send_message(CHAT, "one")
        await bot.send_message(CHAT, "two")

    call(tg, calls, on_send=count)
    assert counted == ["sendMessage", "sendMessage"]


def test_the_environments_proxy_is_followed_unless_no_proxy_says_otherwise(tg, monkeypatch):
    proxy = _Proxy()
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        call(tg, lambda bot: bot.send_message(CHAT, "one"), trust_env=True)
        assert proxy.seen == [f"{tg.base_url}{tg.token}/sendMessage"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        call(tg, lambda bot: bot.send_message(CHAT, "two"), trust_env=True)
        assert len(proxy.seen) == 1  # went straight to the double
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert tg.total_sends == 2

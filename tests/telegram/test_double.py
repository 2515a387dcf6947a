"""Self-test of the Telegram Bot API double, driven by python-telegram-bot 22 itself.

Run: pytest tests/telegram/test_double.py -q -p no:cacheprovider --noconftest
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import socket
import sys
import time
import warnings
from pathlib import Path

import pytest

try:  # imported as tests.telegram.test_double
    from .bot_api_double import BotApiDouble, parse_html, parse_markdown_v2
except ImportError:  # rootdir/importlib modes without the package context
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bot_api_double import BotApiDouble, parse_html, parse_markdown_v2  # noqa: E402

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.error import (  # noqa: E402
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (  # noqa: E402
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


@pytest.fixture
def tg():
    with BotApiDouble() as double:
        yield double


def make_bot(tg: BotApiDouble) -> Bot:
    return Bot(tg.token, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot")


def make_app(tg: BotApiDouble) -> Application:
    return (
        Application.builder()
        .token(tg.token)
        .base_url(f"{tg.url}/bot")
        .base_file_url(f"{tg.url}/file/bot")
        .build()
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22.2+ warns that .retry_after will become a timedelta; accept both, silently
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Кыргызча", callback_data="lang:ky"),
                InlineKeyboardButton("Русский", callback_data="lang:ru"),
            ]
        ]
    )
    await update.message.reply_text(
        f"<b>Салам</b>, {update.effective_user.first_name}! args={context.args}",
        parse_mode="HTML",
        reply_markup=keyboard,
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    q = update.callback_query
    await q.answer("ok")
    await q.edit_message_text(f"chosen {q.data}")


def polling_app(tg: BotApiDouble) -> Application:
    app = make_app(tg)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


async def run_polling(app: Application):
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)


async def stop_app(app: Application):
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


# --------------------------------------------------------------------------- polling


def test_polling_echo_roundtrip(tg):
    user = tg.make_user(501, first_name="Aibek", language_code="ky", username="aibek")

    async def scenario():
        app = polling_app(tg)
        await run_polling(app)
        try:
            tg.send_text(user, "салам")
            msgs = await tg.wait_for_messages_async(user.id, 1, timeout=3)
            assert msgs[0]["text"] == "echo: салам"
            assert msgs[0]["message"]["from"]["username"] == "mekendesh_test_bot"
            assert msgs[0]["message"]["chat"] == {
                "id": 501,
                "type": "private",
                "first_name": "Aibek",
                "username": "aibek",
            }
            # PTB 22 reply_text() does not quote in private chats
            assert "reply_to_message" not in msgs[0]["message"]

            # /start with args -> HTML + inline keyboard; then press a button -> edit
            tg.send_command(user, "/start", args="ref42")
            (greeting,) = await tg.wait_for_messages_async(user.id, 1, timeout=3)
            assert greeting["plain_text"] == "Салам, Aibek! args=['ref42']"
            assert greeting["message"]["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
            assert greeting["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "lang:ky"
            assert greeting["message"]["reply_markup"] == greeting["reply_markup"]

            tg.press_button(user, greeting, "lang:ru", strict=True)
            (edit,) = await tg.wait_for_messages_async(user.id, 1, timeout=3)
            assert edit["method"] == "editMessageText"
            assert edit["message_id"] == greeting["message_id"]
            assert edit["text"] == "chosen lang:ru"
            assert "reply_markup" not in tg.message(
                user.id, greeting["message_id"]
            )  # keyboard removed
            answer = tg.calls_of("answerCallbackQuery", ok_only=True)
            assert len(answer) == 1 and answer[0].params["text"] == "ok"

            # message ids are increasing per chat and shared by user and bot
            ids = [
                m["message_id"] for m in tg.sent_messages(user.id) if m["method"] == "sendMessage"
            ]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            await asyncio.to_thread(tg.wait_idle, 3)
        finally:
            await stop_app(app)
        # calls recorded with decoded params
        gets = tg.calls_of("getUpdates")
        assert gets and gets[0].params.get("timeout") == 1
        assert tg.calls_of("deleteWebhook")  # bootstrap of start_polling
        assert tg.tokens_seen == {tg.token}

    asyncio.run(scenario())


def test_getupdates_offset_limit_and_long_poll(tg):
    user = tg.make_user(7, language_code=None)

    async def scenario():
        async with make_bot(tg) as bot:
            assert (bot.id, bot.username, bot.first_name) == (
                1000,
                "mekendesh_test_bot",
                "Mekendesh",
            )
            tg.send_text(user, "one")
            tg.send_sticker(user)
            tg.send_photo(user, caption="cap")
            ups = await bot.get_updates(limit=2)
            assert [u.message.text for u in ups] == ["one", None]
            assert ups[0].message.from_user.language_code is None
            assert ups[1].message.sticker.width == 512
            ups2 = await bot.get_updates(offset=ups[1].update_id + 1)
            assert len(ups2) == 1 and ups2[0].message.caption == "cap"
            assert ups2[0].message.photo[-1].width == 1280
            # long poll returns as soon as an update arrives
            loop = asyncio.get_running_loop()
            loop.call_later(0.3, tg.send_location, user)
            t0 = time.monotonic()
            ups3 = await bot.get_updates(offset=ups2[0].update_id + 1, timeout=2)
            assert 0.2 < time.monotonic() - t0 < 1.5
            assert ups3[0].message.location.latitude == pytest.approx(42.8746)
            # nothing new: waits ~timeout then []
            t0 = time.monotonic()
            assert await bot.get_updates(offset=ups3[0].update_id + 1, timeout=0.5) == ()
            assert time.monotonic() - t0 >= 0.4
            # allowed_updates filters
            tg.send_text(user, "ignored")
            tg.press_button(user, {"message_id": 1, "chat": {"id": 7, "type": "private"}}, "x")
            ups4 = await bot.get_updates(allowed_updates=["callback_query"])
            assert [u.callback_query.data for u in ups4] == ["x"]

    asyncio.run(scenario())


def test_all_update_builders_parse_in_ptb(tg):
    user = tg.make_user(9, first_name="Айгүл")
    bot = make_bot(tg)
    for upd in (
        tg.send_text(user, "hi"),
        tg.send_command(user, "help"),
        tg.send_sticker(user),
        tg.send_photo(user),
        tg.send_voice(user),
        tg.send_location(user),
        tg.send_document(user, file_name="cv.pdf"),
    ):
        parsed = Update.de_json(upd, bot)
        assert parsed.effective_user.id == 9 and parsed.effective_chat.type == "private"
    cmd = Update.de_json(tg.pending_updates[1], bot)
    assert cmd.message.text == "/help" and cmd.message.entities[0].type == "bot_command"
    voice = Update.de_json(tg.pending_updates[4], bot).message.voice

    async def download():
        async with bot:
            f = await bot.get_file(voice.file_id)
            return bytes(await f.download_as_bytearray())

    assert asyncio.run(download()) == b"OggS-fake-voice"


# --------------------------------------------------------------------------- errors


def test_forbidden_for_blocked_chat(tg):
    async def scenario():
        async with make_bot(tg) as bot:
            tg.block(77)
            with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
                await bot.send_message(77, "hi")
            await bot.send_message(78, "other chat is fine")
            tg.unblock(77)
            await bot.send_message(77, "hi again")

    asyncio.run(scenario())
    assert [c.status for c in tg.calls_of("sendMessage")] == [403, 200, 200]


# PTB 22.2+ itself emits a PTBDeprecationWarning while constructing RetryAfter (unless PTB_TIMEDELTA=1)
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_retry_after_under_rate_limit(tg):
    async def scenario():
        async with make_bot(tg) as bot:
            tg.rate_limit(retry_after=3, times=2)
            for _ in range(2):
                with pytest.raises(RetryAfter) as exc:
                    await bot.send_message(5, "x")
                assert retry_after_seconds(exc.value) == 3
                assert str(exc.value).startswith("Flood control exceeded")  # PTB's own wording
            await bot.send_message(5, "third goes through")
            tg.fail_server(times=1, status=502)
            with pytest.raises(NetworkError, match="(?i)Bad Gateway"):
                await bot.send_message(5, "x")
            await bot.send_message(5, "ok again")

    asyncio.run(scenario())
    assert tg.total_sends == 2 and tg.send_attempts == 5
    raw = tg.calls_of("sendMessage")[0]
    assert raw.status == 429 and raw.error == "Too Many Requests: retry after 3"


def test_bad_requests(tg):
    async def scenario():
        async with make_bot(tg) as bot:
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(1, "a" * 4097)
            await bot.send_message(1, "a" * 4096)
            # HTML tags do not count towards the limit
            await bot.send_message(1, "<b>" + "a" * 4090 + "</b>", parse_mode="HTML")
            with pytest.raises(
                BadRequest, match='(?i)can\'t parse entities: Unsupported start tag "br"'
            ):
                await bot.send_message(1, "line<br>line", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1, "<b>bold <i>x</b></i>", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1, "1 < 2", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(1, "Tom & Jerry", parse_mode="HTML")
            await bot.send_message(
                1, "Tom &amp; Jerry &lt;3 <a href='https://x.kg'>link</a>", parse_mode="HTML"
            )
            with pytest.raises(BadRequest, match="(?i)message text is empty"):
                await bot.send_message(1, "  ")
            with pytest.raises(BadRequest, match="(?i)message text is empty"):
                await bot.send_message(1, "<b></b>", parse_mode="HTML")
            long_data = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
            with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
                await bot.send_message(1, "kb", reply_markup=long_data)
            # 64 bytes of UTF-8 is fine, 33 Cyrillic letters (66 bytes) are not
            ok = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="я" * 32)]])
            await bot.send_message(1, "kb", reply_markup=ok)
            with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
                await bot.send_message(
                    1,
                    "kb",
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton("b", callback_data="я" * 33)]]
                    ),
                )
            with pytest.raises(BadRequest, match="(?i)reserved"):
                await bot.send_message(1, "Hello.", parse_mode="MarkdownV2")
            m = await bot.send_message(1, "same")
            with pytest.raises(BadRequest, match="(?i)message is not modified"):
                await bot.edit_message_text("same", chat_id=1, message_id=m.message_id)
            with pytest.raises(BadRequest, match="(?i)message to edit not found"):
                await bot.edit_message_text("x", chat_id=1, message_id=9999)
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("noSuchMethod")

    asyncio.run(scenario())
    texts = [m["text"] for m in tg.sent_messages(1)]
    assert "Tom &amp; Jerry &lt;3 <a href='https://x.kg'>link</a>" in texts
    plain = [m["plain_text"] for m in tg.sent_messages(1)]
    assert "Tom & Jerry <3 link" in plain


def test_commands_menu_and_webhook_info(tg):
    from telegram import BotCommand, BotCommandScopeAllPrivateChats, MenuButtonCommands

    async def scenario():
        async with make_bot(tg) as bot:
            await bot.set_my_commands(
                [BotCommand("start", "Баштоо"), BotCommand("help", "Жардам")], language_code="ky"
            )
            await bot.set_my_commands(
                [BotCommand("start", "Start")], scope=BotCommandScopeAllPrivateChats()
            )
            assert [c.command for c in await bot.get_my_commands(language_code="ky")] == [
                "start",
                "help",
            ]
            assert await bot.get_my_commands() == ()
            with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
                await bot.set_my_commands([BotCommand("Bad-Cmd", "x")])
            await bot.delete_my_commands(language_code="ky")
            assert await bot.get_my_commands(language_code="ky") == ()
            await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
            await bot.send_chat_action(3, "typing")
            first = await bot.send_message(3, "first")
            reply = await bot.send_message(3, "second", reply_to_message_id=first.message_id)
            assert (
                reply.reply_to_message.text == "first" and reply.message_id == first.message_id + 1
            )
            with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
                await bot.send_message(3, "x", reply_to_message_id=999)
            info = await bot.get_webhook_info()
            assert info.url == "" and info.pending_update_count == 0
            assert await bot.close() is True and await bot.log_out() is True

    asyncio.run(scenario())
    assert tg.commands({"type": "all_private_chats"}) == [
        {"command": "start", "description": "Start"}
    ]
    assert tg.menu_button() == {"type": "commands"}
    set_call = tg.calls_of("setMyCommands")[0]
    assert set_call.params["commands"][0] == {"command": "start", "description": "Баштоо"}


# --------------------------------------------------------------------------- webhook


def test_webhook_delivery_with_secret(tg):
    user = tg.make_user(601)
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook"

    async def scenario():
        app = make_app(tg)
        app.add_handler(MessageHandler(filters.TEXT, echo))
        await app.initialize()
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", secret_token="s3cret", webhook_url=hook
        )
        try:
            assert tg.webhook["url"] == hook and tg.webhook["secret_token"] == "s3cret"
            tg.send_text(user, "via webhook")
            msgs = await tg.wait_for_messages_async(user.id, 1, timeout=3)
            assert msgs[0]["text"] == "echo: via webhook"
            (delivery,) = await asyncio.to_thread(tg.wait_for_webhook_deliveries, 1, 3)
            assert delivery.status == 200 and delivery.secret_sent and delivery.url == hook

            # getUpdates is refused while a webhook is set
            with pytest.raises(Conflict, match="(?i)webhook is active"):
                await app.bot.get_updates()

            # forged requests are rejected by PTB's webhook server
            forged = tg.send_text(user, "x")  # (also queued for real delivery)
            status, _ = await asyncio.to_thread(
                tg.post_raw_webhook, hook, {"message": forged["message"]}
            )
            assert status == 403
            status, _ = await asyncio.to_thread(
                tg.post_raw_webhook, hook, {"message": forged["message"]}, "wrong"
            )
            assert status == 403
            await tg.wait_for_messages_async(user.id, 1, timeout=3)
        finally:
            await stop_app(app)

    asyncio.run(scenario())


def test_webhook_connection_failure_is_retried_then_recorded():
    with BotApiDouble(webhook_retries=2, webhook_retry_delay=0.05) as tg:
        port = free_port()  # nobody listens there
        tg._handle_api(tg.token, "setWebhook", {"url": f"http://127.0.0.1:{port}/hook"})
        tg.send_text(tg.make_user(1), "lost")
        (d,) = tg.wait_for_webhook_deliveries(1, timeout=3)
        assert d.status is None and d.attempts == 3 and "Connection failed" in d.error
        status, payload = tg._handle_api(tg.token, "getWebhookInfo", {})
        assert payload["result"]["last_error_message"].startswith("Connection failed")


# --------------------------------------------------------------------------- throughput / wire


def test_latency_and_per_chat_counters():
    with BotApiDouble(latency=0.05) as tg:

        async def scenario():
            async with make_bot(tg) as bot:
                t0 = time.monotonic()
                await asyncio.gather(
                    *(bot.send_message(c, f"m{i}") for i in range(3) for c in (11, 12))
                )
                return time.monotonic() - t0

        elapsed = asyncio.run(scenario())
        assert elapsed >= 0.05
        assert tg.total_sends == 6
        per_chat = tg.sends_per_chat
        assert set(per_chat) == {11, 12} and all(len(v) == 3 for v in per_chat.values())
        assert tg.max_sends_in_window(1.0, chat_id=11) == 3
        assert tg.max_sends_in_window(1.0) == 6


def test_raw_wire_format_and_json_bodies(tg):
    """Direct HTTP to document the wire format (form with JSON-encoded values / JSON body)."""
    import urllib.request

    def post(method, data, json_body=False):
        if json_body:
            body, ctype = json.dumps(data).encode(), "application/json"
        else:
            from urllib.parse import urlencode

            body, ctype = urlencode(data).encode(), "application/x-www-form-urlencoded"
        req = urllib.request.Request(
            f"{tg.url}/bot{tg.token}/{method}", data=body, headers={"Content-Type": ctype}
        )
        try:
            with urllib.request.urlopen(req, timeout=3) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    kb = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]})
    status, body = post("SENDMESSAGE", {"chat_id": "42", "text": "123", "reply_markup": kb})
    assert status == 200 and body["ok"] is True
    assert body["result"]["text"] == "123" and body["result"]["chat"]["id"] == 42
    call = tg.calls[-1]
    assert (
        call.method == "sendMessage"
        and call.params["chat_id"] == 42
        and call.params["text"] == "123"
    )
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "1"
    status, body = post(
        "sendMessage", {"chat_id": 42, "text": "json", "reply_markup": json.loads(kb)}, True
    )
    assert status == 200 and body["result"]["message_id"] == 2
    status, body = post("frobnicate", {})
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    tg.rate_limit(retry_after=4)
    status, body = post("sendMessage", {"chat_id": 42, "text": "x"})
    assert status == 429 and body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 4",
        "parameters": {"retry_after": 4},
    }


def test_entity_parsers():
    assert parse_html("<b>a</b> &lt;<i>b</i>") == (
        "a <b",
        [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 3, "length": 1}],
    )
    assert parse_html('<pre><code class="language-python">x</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "python"}
    ]
    assert parse_html("😀<b>x</b>")[1] == [
        {"type": "bold", "offset": 2, "length": 1}
    ]  # UTF-16 offsets
    assert parse_html('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')[0] == "st"
    assert parse_html("Tom & Jerry", strict_ampersand=False)[0] == "Tom & Jerry"
    assert parse_markdown_v2(r"*bold* and \. [link](https://x.kg)") == (
        "bold and . link",
        [
            {"type": "bold", "offset": 0, "length": 4},
            {"type": "text_link", "offset": 11, "length": 4, "url": "https://x.kg"},
        ],
    )

"""build_application(flask_app) -> a python-telegram-bot Application wired to Mekendesh.

The bot side of a feature (diaspora.features.FEATURES) is `bot/handlers/<feature>.py` with
`register(application)`: it adds its handlers and, through bot.handlers.menu, its menu items
and commands. Order of precedence: the menu's own handlers, the features in FEATURES order,
the placeholders of features still to come, and the fallback last. Start-up hooks run from
POST_INIT (commands per language first); the outbox sender can add itself there, e.g.
`POST_INIT.append(start_sender)` (bot/sender.py), to run in the same process.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
from collections.abc import Awaitable, Callable
from types import ModuleType

from flask import Flask
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot import budget as budgets
from bot.concurrency import PerChatUpdateProcessor
from bot.http import AiohttpRequest
from bot.persistence import SQLPersistence
from bot.replybot import ReplyBot
from bot.runtime import FLASK_APP_KEY
from diaspora.features import FEATURES

log = logging.getLogger("bot")

Hook = Callable[[Application], Awaitable[None]]
POST_INIT: list[Hook] = []
POST_SHUTDOWN: list[Hook] = []


def _sender_hooks() -> None:
    from bot.sender import start_in_bot, stop_in_bot  # the outbox sender (issue 4)

    POST_INIT.append(start_in_bot)
    POST_SHUTDOWN.append(stop_in_bot)


_sender_hooks()


class MissingToken(RuntimeError):
    pass


async def _post_init(application: Application) -> None:
    from bot.handlers.menu import set_commands

    try:
        await set_commands(application)
    except Exception:  # noqa: BLE001 - a missing command list must not stop the bot
        log.exception("could not register the bot commands")
    for hook in POST_INIT:
        await hook(application)


async def _post_shutdown(application: Application) -> None:
    for hook in POST_SHUTDOWN:
        await hook(application)


def build_application(
    flask_app: Flask, *, token: str | None = None, base_url: str | None = None
) -> Application:
    token = token or flask_app.config.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise MissingToken(
            "No Telegram bot token: set TELEGRAM_BOT_TOKEN (from @BotFather) and run "
            "`make bot` again."
        )
    api = base_url or flask_app.config.get("TELEGRAM_API_URL") or "https://api.telegram.org"
    api = api.rstrip("/")
    interval = float(flask_app.config["BOT_PERSISTENCE_INTERVAL"])
    # Updates handled at once (different chats; one chat's updates run in order) and HTTP
    # connections to the Bot API (calls wait up to pool_timeout for a free one).
    concurrency = int(flask_app.config["BOT_CONCURRENT_UPDATES"])
    pool = int(flask_app.config["BOT_CONNECTION_POOL"])
    proxy = flask_app.config.get("TELEGRAM_PROXY") or None
    # Every message the bot sends is a reply: it draws on the budget it shares with the
    # outbox sender, first (bot/budget.py).
    budget = budgets.for_app(flask_app)
    calls = AiohttpRequest(pool, read_timeout=5.0, write_timeout=5.0, connect_timeout=5.0,
                           pool_timeout=10.0, proxy=proxy, on_send=budget.reply)
    # getUpdates has a connection of its own, so a long poll never waits behind replies.
    updates = AiohttpRequest(1, read_timeout=5.0, write_timeout=5.0, connect_timeout=5.0,
                             pool_timeout=10.0, proxy=proxy)
    # The bot is built here (not by the builder from token, URLs and requests) for its class:
    # ReplyBot skips de-jsoning the answers of replies nobody reads (bot/replybot.py).
    bot = ReplyBot(
        token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=calls,
        get_updates_request=updates,
        defaults=Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
    )
    application = (
        Application.builder()
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor(concurrency))
        .persistence(SQLPersistence(flask_app, update_interval=interval))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data[FLASK_APP_KEY] = flask_app
    for module in handler_modules():
        module.register(application)
    return application


def handler_modules() -> list[ModuleType]:
    """The modules whose register() builds the bot, in order of precedence."""
    found = [importlib.import_module("bot.handlers.menu")]
    for feature in FEATURES:
        if importlib.util.find_spec(f"bot.handlers.{feature}") is not None:
            found.append(importlib.import_module(f"bot.handlers.{feature}"))
    found.append(importlib.import_module("bot.handlers.upcoming"))
    found.append(importlib.import_module("bot.handlers.fallback"))  # whatever nobody took
    return found


ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


async def start(
    application: Application,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    url_path: str = "",
    secret_token: str | None = None,
    poll_timeout: int = 10,
) -> None:
    """Start without blocking (tests, embedding): polling, or a webhook when a URL is given."""
    await application.initialize()
    if application.post_init:  # as run_polling()/run_webhook() do
        await application.post_init(application)
    if webhook_url:
        await application.updater.start_webhook(
            listen=listen,
            port=port,
            url_path=url_path,
            webhook_url=webhook_url,
            secret_token=secret_token,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        await application.bot.delete_webhook()
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
    await application.start()


async def stop(application: Application) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


__all__ = ["build_application", "handler_modules", "start", "stop", "POST_INIT", "asyncio"]

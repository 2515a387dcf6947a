"""Whatever no feature handles: media, long or emoji-only text, unknown commands, stale
buttons, group chats; and the global error handler. Registered last."""

from __future__ import annotations

import logging
import re

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers.common import say, stale
from bot.runtime import lang, t

log = logging.getLogger("bot")
LONG_TEXT = 1000


def classify(update: Update) -> object:
    """A short helpful answer for a message the bot cannot use here."""
    message = update.effective_message
    if message is None:
        return _l("I did not understand that. Send /help to see what I can do.")
    if message.sticker or message.animation:
        return _l("Nice sticker! I understand text and buttons only. Send /menu for the main menu.")
    if message.photo or message.video or message.video_note:
        return _l("I cannot look at photos or videos. Please write in text, or send /menu.")
    if message.voice or message.audio:
        return _l("I cannot listen to voice messages yet. Please write in text, or send /menu.")
    if message.location or message.venue:
        return _l("Thank you, but I do not need your location. Send /menu for the main menu.")
    if message.document:
        return _l("I cannot open files. Please write in text, or send /menu.")
    text = message.text or message.caption or ""
    if not text:
        return _l("I understand text and buttons only. Send /menu for the main menu.")
    if len(text) > LONG_TEXT:
        return _l("That message is too long for me. Please use the buttons, or send /help.")
    if text.startswith("/"):
        return _l("I do not know that command. Send /help to see what I can do.")
    if not re.search(r"[^\W_]", text):
        return _l("🙂 Please answer in words or use the buttons. Send /menu for the main menu.")
    return _l("I did not understand that. Use the buttons, or send /menu for the main menu.")


async def explain_unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, context, classify(update))


async def unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await explain_unexpected(update, context)


async def not_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot talks to people one to one; group messages are ignored."""
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    try:
        locale = lang(update, context)
        text = t(
            context,
            locale,
            _l("Sorry, something went wrong on our side. Please try again, or send /menu."),
        )
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError:
                pass
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=None)
    except Exception:  # noqa: BLE001 - the error handler itself must never fail
        log.exception("could not apologise for update %s", update_id)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, not_private), group=-1)
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, unexpected))
    application.add_handler(CallbackQueryHandler(stale))
    application.add_error_handler(on_error)

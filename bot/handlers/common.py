"""Small pieces shared by the handler modules: keyboards, replies, the stale-button answer,
and `call_service`, the one way a handler calls a diaspora service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ContextTypes

from bot.callbacks import MAX_CALLBACK_BYTES
from bot.replybot import result_unused
from bot.runtime import clip, db, h, lang, retry_after_seconds, t
from diaspora.errors import DomainError

T = TypeVar("T")
MAX_RETRY_WAIT = 5.0  # seconds a reply may wait for Telegram's flood control


def button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
    return InlineKeyboardButton(text, callback_data=data)


def rows(buttons: list[InlineKeyboardButton], per_row: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def keyboard(*button_rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in button_rows if row])


async def send(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    html_text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    chat_id = update.effective_chat.id
    try:
        with result_unused():  # the sent message is not read: no Message built from it
            await context.bot.send_message(chat_id, clip(html_text), reply_markup=markup)
    except RetryAfter as flood:
        # Telegram asks us to slow down: a short wait is better than a lost answer; a long
        # one goes to the error handler (the member can simply ask again).
        seconds = retry_after_seconds(flood)
        if seconds > MAX_RETRY_WAIT:
            raise
        await asyncio.sleep(seconds)
        with result_unused():
            await context.bot.send_message(chat_id, clip(html_text), reply_markup=markup)


async def say(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: object,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one catalog text (escaped) in the chat's language."""
    await send(update, context, h(context, lang(update, context), message), markup)


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An old message's button, or a payload we never made: a polite toast, nothing else."""
    query = update.callback_query
    if query is None:
        return
    text = t(context, lang(update, context), _l("This button is no longer valid."))
    try:
        await query.answer(text[:200])
    except BadRequest:
        pass  # the query itself is too old to answer: nothing to do


async def ack(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answer_html: str | None = None
) -> None:
    """Answer a pressed button; with `answer_html`, keep the question and show the choice
    in place of the buttons (so old buttons cannot be pressed again)."""
    query = update.callback_query
    try:
        await query.answer()
    except BadRequest:
        pass
    if answer_html is not None and query.message is not None:
        question = query.message.text_html if getattr(query.message, "text", None) else ""
        try:
            with result_unused():
                await query.edit_message_text(
                    clip(f"{question}\n\n✅ <b>{answer_html}</b>"), reply_markup=None
                )
        except BadRequest:
            pass  # e.g. "message is not modified": harmless


async def call_service(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    fn: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T | None:
    """Run a service function in a worker thread; a refusal (DomainError) is answered in the
    member's language and gives None, so services called this way return something truthy."""
    try:
        return await db(context, fn, *args, **kwargs)
    except DomainError as error:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except BadRequest:
                pass  # already answered (the choice was acknowledged first)
        message = error.message or _l("Sorry, that cannot be done.")
        await say(update, context, message)
        return None

"""A blocked member's Telegram chat: every update (a message, a command, a button) gets one
answer saying they are blocked, until when, why and how to appeal, and nothing else runs.

A handler ahead of every other (its own group, -4: before the moderators' chat and the
privacy notice's check) reads
the block of the account joined to the chat (moderation/sanctions.py `chat_block`). Nothing is
cached: a block takes effect at the member's next update, and its end too.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.handlers.common import send
from bot.runtime import db, h, lang
from diaspora.moderation import sanctions

Ctx = ContextTypes.DEFAULT_TYPE
GROUP = -4  # ahead of every other group: the moderators' chat (-3), the privacy notice (-2)


async def check(update: Update, context: Ctx) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    notice = await db(context, sanctions.chat_block, chat.id)
    if notice is None:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except BadRequest:
            pass
    locale = lang(update, context)
    parts = [f"<b>{h(context, locale, notice.headline)}</b>"]
    if notice.reason:
        parts.append(h(context, locale, _l("Why: %(reason)s", reason=notice.reason)))
    parts.append(h(context, locale, notice.appeal))
    await send(update, context, "\n\n".join(parts))
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, check), group=GROUP)

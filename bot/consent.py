"""The one place the bot asks a member again for the privacy notice, when it has changed.

A handler ahead of every other (its own group, -2) looks at each update from a private chat.
A registered member whose accepted version is not the current one sees the notice with
"I agree" / "No, thanks" instead of an answer; what they typed is kept (in the chat's stored
state, so a restart keeps it too) and handled once they agree. Pressing an old button is not
replayed: they get the menu. Until they agree nothing else is handled (a member who declines
is not an active member), except erasing their data (/delete and its buttons) and /stop.
Newcomers are not stopped here: the registration asks them itself.

The check costs a query only until the chat is known to have accepted the version in force:
that version is then remembered in the chat's state.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.callbacks import register_prefix
from bot.handlers.common import ack, button, keyboard, say, send
from bot.handlers.menu import show_menu
from bot.runtime import db, flask_app, h, lang, log, t
from diaspora.accounts import consent

Ctx = ContextTypes.DEFAULT_TYPE
CONSENT = register_prefix("pv", owner="consent")
GROUP = -2  # before fallback's group -1 (group chats) and every feature's handlers
ACCEPTED_KEY = "privacy_ok"  # user_data: the version this chat is known to have accepted
PENDING_KEY = "privacy_pending"  # user_data: the message that waits for the answer
ALLOWED_COMMANDS = ("/delete", "/stop")
ALLOWED_PREFIXES = ("del:",)


def _version(context: Ctx) -> str:
    return str(flask_app(context).config["PRIVACY_NOTICE_VERSION"])


def _allowed_anyway(update: Update) -> bool:
    """Erasing one's data needs no consent to a notice."""
    message = update.message
    if message is not None and message.text:
        command = message.text.split()[0].split("@")[0].lower()
        return command in ALLOWED_COMMANDS
    query = update.callback_query
    return query is not None and (query.data or "").startswith(ALLOWED_PREFIXES)


async def check(update: Update, context: Ctx) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != "private" or context.user_data is None:
        return
    version = _version(context)
    if context.user_data.get(ACCEPTED_KEY) == version:
        return
    query = update.callback_query
    if query is not None and CONSENT.owns(query.data):
        await _answered(update, context)
        raise ApplicationHandlerStop
    state = await db(context, consent.chat_consent, chat.id)
    if state is None:
        return
    if state == consent.CURRENT:
        context.user_data[ACCEPTED_KEY] = version
        return
    if _allowed_anyway(update):
        return
    if update.message is not None:
        context.user_data[PENDING_KEY] = update.to_dict()
    if query is not None:
        try:
            await query.answer()
        except BadRequest:
            pass
    await _ask(update, context, version)
    raise ApplicationHandlerStop


async def _ask(update: Update, context: Ctx, version: str) -> None:
    from bot.handlers.registration import privacy_summary

    locale = lang(update, context)
    intro = h(context, locale, _l(
        "Our privacy notice has changed (version %(version)s). Please read it and press "
        "“I agree” to go on using Mekendesh.", version=version))
    markup = keyboard([
        button(t(context, locale, _l("I agree")), CONSENT.data("yes")),
        button(t(context, locale, _l("No, thanks")), CONSENT.data("no")),
    ])
    await send(update, context, f"{intro}\n\n{privacy_summary(context, locale)}", markup)


async def _answered(update: Update, context: Ctx) -> None:
    parsed = CONSENT.parse(update.callback_query.data)
    locale = lang(update, context)
    if parsed is None or parsed.value not in ("yes", "no"):
        await ack(update, context)
        return
    if parsed.value == "no":
        await ack(update, context, h(context, locale, _l("No, thanks")))
        context.user_data.pop(PENDING_KEY, None)
        await say(update, context, _l(
            "All right. Until you agree I will not send you news or surveys, nor handle your "
            "messages; your data stays as it is. Send /delete to erase it, or write to me "
            "again to see the notice."))
        return
    await ack(update, context, h(context, locale, _l("I agree")))
    if not await db(context, consent.accept_in_chat, update.effective_chat.id):
        context.user_data.pop(PENDING_KEY, None)
        await say(update, context, _l("You are not registered yet. Send /start to begin."))
        return
    context.user_data[ACCEPTED_KEY] = _version(context)
    pending = context.user_data.pop(PENDING_KEY, None)
    if pending is None:
        await show_menu(update, context, _l("Thank you! Here is the main menu."))
        return
    await say(update, context, _l("Thank you! Now to your message."))
    await _replay(context, pending)


async def _replay(context: Ctx, pending: dict[str, Any]) -> None:
    """Handle the message that waited, as if it had just come."""
    try:
        waiting = Update.de_json(pending, context.bot)
    except Exception:  # noqa: BLE001 - a stored update we cannot read is simply dropped
        log.warning("could not read the message kept during the consent question")
        return
    await context.application.process_update(waiting)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, check), group=GROUP)

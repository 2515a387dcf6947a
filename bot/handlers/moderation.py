"""The moderators' chat in Telegram (issue 10): linking a group, posting the queue there,
the buttons, and the reasons asked in the chat. The service is diaspora/moderation/chat.py;
this module parses, calls it and sends or edits messages.

Group chats are otherwise ignored (fallback.not_private, group -1), so these handlers sit
ahead of it (group -3) and stop there whatever they handled.

Languages: what the bot says to everyone in the group (the posts, who decided) is in the
chat's language, the one of the moderator who linked it (a group has no language of its
own; the person who set it up knows who reads it), Kyrgyz by default. What it says to one
moderator (a refusal, the question for a reason, a toast) is in that moderator's language.

The poll runs in the bot process as an asyncio task (no JobQueue: the APScheduler extra is
not installed), every MODERATION_CHAT_POLL_SECONDS (0 turns it off).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from telegram import ForceReply, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.application import POST_INIT, POST_SHUTDOWN
from bot.callbacks import register_prefix, whole_number
from bot.handlers.common import button, keyboard, rows, stale
from bot.runtime import (
    FLASK_APP_KEY,
    clip,
    db,
    esc,
    esc_clip,
    guess_locale,
    render,
    run_in_app_context,
)
from diaspora.errors import DomainError
from diaspora.formatting import format_when
from diaspora.moderation import chat as service

log = logging.getLogger("bot.moderation")
Ctx = ContextTypes.DEFAULT_TYPE

MQ = register_prefix("mq", owner="moderation chat")
GROUP = -3  # ahead of consent (-2, private chats) and fallback's group filter (-1)
ENABLED_KEY = "moderation_chat"
TASK_KEY = "moderation_chat_poll"
LOCK_KEY = "moderation_chat_poll_lock"
TITLE_IN_QUESTION = 120  # characters of a title quoted in the question for a reason
EXCERPT = 600
ANSWER_LIMIT = 200  # Telegram's limit for a callback answer


# -- texts ---------------------------------------------------------------------------------------


def post_text(app: Flask, locale: str, item: Any) -> str:
    """The message of one queue entry: kind, title, excerpt, when, and the site's page."""
    url = app.config["SITE_URL"] + item.url
    lines = [f"🛡 <b>{esc(render(app, locale, item.label))}</b>",
             f"<b>{esc_clip(item.title, 300)}</b>"]
    if item.excerpt:
        lines.append(esc_clip(item.excerpt, EXCERPT))
    lines += [f"<i>{esc_clip(render(app, locale, line), 300)}</i>"
              for line in getattr(item, "details", ())[:4]]  # e.g. the reports' reasons
    when = format_when(item.created_at, locale, "UTC")
    lines.append(f"<i>{esc(when)} (UTC)</i>")
    link_text = esc(render(app, locale, _l("Open on the website")))
    lines.append(f'<a href="{html.escape(url, quote=True)}">{link_text}</a>')
    return "\n".join(lines)


def post_markup(app: Flask, locale: str, post_id: int, item: Any) -> Any:
    buttons = [button(render(app, locale, action.label), MQ.data(f"{post_id}:{action.name}"))
               for action in item.actions]
    return keyboard(*rows(buttons))


def decided_line(app: Flask, locale: str, decision: Any) -> str:
    if decision is None:
        return "☑️ " + esc(render(app, locale, _l("No longer waiting for a decision.")))
    when = format_when(decision.decided_at, locale, "UTC")
    return "✅ " + esc(render(app, locale, _l(
        "%(action)s: decided by %(name)s, %(when)s (UTC)",
        action=decision.action_label, name=decision.actor_name, when=when)))


def _already_text(app: Flask, locale: str, decision: Any) -> str:
    if decision is None:
        return render(app, locale, _l("This item is no longer waiting for a decision."))
    when = format_when(decision.decided_at, locale, "UTC")
    return render(app, locale, _l(
        "Already decided by %(name)s: %(action)s, %(when)s (UTC).",
        name=decision.actor_name, action=decision.action_label, when=when))


# -- sending and editing ---------------------------------------------------------------------------


async def _close(application: Application, closing: service.Closing) -> None:
    """Show a posted entry as decided, without its buttons (nobody acts twice)."""
    app = application.bot_data[FLASK_APP_KEY]
    text = f"{closing.text}\n\n{decided_line(app, closing.locale, closing.decision)}"
    try:
        await application.bot.edit_message_text(
            clip(text), chat_id=closing.chat_id, message_id=closing.message_id,
            reply_markup=None)
    except TelegramError as error:  # deleted by someone, bot removed: nothing left to show
        log.info("could not close message %s in %s: %s", closing.message_id,
                 closing.chat_id, error)


async def _post(application: Application, new: service.NewPost) -> None:
    app = application.bot_data[FLASK_APP_KEY]
    text = post_text(app, new.locale, new.item)
    try:
        sent = await application.bot.send_message(
            new.chat_id, clip(text), reply_markup=post_markup(app, new.locale, new.post_id,
                                                              new.item))
    except Forbidden:
        # Removed from the group while we were not told: it is no longer linked.
        await asyncio.to_thread(run_in_app_context, app, service.chat_left, new.chat_id)
        return
    except ChatMigrated as moved:
        await asyncio.to_thread(run_in_app_context, app, service.chat_migrated, new.chat_id,
                                moved.new_chat_id)
        await asyncio.to_thread(run_in_app_context, app, service.release, new.post_id)
        return
    except TelegramError:
        log.warning("could not post queue entry %s to %s", new.item.key, new.chat_id,
                    exc_info=True)
        await asyncio.to_thread(run_in_app_context, app, service.release, new.post_id)
        return
    await asyncio.to_thread(run_in_app_context, app, service.posted, new.post_id,
                            sent.message_id, text)


async def poll_once(application: Application) -> None:
    """Post what is new in the queue to each linked chat; close what was decided elsewhere."""
    lock = application.bot_data.setdefault(LOCK_KEY, asyncio.Lock())
    async with lock:
        app = application.bot_data[FLASK_APP_KEY]
        batch = int(app.config["MODERATION_CHAT_BATCH"])
        plan = await asyncio.to_thread(run_in_app_context, app, service.poll_plan, batch)
        for new in plan.new:
            await _post(application, new)
        for closing in plan.closings:
            await _close(application, closing)


async def _poll_forever(application: Application, stop: asyncio.Event) -> None:
    app = application.bot_data[FLASK_APP_KEY]
    while not stop.is_set():
        try:
            await poll_once(application)
        except Exception:  # noqa: BLE001 - one failed round must not end the polling
            log.exception("moderation chat poll failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(),
                                   timeout=float(app.config["MODERATION_CHAT_POLL_SECONDS"]))


async def start_poll(application: Application) -> None:
    """POST_INIT hook: the poll runs beside the handlers of an application with this module."""
    if not application.bot_data.get(ENABLED_KEY) or TASK_KEY in application.bot_data:
        return
    app = application.bot_data[FLASK_APP_KEY]
    if float(app.config["MODERATION_CHAT_POLL_SECONDS"]) <= 0:
        return
    stop = asyncio.Event()
    application.bot_data[TASK_KEY] = (stop, asyncio.create_task(_poll_forever(application, stop)))


async def stop_poll(application: Application) -> None:
    running = application.bot_data.pop(TASK_KEY, None)
    if running is None:
        return
    stop, task = running
    stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, timeout=10)


POST_INIT.append(start_poll)
POST_SHUTDOWN.append(stop_poll)


# -- handlers ------------------------------------------------------------------------------------


def _locale(update: Update, outcome_locale: str | None) -> str:
    return outcome_locale or guess_locale(update)


async def _answer(update: Update, text: str, alert: bool = False) -> None:
    with contextlib.suppress(BadRequest):  # too old to answer: nothing to do
        await update.callback_query.answer(text[:ANSWER_LIMIT], show_alert=alert)


async def _reply(update: Update, context: Ctx, html_text: str, **kwargs: Any) -> Any:
    message = update.effective_message
    return await context.bot.send_message(
        update.effective_chat.id, clip(html_text), reply_to_message_id=message.message_id,
        allow_sending_without_reply=True, **kwargs)


async def _ask_reason(update: Update, context: Ctx, outcome: service.Outcome) -> None:
    app = context.application.bot_data[FLASK_APP_KEY]
    locale = _locale(update, outcome.locale)
    who = update.callback_query.from_user
    title = outcome.item.title or ""
    if len(title) > TITLE_IN_QUESTION:
        title = title[: TITLE_IN_QUESTION - 1] + "…"
    question = esc(render(app, locale, _l(
        "what is the reason for “%(action)s” on «%(title)s»? Reply to this message with it, "
        "or send /cancel.", action=outcome.action.label, title=title)))
    mention = f'<a href="tg://user?id={who.id}">{esc(who.full_name)}</a>'
    prompt = await _reply(
        update, context, f"{mention}, {question}",
        reply_markup=ForceReply(selective=True, input_field_placeholder=render(
            app, locale, _l("The reason"))[:64]))
    await db(context, service.record_ask, outcome.post_id, who.id, outcome.action.name,
             prompt.message_id)
    await _answer(update, render(app, locale, _l("Reply to my question in the chat with the "
                                                 "reason.")))


async def _tell(update: Update, context: Ctx, outcome: service.Outcome) -> None:
    """Turn an outcome into answers and edits: a toast or alert for a press, a reply in the
    chat for a reason, and the edits of every message of the entry."""
    app = context.application.bot_data[FLASK_APP_KEY]
    locale = _locale(update, outcome.locale)
    pressed = update.callback_query is not None
    if outcome.kind == service.STALE:
        if pressed:
            await stale(update, context)
        return
    if outcome.kind == service.ASK:
        await _ask_reason(update, context, outcome)
        return
    if outcome.kind == service.REFUSED:
        text = render(app, locale, outcome.message or _l("Sorry, that cannot be done."))
        if pressed:
            await _answer(update, text, alert=True)
        else:
            await _reply(update, context, esc(text))
        return
    if outcome.kind == service.DECIDED:
        text = render(app, locale, _l("Done: %(action)s.", action=outcome.decision.action_label))
        if pressed:
            await _answer(update, text)
    else:  # ALREADY, GONE: someone was quicker, on the web or in a chat
        text = _already_text(app, locale, outcome.decision)
        if pressed:
            await _answer(update, text, alert=True)
        else:
            await _reply(update, context, esc(text))
    for closing in outcome.closings:
        await _close(context.application, closing)


async def on_press(update: Update, context: Ctx) -> None:
    query = update.callback_query
    parsed = MQ.parse(query.data)
    try:
        post_text_id, action = (parsed.value or "").split(":", 1)
        post_id = whole_number(post_text_id)
    except (AttributeError, ValueError):
        await stale(update, context)
        raise ApplicationHandlerStop from None
    message = query.message
    outcome = await db(context, service.press, post_id, update.effective_chat.id,
                       query.from_user.id, action,
                       getattr(message, "message_id", None),
                       getattr(message, "text_html", None) or "")
    await _tell(update, context, outcome)
    raise ApplicationHandlerStop


def _command(text: str, bot_username: str | None) -> tuple[str, list[str]] | None:
    """("moderators", ["K7MQ-4XR9"]) for "/moderators@our_bot K7MQ-4XR9"; None for a command
    addressed to another bot, or no command."""
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), args


async def _link(update: Update, context: Ctx, args: list[str]) -> None:
    app = context.application.bot_data[FLASK_APP_KEY]
    sender, chat = update.effective_user, update.effective_chat
    try:
        locale = await db(context, service.link_chat, sender.id, chat.id, chat.title or "",
                          args[0] if args else "")
    except DomainError as error:
        locale = await db(context, service.account_locale, sender.id) or guess_locale(update)
        await _reply(update, context, esc(render(app, locale, error.message)))
        return
    await _reply(update, context, esc(render(app, locale, _l(
        "This group is now the moderators' chat of Mekendesh. I will post every item waiting "
        "in the moderation queue here, with buttons; only the presses of moderators whose "
        "Telegram is joined to their staff account count, and each item is decided once."))))
    # The first entries come at once rather than at the next round of the poll.
    context.application.create_task(poll_once(context.application))


async def on_group_message(update: Update, context: Ctx) -> None:
    message, chat, sender = update.effective_message, update.effective_chat, update.effective_user
    if message is None or sender is None:
        return
    if message.migrate_to_chat_id:
        await db(context, service.chat_migrated, chat.id, message.migrate_to_chat_id)
        raise ApplicationHandlerStop
    text = message.text or ""
    command = _command(text, context.bot.username)
    if command is not None and command[0] == "moderators":
        await _link(update, context, command[1])
        raise ApplicationHandlerStop
    if command is not None and command[0] == "cancel":
        if await db(context, service.cancel_asks, chat.id, sender.id):
            app = context.application.bot_data[FLASK_APP_KEY]
            locale = await db(context, service.account_locale, sender.id) or guess_locale(update)
            await _reply(update, context, esc(render(app, locale, _l(
                "All right, no reason: nothing was decided."))))
        raise ApplicationHandlerStop
    reply_to = message.reply_to_message
    if (command is None and text and reply_to is not None and reply_to.from_user is not None
            and reply_to.from_user.id == context.bot.id):
        outcome = await db(context, service.answer_ask, chat.id, reply_to.message_id,
                           sender.id, text)
        if outcome is not None:
            await _tell(update, context, outcome)


async def on_member_change(update: Update, context: Ctx) -> None:
    """The bot was removed from a group: that chat is no longer the moderators' chat."""
    change = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup"):
        return
    if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        await db(context, service.chat_left, change.chat.id)
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.bot_data[ENABLED_KEY] = True
    application.add_handler(MQ.handler(on_press), group=GROUP)
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & (filters.TEXT | filters.StatusUpdate.MIGRATE),
                       on_group_message), group=GROUP)
    application.add_handler(
        ChatMemberHandler(on_member_change, ChatMemberHandler.MY_CHAT_MEMBER), group=GROUP)

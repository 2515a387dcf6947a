"""/language, /stop, /delete, /link and /web: the member's account from the chat."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
)

from bot.handlers.common import ack, button, keyboard, say, send, stale
from bot.handlers.menu import show_menu
from bot.runtime import db, esc, h, lang, t
from diaspora.accounts import service
from diaspora.accounts import telegram as tg
from diaspora.errors import DomainError, NotFound
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES

# -- database work -----------------------------------------------------------------------------


def _is_registered(chat_id: int) -> bool:
    return tg.registered_chat_user(chat_id) is not None


def _delete(chat_id: int) -> bool:
    user = tg.find_chat_user(chat_id)
    if user is None:
        return False
    service.delete_personal_data(user, user)
    return True


def _login_link(chat_id: int) -> str:
    token = tg.issue_login_token(chat_id)
    return f"{current_app.config['SITE_URL']}/login/telegram/{token}"


def _link_code(chat_id: int, name: str | None, username: str | None) -> tuple[str, str]:
    code = tg.issue_link_code(chat_id, name=name, username=username)
    return tg.format_code(code), current_app.config["SITE_URL"] + "/account"


# -- language ----------------------------------------------------------------------------------


async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    markup = keyboard(
        [button(LANGUAGE_NAMES[code], f"setlang:{code}") for code in SUPPORTED_LOCALES]
    )
    await say(update, context, _l("Choose your language:"), markup)


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = update.callback_query.data.partition(":")[2]
    if code not in SUPPORTED_LOCALES:
        await stale(update, context)
        return
    context.user_data["lang"] = code
    await ack(update, context, esc(LANGUAGE_NAMES[code]))
    await db(context, tg.set_chat_locale, update.effective_chat.id, code)
    await show_menu(update, context, _l("Done: I will write to you in English."))


# -- /stop ---------------------------------------------------------------------------------------


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await db(context, tg.set_broadcasts_paused, update.effective_chat.id, True)
    except NotFound:
        await say(
            update,
            context,
            _l("You are not registered, so I send you nothing. Send /start to register."),
        )
        return
    await say(
        update,
        context,
        _l(
            "Broadcasts are paused: I will not send you news or surveys. Send /start to turn "
            "them on again."
        ),
    )


# -- /delete -------------------------------------------------------------------------------------


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await db(context, _is_registered, update.effective_chat.id):
        await say(update, context, _l("There is no personal data of yours to erase."))
        return
    locale = lang(update, context)
    markup = keyboard(
        [
            button(t(context, locale, _l("Yes, erase everything")), "del:yes"),
            button(t(context, locale, _l("No, keep it")), "del:no"),
        ]
    )
    await say(
        update,
        context,
        _l(
            "Erase your profile and everything that identifies you on Mekendesh? This cannot be "
            "undone."
        ),
        markup,
    )


async def delete_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    answer = update.callback_query.data.partition(":")[2]
    locale = lang(update, context)
    if answer == "no":
        await ack(update, context, h(context, locale, _l("No, keep it")))
        await show_menu(update, context, _l("Nothing was erased."))
        return
    if answer != "yes":
        await stale(update, context)
        return
    await ack(update, context, h(context, locale, _l("Yes, erase everything")))
    chat_id = update.effective_chat.id
    if not await db(context, _delete, chat_id):
        await say(update, context, _l("There is no personal data of yours to erase."))
        return
    context.user_data.clear()
    user_id = update.effective_user.id if update.effective_user else chat_id
    context.application.drop_user_data(user_id)
    persistence = context.application.persistence
    if persistence is not None and hasattr(persistence, "forget_chat"):
        await db(context, persistence.forget_chat, chat_id)
    await send(
        update,
        context,
        h(
            context,
            locale,
            _l("Your personal data is erased. Goodbye! Send /start if you ever want to come back."),
        ),
    )


# -- /link and /web ------------------------------------------------------------------------------


async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = update.effective_user  # the web shows who asked before the link is made
    code, url = await db(
        context, _link_code, update.effective_chat.id,
        person.full_name if person else None, person.username if person else None,
    )
    locale = lang(update, context)
    text = h(
        context,
        locale,
        _l(
            "Your code: %(code)s. Log in on the website, open your account page and enter this "
            "code there within 10 minutes. It works once.",
            code="{code}",
        ),
    )
    text = text.replace("{code}", f"<code>{esc(code)}</code>")
    await send(update, context, f"{text}\n{esc(url)}")


async def web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        url = await db(context, _login_link, update.effective_chat.id)
    except DomainError:
        await say(update, context, _l("You are not registered yet. Send /start to begin."))
        return
    locale = lang(update, context)
    text = h(
        context,
        locale,
        _l(
            "Open this link to log in to the website. It works once, within 10 minutes, and only "
            "for you: do not share it."
        ),
    )
    await send(update, context, f'{text}\n<a href="{esc(url)}">{esc(url)}</a>')


async def chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The member blocked the bot (or came back): the sender skips blocked chats."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    await db(context, tg.set_chat_blocked, change.chat.id, status in ("kicked", "left"))


async def cancel_outside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_menu(update, context, _l("There is nothing to cancel."))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("language", ask_language))
    application.add_handler(CallbackQueryHandler(set_language, pattern=r"^setlang:"))
    application.add_handler(CommandHandler("stop", stop))
    application.add_handler(CommandHandler("delete", delete))
    application.add_handler(CallbackQueryHandler(delete_answer, pattern=r"^del:"))
    application.add_handler(CommandHandler("link", link))
    application.add_handler(CommandHandler("web", web))
    application.add_handler(CommandHandler("cancel", cancel_outside))
    application.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

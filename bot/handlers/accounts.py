"""The accounts feature in Telegram: registration (/start) and /profile, /language, /stop,
/delete, /link and /web. `register(application)` adds them, their menu items and commands."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.callbacks import register_prefix
from bot.handlers import menu, registration
from bot.handlers.common import ack, button, call_service, keyboard, say, send, stale
from bot.handlers.menu import show_menu
from bot.handlers.profile import ZONE, profile_command, show_profile, zone_button
from bot.runtime import db, esc, h, lang, t
from diaspora.accounts import service
from diaspora.accounts import telegram as tg
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES

SET_LANGUAGE = register_prefix("setlang", owner="accounts")
DELETE = register_prefix("del", owner="accounts")

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
        [button(LANGUAGE_NAMES[code], SET_LANGUAGE.data(code)) for code in SUPPORTED_LOCALES]
    )
    await say(update, context, _l("Choose your language:"), markup)


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    parsed = SET_LANGUAGE.parse(update.callback_query.data)
    code = parsed.value if parsed else None
    if code not in SUPPORTED_LOCALES:
        await stale(update, context)
        return
    context.user_data["lang"] = code
    await ack(update, context, esc(LANGUAGE_NAMES[code]))
    await db(context, tg.set_chat_locale, update.effective_chat.id, code)
    await show_menu(update, context, _l("Done: I will write to you in English."))


# -- /stop ---------------------------------------------------------------------------------------


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat_id = update.effective_chat.id
    if await call_service(update, context, tg.set_broadcasts_paused, chat_id, True) is None:
        return  # not registered: the service said so
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
            button(t(context, locale, _l("Yes, erase everything")), DELETE.data("yes")),
            button(t(context, locale, _l("No, keep it")), DELETE.data("no")),
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
    parsed = DELETE.parse(update.callback_query.data)
    answer = parsed.value if parsed else None
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
    url = await call_service(update, context, _login_link, update.effective_chat.id)
    if url is None:
        return  # not registered: the service said so
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
    from bot import consent, sanctions

    sanctions.register(application)  # a blocked member is told so, and nothing else runs
    consent.register(application)  # a changed privacy notice is asked for before anything
    # The conversation first: its /cancel and answers win over the commands below.
    registration.register(application)
    menu.add_item(application, "profile", _l("My profile"), show_profile, order=50)
    menu.add_item(application, "lang", _l("Language"), ask_language, order=60)
    menu.add_command(application, "start", _l("Start or resume Mekendesh"), order=10)
    menu.add_command(application, "profile", _l("My profile"), profile_command, order=30)
    menu.add_command(application, "language", _l("Change language"), ask_language, order=40)
    menu.add_command(application, "web", _l("Log in to the website"), web, order=60)
    menu.add_command(
        application, "link", _l("Join this chat to your web account"), link, order=70
    )
    menu.add_command(application, "stop", _l("Pause all broadcasts"), stop, order=80)
    menu.add_command(application, "delete", _l("Erase my personal data"), delete, order=90)
    menu.add_command(application, "cancel", _l("Leave the current step"), cancel_outside, order=100)
    application.add_handler(SET_LANGUAGE.handler(set_language))
    application.add_handler(ZONE.handler(zone_button))
    application.add_handler(DELETE.handler(delete_answer))
    application.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

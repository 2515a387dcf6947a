"""The main menu (inline buttons "m:<item>"), /menu, /help and the command list.

Features that arrive later plug in by replacing an entry of MENU_ACTIONS, e.g. in
bot/handlers/news.py:  `menu.MENU_ACTIONS["news"] = show_news`  inside its register().
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flask_babel import lazy_gettext as _l
from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.handlers.common import button, keyboard, rows, say, send, stale
from bot.runtime import FLASK_APP_KEY, h, lang, render, t
from diaspora.i18n import SUPPORTED_LOCALES

MenuAction = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]

MENU_ITEMS = (
    ("news", _l("News")),
    ("surveys", _l("Surveys")),
    ("projects", _l("Projects")),
    ("propose", _l("Propose a project")),
    ("profile", _l("My profile")),
    ("lang", _l("Language")),
    ("help", _l("Help")),
)

COMMANDS = (
    ("start", _l("Start or resume Mekendesh")),
    ("menu", _l("Main menu")),
    ("profile", _l("My profile")),
    ("language", _l("Change language")),
    ("help", _l("What this bot does")),
    ("web", _l("Log in to the website")),
    ("link", _l("Join this chat to your web account")),
    ("stop", _l("Pause all broadcasts")),
    ("delete", _l("Erase my personal data")),
    ("cancel", _l("Leave the current step")),
)


def menu_markup(context: ContextTypes.DEFAULT_TYPE, locale: str) -> InlineKeyboardMarkup:
    return keyboard(
        *rows([button(t(context, locale, label), f"m:{key}") for key, label in MENU_ITEMS])
    )


async def show_menu(
    update: Update, context: ContextTypes.DEFAULT_TYPE, intro: object = None
) -> None:
    locale = lang(update, context)
    text = h(context, locale, intro if intro is not None else _l("What would you like to do?"))
    await send(update, context, text, menu_markup(context, locale))


async def coming_soon(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(
        update,
        context,
        _l("This part of Mekendesh is coming soon. We will tell you when it is ready."),
    )


async def help_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    locale = lang(update, context)
    lines = [
        "<b>"
        + h(
            context,
            locale,
            _l(
                "Mekendesh connects Kyrgyzstanis abroad with home: news in your language, "
                "surveys, and projects for your home community."
            ),
        )
        + "</b>",
        "",
    ]
    lines += [f"/{name} — {h(context, locale, label)}" for name, label in COMMANDS]
    await send(update, context, "\n".join(lines), menu_markup(context, locale))


async def menu_news(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replaced by the news feature (bot/handlers/news.py)."""
    await coming_soon(update, context)


async def _profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from bot.handlers.registration import show_profile

    await show_profile(update, context)


async def _language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    from bot.handlers.account import ask_language

    await ask_language(update, context)


MENU_ACTIONS: dict[str, MenuAction] = {
    "news": menu_news,
    "surveys": coming_soon,
    "projects": coming_soon,
    "propose": coming_soon,
    "profile": _profile,
    "lang": _language,
    "help": help_text,
}


async def menu_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_menu(update, context)


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    key = update.callback_query.data.partition(":")[2]
    action = MENU_ACTIONS.get(key)
    if action is None:
        await stale(update, context)
        return
    await update.callback_query.answer()
    await action(update, context)


async def set_commands(application: Application) -> None:
    """The command list in each language (and Kyrgyz for everyone else)."""
    app = application.bot_data[FLASK_APP_KEY]
    for code in (None, *SUPPORTED_LOCALES):
        locale = code or "ky"
        commands = [
            BotCommand(name, render(app, locale, label)[:256]) for name, label in COMMANDS
        ]
        await application.bot.set_my_commands(commands, language_code=code)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("menu", menu_command))
    application.add_handler(CommandHandler("help", help_text))
    application.add_handler(CallbackQueryHandler(menu_button, pattern=r"^m:"))

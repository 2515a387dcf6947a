"""The main menu, /menu, /help and the command list, and the registry features fill them from.

A feature's `register(application)` adds what it offers:

    menu.add_item(application, "news", _l("News"), show_news, order=10)
    menu.add_command(application, "news", _l("The latest news for you"), news_command, order=15)
    menu.add_conversation(application, FLOW.build())

`add_command` registers the CommandHandler too (pass handler=None for a command another
handler already answers, e.g. /start inside a conversation), so a command cannot be handled
without being listed in /help and `set_my_commands`, nor listed without a handler. The
registry belongs to one Application (kept in its bot_data), so several applications built in
one process (tests, a restart) never share items. This module imports no feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from telegram import BotCommand, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes, ConversationHandler, filters

from bot.callbacks import register_prefix
from bot.handlers.common import button, keyboard, rows, send, stale
from bot.runtime import FLASK_APP_KEY, h, lang, render, t
from diaspora.i18n import SUPPORTED_LOCALES

MenuAction = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[object]]
REGISTRY_KEY = "menu_registry"
MENU = register_prefix("m", owner="menu")


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: object  # a lazy catalog string
    action: MenuAction
    order: int


@dataclass(frozen=True)
class Command:
    name: str
    description: object  # a lazy catalog string
    order: int


class Registry:
    def __init__(self) -> None:
        self.items: dict[str, MenuItem] = {}
        self.commands: dict[str, Command] = {}

    def sorted_items(self) -> list[MenuItem]:
        return sorted(self.items.values(), key=lambda item: (item.order, item.key))

    def sorted_commands(self) -> list[Command]:
        return sorted(self.commands.values(), key=lambda c: (c.order, c.name))


def registry(application: Application) -> Registry:
    return application.bot_data.setdefault(REGISTRY_KEY, Registry())


def add_item(
    application: Application, key: str, label: object, action: MenuAction, *, order: int = 100
) -> None:
    """A main-menu button; a second item with the same key is refused (two features clash)."""
    items = registry(application).items
    if key in items:
        raise ValueError(f"menu item {key!r} is already registered")
    MENU.data(key)  # checks the callback-data length now, not when a member opens the menu
    items[key] = MenuItem(key, label, action, order)


def add_conversation(application: Application, conversation: ConversationHandler) -> None:
    """A feature's conversation, placed by one rule: ahead of every other kind of handler (the
    menu's buttons, so "Propose a project" in the menu enters its conversation; the general
    /cancel, so /cancel leaves the conversation under way), and behind the conversations
    added before it (registration first: a question asked from /profile while another
    conversation waits is answered there). In a group only the first matching handler runs."""
    application.add_handler(conversation)
    group = application.handlers[0]
    group.remove(conversation)
    position = next((i for i, handler in enumerate(group)
                     if not isinstance(handler, ConversationHandler)), len(group))
    group.insert(position, conversation)


def has_item(application: Application, key: str) -> bool:
    return key in registry(application).items


def add_command(
    application: Application,
    name: str,
    description: object,
    handler: MenuAction | None = None,
    *,
    order: int = 100,
    handler_filters: filters.BaseFilter | None = None,
) -> None:
    """List /name (in /help and Telegram's command menu) and, with a handler, answer it."""
    commands = registry(application).commands
    if name in commands:
        raise ValueError(f"command /{name} is already registered")
    commands[name] = Command(name, description, order)
    if handler is not None:
        application.add_handler(CommandHandler(name, handler, filters=handler_filters))


def command_list(application: Application) -> list[Command]:
    return registry(application).sorted_commands()


def menu_markup(context: ContextTypes.DEFAULT_TYPE, locale: str) -> InlineKeyboardMarkup:
    items = registry(context.application).sorted_items()
    return keyboard(
        *rows([button(t(context, locale, item.label), MENU.data(item.key)) for item in items])
    )


async def show_menu(
    update: Update, context: ContextTypes.DEFAULT_TYPE, intro: object = None
) -> None:
    locale = lang(update, context)
    text = h(context, locale, intro if intro is not None else _l("What would you like to do?"))
    await send(update, context, text, menu_markup(context, locale))


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
    lines += [
        f"/{c.name} — {h(context, locale, c.description)}"
        for c in command_list(context.application)
    ]
    await send(update, context, "\n".join(lines), menu_markup(context, locale))


async def menu_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_menu(update, context)


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    parsed = MENU.parse(update.callback_query.data)
    item = registry(context.application).items.get(parsed.value) if parsed else None
    if item is None:
        await stale(update, context)
        return
    await update.callback_query.answer()
    await item.action(update, context)


async def set_commands(application: Application) -> None:
    """The command list in each language (and Kyrgyz for everyone else)."""
    app = application.bot_data[FLASK_APP_KEY]
    listed = command_list(application)
    for code in (None, *SUPPORTED_LOCALES):
        locale = code or "ky"
        commands = [BotCommand(c.name, render(app, locale, c.description)[:256]) for c in listed]
        await application.bot.set_my_commands(commands, language_code=code)


def register(application: Application) -> None:
    """The menu's own handlers; build_application calls this before any feature."""
    registry(application)
    add_item(application, "help", _l("Help"), help_text, order=900)
    add_command(application, "menu", _l("Main menu"), menu_command, order=20)
    add_command(application, "help", _l("What this bot does"), help_text, order=50)
    application.add_handler(MENU.handler(menu_button))

"""/profile: the member's answers (the same summary as the web account page) and a button to
change each one (the registration conversation asks that one question again)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import ContextTypes

from bot.callbacks import register_prefix
from bot.handlers.common import button, keyboard, rows, say, send
from bot.handlers.menu import MENU
from bot.runtime import db, esc, h, lang, t
from diaspora.accounts import service
from diaspora.accounts import telegram as tg
from diaspora.accounts.permissions import can

# "Change this answer" buttons: e:<question>; handled by the registration conversation.
EDIT = register_prefix("e", owner="profile")
EDIT_BUTTONS = (
    ("country", _l("Country")),
    ("city", _l("City")),
    ("home", _l("Home community")),
    ("village", _l("Village")),
    ("return", _l("Return plans")),
    ("remit", _l("Money home")),
    ("sectors", _l("Sectors")),
)


@dataclass(frozen=True)
class ProfileView:
    lines: list[service.SummaryLine]
    editable: bool
    site_url: str


def _profile_view(chat_id: int, locale: str) -> ProfileView | None:
    user = tg.registered_chat_user(chat_id)
    if user is None:
        return None
    return ProfileView(
        service.profile_summary(user, locale),
        can(user, "profile.edit", user),
        current_app.config["SITE_URL"] + "/account",
    )


def may_edit(chat_id: int) -> bool | None:
    """None: not registered; else whether the member may change their answers."""
    user = tg.registered_chat_user(chat_id)
    return None if user is None else can(user, "profile.edit", user)


async def show_profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    locale = lang(update, context)
    view = await db(context, _profile_view, update.effective_chat.id, locale)
    if view is None:
        await say(update, context, tg.NOT_REGISTERED)
        return
    heading = h(context, locale, _l("My profile"))
    lines = [f"<b>{heading}</b>", ""]
    lines += [f"{esc(line.label)}: {esc(line.value or '—')}" for line in view.lines]
    lines += ["", h(context, locale, _l("Site: %(url)s", url=view.site_url))]
    buttons = []
    if view.editable:
        lines += ["", h(context, locale, _l("To change an answer, press its button."))]
        buttons = [button(t(context, locale, label), EDIT.data(key)) for key, label in EDIT_BUTTONS]
    buttons += [
        button(t(context, locale, _l("Language")), MENU.data("lang")),
        button(t(context, locale, _l("Main menu")), EDIT.data("menu")),
    ]
    await send(update, context, "\n".join(lines), keyboard(*rows(buttons)))


async def profile_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_profile(update, context)

"""/profile: the member's answers (the same summary as the web account page) and a button to
change each one (the registration conversation asks that one question again), and the time
zone the member's dates are shown in (buttons of common zones, saved on press)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import ContextTypes

from bot.callbacks import register_prefix
from bot.handlers.common import ack, button, call_service, keyboard, rows, say, send, stale
from bot.handlers.menu import MENU
from bot.runtime import db, esc, h, lang, t
from diaspora.accounts import service
from diaspora.accounts import telegram as tg
from diaspora.accounts.permissions import can
from diaspora.timezones import COMMON_ZONES, timezone_choices, timezone_label

# "Change this answer" buttons: e:<question>; handled by the registration conversation.
EDIT = register_prefix("e", owner="profile")
# Time zone: tz!ask shows the zones, tz:<zone> chooses one, tz!auto follows the country.
ZONE = register_prefix("tz", owner="profile")
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
        buttons.append(button(t(context, locale, _l("Time zone")), ZONE.control("ask")))
    buttons += [
        button(t(context, locale, _l("Language")), MENU.data("lang")),
        button(t(context, locale, _l("Main menu")), EDIT.data("menu")),
    ]
    await send(update, context, "\n".join(lines), keyboard(*rows(buttons)))


async def profile_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_profile(update, context)


# -- time zone ----------------------------------------------------------------------------------


def _set_zone(chat_id: int, zone: str | None, locale: str) -> str:
    user = tg.require_chat_user(chat_id)
    service.set_timezone(user, user, zone)
    line = next(line for line in service.profile_summary(user, locale) if line.key == "timezone")
    return line.value or ""


async def zone_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    parsed = ZONE.parse(update.callback_query.data)
    locale = lang(update, context)
    if parsed is not None and parsed.control == "ask":
        await update.callback_query.answer()
        buttons = [button(label, ZONE.data(zone)) for zone, label in timezone_choices(locale)]
        auto = button(t(context, locale, _l("As in my country of residence")), ZONE.control("auto"))
        await send(
            update,
            context,
            h(context, locale, _l("Choose your time zone: dates and times will be shown in it.")),
            keyboard(*rows(buttons), [auto]),
        )
        return
    if parsed is not None and parsed.control == "auto":
        zone = None
    elif parsed is not None and parsed.control is None and parsed.value in COMMON_ZONES:
        zone = parsed.value
    else:
        await stale(update, context)
        return
    shown = await call_service(update, context, _set_zone, update.effective_chat.id, zone, locale)
    if shown is None:
        return  # not registered, or not allowed: said
    await ack(update, context, esc(timezone_label(zone, locale) if zone else shown))
    await show_profile(update, context)

"""/start, language, privacy consent, the registration conversation and profile editing.

One persistent ConversationHandler ("registration") walks a newcomer through the questions
and also serves the "change this answer" buttons of /profile (mode "edit": one question,
then the profile again). Every answer is saved to the profile as soon as it is given, so the
web shows it at once and nothing is lost if the bot stops; the conversation position itself
is persisted by bot.persistence.SQLPersistence.

Before "I agree" only the chosen language is kept (in the bot's user_data, keyed by chat id).
"""

from __future__ import annotations

import re
import warnings

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.handlers.common import ack, button, keyboard, rows, say, send, stale
from bot.handlers.menu import show_menu
from bot.runtime import db, esc, flask_app, guess_locale, h, lang, t
from diaspora.accounts import choices, service
from diaspora.accounts import telegram as tg
from diaspora.errors import DomainError, NotFound
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from diaspora.places import service as places
from diaspora.places.countries import COMMON_DESTINATIONS, country_name, is_country, match_country

# Conversation states (stored in the database, so keep the values stable).
LANGUAGE = "language"
CONSENT = "consent"
COUNTRY = "country"
CITY = "city"
HOME = "home"
RETURN_PLAN = "return_plan"
REMITTANCES = "remittances"
SECTORS = "sectors"
END = ConversationHandler.END

STEPS = (COUNTRY, CITY, HOME, RETURN_PLAN, REMITTANCES, SECTORS)
EDITABLE = {
    "country": COUNTRY,
    "city": CITY,
    "home": HOME,
    "return": RETURN_PLAN,
    "remit": REMITTANCES,
    "sectors": SECTORS,
}
PAGE_SIZE = 8
MAX_TYPED = 100
# Callback prefixes this conversation owns; other buttons fall through to their handlers.
OWN_CALLBACKS = r"^(lang|consent|ct|skip|pl|pp|hs|hb|rp|rm|sc)(:|$)"


# -- database work (runs in a worker thread, inside an app context) --------------------------


def _account(chat_id: int) -> dict | None:
    user = tg.registered_chat_user(chat_id)
    if user is None:
        return None
    profile = service.ensure_profile(user)
    return {
        "locale": user.locale,
        "country": profile.country_code,
        "home": profile.home_place_id,
        "sectors": list(profile.interest_sectors or []),
    }


def _save(chat_id: int, **changes: object) -> None:
    user = tg.require_chat_user(chat_id)
    service.update_profile(user, user, **changes)


def _place_page(parent_id: int, locale: str) -> dict:
    """The choices below `parent_id` (0: the regions), sorted by name in the reader's language."""
    if parent_id:
        parent = places.get_place(parent_id)
        if parent is None:
            return {"options": [], "level": 0, "name": ""}
        items = places.children(parent)
        level, name = parent.level, parent.display_name(locale)
    else:
        items, level, name = places.regions(), 0, ""
    options = sorted(((p.id, p.display_name(locale)) for p in items), key=lambda o: o[1].casefold())
    return {"options": options, "level": level, "name": name}


def _choose_place(place_id: int, parent_id: int, locale: str) -> dict | None:
    place = places.get_place(place_id)
    if place is None or (place.parent_id or 0) != parent_id:
        return None
    return {
        "id": place.id,
        "has_children": bool(places.children(place)),
        "full_name": place.full_name(locale),
    }


def _profile_html(chat_id: int, locale: str) -> str | None:
    user = tg.registered_chat_user(chat_id)
    if user is None:
        return None
    p = service.ensure_profile(user)
    with force_locale(locale):
        dash = "—"
        sectors = ", ".join(
            str(choices.INTEREST_SECTORS[c])
            for c in p.interest_sectors or []
            if c in choices.INTEREST_SECTORS
        )
        answers = [
            (_l("Country of residence"), country_name(p.country_code, locale)),
            (_l("City"), p.city),
            (_l("Home community in Kyrgyzstan"),
             p.home_place.full_name(locale) if p.home_place else None),
            (_l("Plans to return"), choices.RETURN_PLANS.get(p.return_plan)),
            (_l("Sends money home"), choices.REMITTANCES.get(p.remittances)),
            (_l("Sectors that interest me"), sectors),
            (_l("Language"), LANGUAGE_NAMES.get(user.locale or locale)),
        ]
        heading = esc(_l("My profile"))
        lines = [
            f"<b>{heading}</b>",
            "",
            *(f"{esc(label)}: {esc(value or dash)}" for label, value in answers),
            "",
            esc(_l("Site: %(url)s", url=current_app.config["SITE_URL"] + "/account")),
        ]
    return "\n".join(lines)


# -- helpers ---------------------------------------------------------------------------------


def _mode(context: ContextTypes.DEFAULT_TYPE) -> str:
    return context.user_data.get("mode", "register")


def _has_letters(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]", text))


async def _require_registered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    account = await db(context, _account, update.effective_chat.id)
    if account is None:
        await say(update, context, _l("You are not registered yet. Send /start to begin."))
        return False
    return True


async def _save_or_explain(
    update: Update, context: ContextTypes.DEFAULT_TYPE, **changes: object
) -> bool:
    try:
        await db(context, _save, update.effective_chat.id, **changes)
    except NotFound:
        await say(update, context, _l("You are not registered yet. Send /start to begin."))
        return False
    except DomainError as error:
        await say(update, context, error.message)
        return False
    return True


async def _advance(update: Update, context: ContextTypes.DEFAULT_TYPE, done: str) -> object:
    """After an answer: the next question, or (editing one answer) the profile again."""
    if _mode(context) == "edit":
        _forget(context)
        await show_profile(update, context)
        return END
    index = STEPS.index(done)
    if index + 1 < len(STEPS):
        return await ASK[STEPS[index + 1]](update, context)
    _forget(context)
    await show_menu(
        update,
        context,
        _l(
            "Thank you, you are registered! Your answers are in your profile (/profile). "
            "Here is the main menu."
        ),
    )
    return END


def _forget(context: ContextTypes.DEFAULT_TYPE) -> None:
    for key in ("mode", "step", "home_parent", "sectors"):
        context.user_data.pop(key, None)


def _skip_button(context: ContextTypes.DEFAULT_TYPE, locale: str) -> InlineKeyboardButton:
    return button(t(context, locale, _l("Skip")), "skip")


# -- /start, language, consent ---------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    chat_id = update.effective_chat.id
    account = await db(context, _account, chat_id)
    if account is not None:
        if account["locale"] in SUPPORTED_LOCALES:
            context.user_data["lang"] = account["locale"]
        await db(context, tg.set_broadcasts_paused, chat_id, False)
        if not account["country"]:
            context.user_data["mode"] = "register"
            return await ask_country(update, context)
        if not account["home"]:
            context.user_data["mode"] = "register"
            return await ask_home(update, context)
        _forget(context)
        await show_menu(
            update, context, _l("Welcome back to Mekendesh! Broadcast messages are on.")
        )
        return END
    locale = lang(update, context) if "lang" in context.user_data else guess_locale(update)
    context.user_data["lang"] = locale
    context.user_data["mode"] = "register"
    context.user_data["step"] = LANGUAGE
    text = h(
        context,
        locale,
        _l(
            "Welcome to Mekendesh, the platform of Kyrgyzstanis abroad! News from home in your "
            "language, surveys and projects for your home community. Choose your language:"
        ),
    )
    markup = keyboard([button(LANGUAGE_NAMES[code], f"lang:{code}") for code in SUPPORTED_LOCALES])
    await send(update, context, text, markup)
    return LANGUAGE


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    code = update.callback_query.data.partition(":")[2]
    if code not in SUPPORTED_LOCALES:
        await stale(update, context)
        return None
    context.user_data["lang"] = code
    await ack(update, context, esc(LANGUAGE_NAMES[code]))
    return await ask_consent(update, context)


async def ask_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    locale = lang(update, context)
    url = esc(flask_app(context).config["SITE_URL"] + "/privacy")
    # Catalog strings stay outside f-strings: the extractor does not look inside them.
    heading = h(context, locale, _l("Privacy"))
    full_notice = h(context, locale, _l("Read the full privacy notice"))
    text = (
        f"<b>{heading}</b>\n"
        + h(
            context,
            locale,
            _l(
                "Mekendesh keeps the answers you give here (country, city, home community, plans) "
                "to send you news and surveys that concern you and to count, without names, how "
                "the diaspora lives. We never sell or publish your data; you can erase it at any "
                "time with /delete."
            ),
        )
        + f'\n<a href="{url}">{full_notice}</a>'
    )
    markup = keyboard(
        [
            button(t(context, locale, _l("I agree")), "consent:yes"),
            button(t(context, locale, _l("No, thanks")), "consent:no"),
        ]
    )
    context.user_data["step"] = CONSENT
    await send(update, context, text, markup)
    return CONSENT


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    answer = update.callback_query.data.partition(":")[2]
    locale = lang(update, context)
    if answer == "no":
        await ack(update, context, h(context, locale, _l("No, thanks")))
        _forget(context)
        await say(
            update,
            context,
            _l(
                "All right: nothing about you is stored except this chat and your language. "
                "Send /start whenever you change your mind."
            ),
        )
        return END
    if answer != "yes":
        await stale(update, context)
        return None
    await ack(update, context, h(context, locale, _l("I agree")))
    user = update.effective_user
    await db(
        context,
        tg.accept_privacy_in_chat,
        update.effective_chat.id,
        locale,
        user.language_code if user else None,
    )
    context.user_data["mode"] = "register"
    return await ask_country(update, context)


# -- country ---------------------------------------------------------------------------------


async def ask_country(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    locale = lang(update, context)
    context.user_data["step"] = COUNTRY
    buttons = [button(country_name(code, locale), f"ct:{code}") for code in COMMON_DESTINATIONS]
    markup = keyboard(
        *rows(buttons), [button(t(context, locale, _l("Another country")), "ct:other")]
    )
    await send(update, context, h(context, locale, _l("Which country do you live in now?")), markup)
    return COUNTRY


async def country_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    code = update.callback_query.data.partition(":")[2]
    locale = lang(update, context)
    if code == "other":
        await ack(update, context, h(context, locale, _l("Another country")))
        await say(
            update,
            context,
            _l(
                "Type the name of the country, in Kyrgyz, Russian or English "
                "(for example: Германия)."
            ),
        )
        return COUNTRY
    if not is_country(code):
        await stale(update, context)
        return None
    await ack(update, context, esc(country_name(code, locale)))
    if not await _save_or_explain(update, context, country_code=code):
        return None
    return await _advance(update, context, COUNTRY)


async def country_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    text = update.message.text or ""
    code = match_country(text) if len(text) <= MAX_TYPED else None
    locale = lang(update, context)
    if code is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        await say(
            update,
            context,
            _l(
                "I could not find a country called “%(name)s”. Try again, or press one of the "
                "buttons above.",
                name=shown,
            ),
        )
        return None
    if not await _save_or_explain(update, context, country_code=code):
        return None
    await send(update, context, "✅ <b>" + esc(country_name(code, locale)) + "</b>")
    return await _advance(update, context, COUNTRY)


# -- city ------------------------------------------------------------------------------------


async def ask_city(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    locale = lang(update, context)
    context.user_data["step"] = CITY
    await send(
        update,
        context,
        h(context, locale, _l("In which city? Type its name.")),
        keyboard([_skip_button(context, locale)]),
    )
    return CITY


async def city_typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    text = " ".join((update.message.text or "").split())
    if len(text) > MAX_TYPED:
        await say(
            update, context, _l("That is too long for a city name. Type just the name, please.")
        )
        return None
    if not _has_letters(text):
        await say(
            update, context, _l("Please type the name of the city in letters, or press Skip.")
        )
        return None
    if not await _save_or_explain(update, context, city=text):
        return None
    await send(update, context, "✅ <b>" + esc(text) + "</b>")
    return await _advance(update, context, CITY)


# -- home place ------------------------------------------------------------------------------


async def _home_markup(
    context: ContextTypes.DEFAULT_TYPE, locale: str, parent_id: int, page: int
) -> tuple[str, object]:
    data = await db(context, _place_page, parent_id, locale)
    options = data["options"]
    pages = max(1, -(-len(options) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = options[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    nav = []
    if page > 0:
        nav.append(button("« " + t(context, locale, _l("Back")), f"pp:{parent_id}:{page - 1}"))
    if page + 1 < pages:
        nav.append(button(t(context, locale, _l("More")) + " »", f"pp:{parent_id}:{page + 1}"))
    extra = []
    if parent_id:
        extra.append(button("↩ " + t(context, locale, _l("Regions")), "hb"))
    if data["level"] == 2:
        extra.append(button(t(context, locale, _l("Skip")), "hs"))
    markup = keyboard(*rows([button(name, f"pl:{pid}") for pid, name in chunk]), nav, extra)
    if data["level"] == 0:
        prompt = h(context, locale, _l("Where is your home in Kyrgyzstan? Choose the region."))
    elif data["level"] == 1:
        prompt = h(context, locale, _l("%(place)s: choose the district.", place=data["name"]))
    else:
        prompt = h(
            context,
            locale,
            _l(
                "%(place)s: choose your community (aiyl aimak or town), or Skip.",
                place=data["name"],
            ),
        )
    return prompt, markup


async def ask_home(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    locale = lang(update, context)
    context.user_data["step"] = HOME
    context.user_data["home_parent"] = 0
    prompt, markup = await _home_markup(context, locale, 0, 0)
    await send(update, context, prompt, markup)
    return HOME


async def home_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    query = update.callback_query
    locale = lang(update, context)
    parent = int(context.user_data.get("home_parent") or 0)
    kind, _, rest = query.data.partition(":")
    try:
        if kind == "pp":
            parent_s, _, page_s = rest.partition(":")
            if int(parent_s) != parent:
                raise ValueError
            prompt, markup = await _home_markup(context, locale, parent, int(page_s))
            await query.answer()
            await query.edit_message_text(prompt, reply_markup=markup)
            return None
        if kind == "hb":
            context.user_data["home_parent"] = 0
            prompt, markup = await _home_markup(context, locale, 0, 0)
            await query.answer()
            await query.edit_message_text(prompt, reply_markup=markup)
            return None
        if kind == "hs":
            if not parent:
                raise ValueError
            chosen = await db(context, _choose_place_self, parent, locale)
        else:
            chosen = await db(context, _choose_place, int(rest), parent, locale)
            if chosen is None:
                raise ValueError
            if chosen["has_children"]:
                context.user_data["home_parent"] = chosen["id"]
                prompt, markup = await _home_markup(context, locale, chosen["id"], 0)
                await query.answer()
                await query.edit_message_text(prompt, reply_markup=markup)
                return None
    except ValueError:
        await stale(update, context)
        return None
    if chosen is None:
        await stale(update, context)
        return None
    await ack(update, context, esc(chosen["full_name"]))
    if not await _save_or_explain(update, context, home_place_id=chosen["id"]):
        return None
    context.user_data.pop("home_parent", None)
    return await _advance(update, context, HOME)


def _choose_place_self(place_id: int, locale: str) -> dict | None:
    place = places.get_place(place_id)
    if place is None:
        return None
    return {"id": place.id, "has_children": False, "full_name": place.full_name(locale)}


# -- choices: return plans, remittances, sectors ---------------------------------------------


async def _ask_choice(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    state: str,
    question: object,
    options: dict,
    prefix: str,
) -> object:
    locale = lang(update, context)
    context.user_data["step"] = state
    buttons = [
        button(t(context, locale, label), f"{prefix}:{code}") for code, label in options.items()
    ]
    await send(
        update,
        context,
        h(context, locale, question),
        keyboard(*rows(buttons, 1), [_skip_button(context, locale)]),
    )
    return state


async def ask_return_plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    return await _ask_choice(
        update,
        context,
        RETURN_PLAN,
        _l("Do you plan to return to Kyrgyzstan?"),
        choices.RETURN_PLANS,
        "rp",
    )


async def ask_remittances(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    return await _ask_choice(
        update, context, REMITTANCES, _l("Do you send money home?"), choices.REMITTANCES, "rm"
    )


async def _choice_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: str, field: str, options: dict
) -> object:
    code = update.callback_query.data.partition(":")[2]
    if code not in options:
        await stale(update, context)
        return None
    await ack(update, context, h(context, lang(update, context), options[code]))
    if not await _save_or_explain(update, context, **{field: code}):
        return None
    return await _advance(update, context, state)


async def return_plan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    return await _choice_answer(update, context, RETURN_PLAN, "return_plan", choices.RETURN_PLANS)


async def remittances(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    return await _choice_answer(update, context, REMITTANCES, "remittances", choices.REMITTANCES)


def _sectors_markup(
    context: ContextTypes.DEFAULT_TYPE, locale: str, selected: list[str]
) -> InlineKeyboardMarkup:
    buttons = [
        button(("✓ " if code in selected else "") + t(context, locale, label), f"sc:{code}")
        for code, label in choices.INTEREST_SECTORS.items()
    ]
    return keyboard(
        *rows(buttons),
        [button("✅ " + t(context, locale, _l("Done")), "sc:done"), _skip_button(context, locale)],
    )


async def ask_sectors(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    locale = lang(update, context)
    context.user_data["step"] = SECTORS
    if "sectors" not in context.user_data:
        account = await db(context, _account, update.effective_chat.id)
        context.user_data["sectors"] = list(account["sectors"]) if account else []
    await send(
        update,
        context,
        h(
            context,
            locale,
            _l(
                "Would you invest in your home community? Choose the sectors that interest you "
                "(as many as you like), then press Done."
            ),
        ),
        _sectors_markup(context, locale, context.user_data["sectors"]),
    )
    return SECTORS


async def sectors(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    query = update.callback_query
    code = query.data.partition(":")[2]
    locale = lang(update, context)
    selected = list(context.user_data.get("sectors") or [])
    if code == "done":
        labels = ", ".join(t(context, locale, choices.INTEREST_SECTORS[c]) for c in selected)
        await ack(update, context, esc(labels) or "—")
        if not await _save_or_explain(
            update, context, interest_sectors=selected, wants_to_invest=bool(selected)
        ):
            return None
        return await _advance(update, context, SECTORS)
    if code not in choices.INTEREST_SECTORS:
        await stale(update, context)
        return None
    if code in selected:
        selected.remove(code)
    else:
        selected.append(code)
    context.user_data["sectors"] = selected
    await query.answer()
    await query.edit_message_reply_markup(_sectors_markup(context, locale, selected))
    return None


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    step = context.user_data.get("step")
    if step not in (CITY, RETURN_PLAN, REMITTANCES, SECTORS):
        await stale(update, context)
        return None
    await ack(update, context, h(context, lang(update, context), _l("Skipped")))
    return await _advance(update, context, step)


ASK = {
    COUNTRY: ask_country,
    CITY: ask_city,
    HOME: ask_home,
    RETURN_PLAN: ask_return_plan,
    REMITTANCES: ask_remittances,
    SECTORS: ask_sectors,
}


# -- the conversation's edges: /cancel, anything unexpected ----------------------------------


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    registering = _mode(context) == "register"
    _forget(context)
    if registering and await db(context, _account, update.effective_chat.id) is None:
        await say(update, context, _l("Stopped. Nothing was saved. Send /start to begin again."))
        return END
    await show_menu(
        update,
        context,
        _l("Stopped. The answers you gave are saved; change them any time in /profile."),
    )
    return END


async def reask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    """Something other than an answer to the current question: explain, ask again."""
    from bot.handlers.fallback import explain_unexpected

    await explain_unexpected(update, context)
    step = context.user_data.get("step")
    if step == LANGUAGE:
        return await start(update, context)
    if step == CONSENT:
        return await ask_consent(update, context)
    if step in ASK:
        return await ASK[step](update, context)
    return None


# -- /profile and its "change" buttons -------------------------------------------------------


async def show_profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    locale = lang(update, context)
    text = await db(context, _profile_html, update.effective_chat.id, locale)
    if text is None:
        await say(update, context, _l("You are not registered yet. Send /start to begin."))
        return
    edit = [
        button(t(context, locale, _l("Country")), "e:country"),
        button(t(context, locale, _l("City")), "e:city"),
        button(t(context, locale, _l("Home community")), "e:home"),
        button(t(context, locale, _l("Return plans")), "e:return"),
        button(t(context, locale, _l("Money home")), "e:remit"),
        button(t(context, locale, _l("Sectors")), "e:sectors"),
        button(t(context, locale, _l("Language")), "m:lang"),
        button(t(context, locale, _l("Main menu")), "e:menu"),
    ]
    text += "\n\n" + h(context, locale, _l("To change an answer, press its button."))
    await send(update, context, text, keyboard(*rows(edit)))


async def profile_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_profile(update, context)


async def edit_entry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
    field = update.callback_query.data.partition(":")[2]
    if field == "menu":
        await update.callback_query.answer()
        await show_menu(update, context)
        return END
    state = EDITABLE.get(field)
    if state is None:
        await stale(update, context)
        return END
    if not await _require_registered(update, context):
        await update.callback_query.answer()
        return END
    await update.callback_query.answer()
    _forget(context)
    context.user_data["mode"] = "edit"
    if state == SECTORS:
        context.user_data.pop("sectors", None)
    return await ASK[state](update, context)


def private_only(handler_filters: filters.BaseFilter | None = None) -> filters.BaseFilter:
    base = filters.ChatType.PRIVATE
    return base if handler_filters is None else base & handler_filters


def build_conversation() -> ConversationHandler:
    typed = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    skip_handler = CallbackQueryHandler(skip, pattern=r"^skip$")
    with warnings.catch_warnings():
        # One conversation per chat, buttons included: per_message is not wanted here.
        warnings.simplefilter("ignore", PTBUserWarning)
        return _conversation(typed, skip_handler)


def _conversation(
    typed: filters.BaseFilter, skip_handler: CallbackQueryHandler
) -> ConversationHandler:
    return ConversationHandler(
        entry_points=[
            CommandHandler("start", start, filters=private_only()),
            CallbackQueryHandler(
                edit_entry, pattern=r"^e:(country|city|home|return|remit|sectors|menu)$"
            ),
        ],
        states={
            LANGUAGE: [CallbackQueryHandler(choose_language, pattern=r"^lang:")],
            CONSENT: [CallbackQueryHandler(consent, pattern=r"^consent:")],
            COUNTRY: [
                CallbackQueryHandler(country_button, pattern=r"^ct:"),
                MessageHandler(typed, country_typed),
            ],
            CITY: [skip_handler, MessageHandler(typed, city_typed)],
            HOME: [
                CallbackQueryHandler(
                    home_button, pattern=r"^(pl:\d{1,9}|pp:\d{1,9}:\d{1,3}|hs|hb)$"
                )
            ],
            RETURN_PLAN: [CallbackQueryHandler(return_plan, pattern=r"^rp:"), skip_handler],
            REMITTANCES: [CallbackQueryHandler(remittances, pattern=r"^rm:"), skip_handler],
            SECTORS: [CallbackQueryHandler(sectors, pattern=r"^sc:"), skip_handler],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(stale, pattern=OWN_CALLBACKS),
            MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, reask),
        ],
        name="registration",
        persistent=True,
        allow_reentry=True,
    )


def register(application: Application) -> None:
    application.add_handler(build_conversation())
    application.add_handler(CommandHandler("profile", profile_command))
    # Buttons of a finished conversation ("change my city" after a restart, a language
    # button from an old welcome): the conversation is not active, so they land here.
    application.add_handler(CallbackQueryHandler(stale, pattern=OWN_CALLBACKS))


__all__ = ["build_conversation", "register", "show_profile", "ChatType"]

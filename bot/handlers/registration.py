"""/start: language, privacy consent and the registration questions, and changing one answer
from /profile. The questions are widgets of bot.questions; this module says which, in what
order, and what an answer does (saved to the profile at once, so the web shows it and a
stop loses nothing). Before "I agree" only the chosen language is kept.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.handlers.common import call_service, say, send
from bot.handlers.menu import add_conversation, show_menu
from bot.handlers.profile import EDIT, EDIT_BUTTONS, may_edit, show_profile
from bot.questions import (
    END,
    STAY,
    Answer,
    Flow,
    MultipleChoice,
    PlacePicker,
    Question,
    SingleChoice,
    TypedAnswer,
)
from bot.runtime import db, esc, flask_app, guess_locale, h, lang
from diaspora.accounts import choices, service
from diaspora.accounts import telegram as tg
from diaspora.delivery.messages import absolute_url
from diaspora.errors import NotExact, ValidationError
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from diaspora.places.countries import COMMON_DESTINATIONS, country_name, find_country

Ctx = ContextTypes.DEFAULT_TYPE
MAX_TYPED = 100
# Flat user_data keys the registration kept before it had its own key; dropped when met.
LEGACY_KEYS = ("mode", "step", "home_parent", "sectors")

# -- what the service is asked (in a worker thread) ------------------------------------------


def _account(chat_id: int) -> dict | None:
    user = tg.registered_chat_user(chat_id)
    if user is None:
        return None
    profile = service.ensure_profile(user)
    return {
        "locale": user.locale,
        "missing": service.missing_profile_answers(profile),
        "sectors": list(profile.interest_sectors or []),
    }


def _save(chat_id: int, **changes: object) -> bool:
    user = tg.require_chat_user(chat_id)
    service.update_profile(user, user, **changes)
    return True


def _country(text: str) -> str:
    """A country typed exactly (any of its names, in any of the three languages); a near miss
    is offered back as buttons to confirm, never saved as a guess."""
    found = find_country(text) if len(text) <= MAX_TYPED else None
    if found is not None and found.code:
        return found.code
    shown = text if len(text) <= 40 else text[:40] + "…"
    if found is not None and found.candidates:
        raise NotExact(
            _l("Did you mean one of these countries? Press it, or type the name again."),
            candidates=found.candidates,
        )
    raise ValidationError(
        _l(
            "I could not find a country called “%(name)s”. Try again, or press one of the "
            "buttons above.",
            name=shown,
        )
    )


def _city(text: str) -> str:
    return service.clean_city(text, required=True)


def _village(text: str) -> str:
    return service.clean_village(text, required=True)


# -- the questions ---------------------------------------------------------------------------


def _welcome(context: Ctx, locale: str) -> str:
    return h(
        context,
        locale,
        _l(
            "Welcome to Mekendesh, the platform of Kyrgyzstanis abroad! News from home in your "
            "language, surveys and projects for your home community. Choose your language:"
        ),
    )


def privacy_summary(context: Ctx, locale: str) -> str:
    """The notice in short with a link to it (registration; bot/consent.py asks again)."""
    url = esc(flask_app(context).config["SITE_URL"] + "/privacy")
    heading = h(context, locale, _l("Privacy"))
    full_notice = h(context, locale, _l("Read the full privacy notice"))
    notice = h(
        context,
        locale,
        _l(
            "Mekendesh keeps the answers you give here (country, city, home community, plans) "
            "to send you news and surveys that concern you and to count, without names, how "
            "the diaspora lives. We never sell or publish your data; you can erase it at any "
            "time with /delete."
        ),
    )
    return f'<b>{heading}</b>\n{notice}\n<a href="{url}">{full_notice}</a>'


async def _chosen_sectors(update: Update, context: Ctx) -> list[str]:
    account = await db(context, _account, update.effective_chat.id)
    return account["sectors"] if account else []


QUESTIONS: list[Question] = [
    SingleChoice("language", _welcome, LANGUAGE_NAMES, prefix="lang", per_row=3, counted=False),
    SingleChoice(
        "consent",
        privacy_summary,
        {"yes": _l("I agree"), "no": _l("No, thanks")},
        prefix="consent",
        per_row=2,
        counted=False,
    ),
    SingleChoice(
        "country",
        _l("Which country do you live in now?"),
        dict.fromkeys(COMMON_DESTINATIONS, ""),
        prefix="ct",
        per_row=2,
        other=(
            _l("Another country"),
            _l(
                "Type the name of the country, in Kyrgyz, Russian or English "
                "(for example: Германия)."
            ),
        ),
        validate=_country,
        show=country_name,
    ),
    TypedAnswer(
        "city", _l("In which city? Type its name."), validate=_city, prefix="cy", skip=True
    ),
    PlacePicker(
        "home",
        _l("Where is your home in Kyrgyzstan? Choose the region, or type the name of your aiyl "
           "aimak or town."),
        prefix="pl",
    ),
    # Not counted in "3/6": a short optional extra to the home place, skipped with one tap.
    TypedAnswer(
        "village",
        _l("And the village (айыл)? Type its name as you call it, or Skip."),
        validate=_village,
        prefix="vl",
        skip=True,
        counted=False,
    ),
    SingleChoice(
        "return_plan",
        _l("Do you plan to return to Kyrgyzstan?"),
        choices.RETURN_PLANS,
        prefix="rp",
        skip=True,
    ),
    SingleChoice(
        "remittances", _l("Do you send money home?"), choices.REMITTANCES, prefix="rm", skip=True
    ),
    MultipleChoice(
        "sectors",
        _l(
            "Would you invest in your home community? Choose the sectors that interest you "
            "(as many as you like), then press Done."
        ),
        choices.INTEREST_SECTORS,
        prefix="sc",
        initial=_chosen_sectors,
        skip=True,
    ),
]
# The profile field each question fills (the service also derives wants_to_invest).
FIELDS = {
    "country": "country_code",
    "city": "city",
    "home": "home_place_id",
    "village": "home_village",
    "return_plan": "return_plan",
    "remittances": "remittances",
    "sectors": "interest_sectors",
}
QUESTION_OF_FIELD = {field: name for name, field in FIELDS.items()}
# /profile's "change" buttons -> the question asked again
EDITABLE = dict(zip((key for key, _ in EDIT_BUTTONS), FIELDS, strict=True))


# -- what an answer does ---------------------------------------------------------------------


async def on_answer(update: Update, context: Ctx, question: Question, answer: Answer) -> object:
    if question.name == "language":
        context.user_data["lang"] = answer.value
        return None
    if question.name == "consent":
        if answer.value == "no":
            await say(
                update,
                context,
                _l(
                    "All right: nothing about you is stored except this chat and your language. "
                    "Send /start whenever you change your mind."
                ),
            )
            return END
        user = update.effective_user
        accepted = await call_service(
            update,
            context,
            tg.accept_privacy_in_chat,
            update.effective_chat.id,
            lang(update, context),
            user.language_code if user else None,
        )
        return None if accepted is not None else STAY
    if answer.skipped:
        return None
    saved = await call_service(
        update, context, _save, update.effective_chat.id, **{FIELDS[question.name]: answer.value}
    )
    return None if saved else STAY


async def on_done(update: Update, context: Ctx) -> None:
    await show_menu(
        update,
        context,
        _l(
            "Thank you, you are registered! Your answers are in your profile (/profile). "
            "Here is the main menu."
        ),
    )


async def on_cancel(update: Update, context: Ctx, single: bool) -> None:
    if not single and await db(context, _account, update.effective_chat.id) is None:
        await say(update, context, _l("Stopped. Nothing was saved. Send /start to begin again."))
        return
    await show_menu(
        update,
        context,
        _l("Stopped. The answers you gave are saved; change them any time in /profile."),
    )


# -- the ways in: /start and /profile's buttons ----------------------------------------------


def _drop_legacy(context: Ctx) -> None:
    for key in LEGACY_KEYS:
        context.user_data.pop(key, None)


async def join_from_web(update: Update, context: Ctx, secret: str) -> None:
    """/start j<secret>: the member opened the one-time link of their web account page. The
    chat asks to join; the member confirms on the website, which shows this chat's name."""
    person = update.effective_user
    claimed = await db(context, tg.claim_web_link, secret, update.effective_chat.id,
                       name=person.full_name if person else None,
                       username=person.username if person else None)
    if "lang" not in context.user_data:
        context.user_data["lang"] = guess_locale(update)
    locale = lang(update, context)
    if not claimed:
        await say(update, context, tg.WEB_LINK_INVALID)
        return
    url = await db(context, absolute_url, f"/account/telegram/join?lang={locale}")
    text = h(context, locale, _l("Almost done: open your account page on the website and "
                                 "confirm that this chat joins your account."))
    await send(update, context, f'{text}\n<a href="{esc(url)}">{esc(url)}</a>')


async def start(update: Update, context: Ctx) -> object:
    chat_id = update.effective_chat.id
    _drop_legacy(context)
    payload = context.args[0] if context.args else ""
    if payload.startswith(tg.JOIN_PREFIX) and len(payload) > len(tg.JOIN_PREFIX):
        await join_from_web(update, context, payload[len(tg.JOIN_PREFIX):])
        return END
    account = await db(context, _account, chat_id)
    if account is not None:
        if account["locale"] in SUPPORTED_LOCALES:
            context.user_data["lang"] = account["locale"]
        await db(context, tg.set_broadcasts_paused, chat_id, False)
        if account["missing"]:
            return await FLOW.start_at(update, context, QUESTION_OF_FIELD[account["missing"][0]])
        FLOW.forget(context)
        await show_menu(
            update, context, _l("Welcome back to Mekendesh! Broadcast messages are on.")
        )
        return END
    if "lang" not in context.user_data:
        context.user_data["lang"] = guess_locale(update)
    return await FLOW.start_at(update, context, "language")


async def edit_entry(update: Update, context: Ctx) -> object:
    parsed = EDIT.parse(update.callback_query.data)
    key = parsed.value if parsed else None
    if key == "menu":
        await update.callback_query.answer()
        await show_menu(update, context)
        return END
    allowed = await db(context, may_edit, update.effective_chat.id)
    if allowed is None:
        await update.callback_query.answer()
        await say(update, context, tg.NOT_REGISTERED)
        return END
    if not allowed:
        await update.callback_query.answer()
        await say(update, context, _l("You are not allowed to do this."))
        return END
    await update.callback_query.answer()
    _drop_legacy(context)
    return await FLOW.ask_one(update, context, EDITABLE[key])


FLOW = Flow(
    "registration",
    QUESTIONS,
    on_answer=on_answer,
    on_done=on_done,
    on_single_done=show_profile,
    on_cancel=on_cancel,
    entry_points=[
        CommandHandler("start", start, filters=filters.ChatType.PRIVATE),
        EDIT.handler(edit_entry, value_regex="|".join([*EDITABLE, "menu"])),
    ],
)


def register(application: Application) -> None:
    add_conversation(application, FLOW.build())

"""Reintegration support in Telegram: "Help on return" (the menu, /help_on_return).

Help on return: a short word on what the local authority can help with, the local services
near the member's home place by kind (a button per kind lists them), and two buttons: "Ask for
support" and "My requests".

Ask for support: the web form's fields one message at a time with the shared widgets of
bot.questions (the same shape as proposing a project): the kind of help, the place (the home
place in one tap, or the picker), a short description, how to be contacted (this Telegram
chat, a phone or an e-mail: the value is asked only for the last two), whether services for
women or children are needed, then a preview with Send / Cancel. The answers live in
user_data["support_request"] (persisted), the question asked is the conversation's persisted
state: a restart in the middle resumes there.

My requests: the member's latest requests with the authority's last word; "Reply" under one
asks for a text (a second small conversation, "support_reply") and sends it on the request.
"""

from __future__ import annotations

import html
from typing import Any

from flask_babel import lazy_gettext as _l
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes
from telegram.ext import filters as tg_filters

from bot.callbacks import register_prefix, whole_number
from bot.handlers import menu
from bot.handlers.common import button, call_service, keyboard, rows, say, send, stale
from bot.handlers.menu import menu_markup
from bot.questions import (
    END,
    Answer,
    Flow,
    FromContext,
    MultipleChoice,
    PlacePicker,
    Question,
    SingleChoice,
    TypedAnswer,
)
from bot.runtime import clip, esc, h, lang, t
from diaspora.accounts import telegram as tg
from diaspora.accounts.permissions import require
from diaspora.delivery.messages import absolute_url, shorten
from diaspora.support import service as support
from diaspora.support.models import CLOSED, REPLY

Ctx = ContextTypes.DEFAULT_TYPE
HOME = register_prefix("sp", owner="support")
LISTED = 5  # requests in "My requests"
SHOWN = 300  # characters of a message shown in "My requests"
DESCRIPTION_SHOWN = 600  # characters of the description in the preview


async def _answer_query(update: Update) -> None:
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except BadRequest:
            pass


# == Help on return ===========================================================================


def _overview(chat_id: int, locale: str) -> dict:
    """The member's home place and how many services near it there are of each kind."""
    user = tg.require_chat_user(chat_id)
    home = support.home_place_of(user)
    counts: dict[str, int] = {}
    for service in support.directory(home) if home is not None else []:
        counts[service.kind] = counts.get(service.kind, 0) + 1
    return {"home": home.display_name(locale) if home else None,
            "url": absolute_url(f"/support/services/{home.id}") if home else None,
            "counts": counts}


async def help_on_return(update: Update, context: Ctx) -> None:
    await _answer_query(update)
    locale = lang(update, context)
    found = await call_service(update, context, _overview, update.effective_chat.id, locale)
    if found is None:
        return  # not registered: the service said so
    lines = ["<b>" + h(context, locale, _l("Help on return")) + "</b>", "",
             h(context, locale, _l(
                 "Have you come home, or are you about to? The local authority of your place "
                 "can help with work, a business, documents, your children's school, health, "
                 "housing and more. Ask, and they answer you here."))]
    kind_buttons = []
    if found["home"]:
        lines += ["", h(context, locale, _l("Local services near %(place)s:",
                                              place=found["home"]))]
        if not found["counts"]:
            lines.append(h(context, locale, _l("No local service is listed here yet.")))
        for kind, label in support.KINDS.items():
            if found["counts"].get(kind):
                kind_buttons.append(button(
                    f"{t(context, locale, label)} ({found['counts'][kind]})",
                    HOME.control("k", kind)))
        url = found["url"]
        lines.append(f'<a href="{esc(url)}">' + h(context, locale, _l(
            "The directory of local services")) + "</a>")
    actions = [button("🆘 " + t(context, locale, _l("Ask for support")), HOME.control("new")),
               button("📨 " + t(context, locale, _l("My requests")), HOME.control("mine"))]
    await send(update, context, "\n".join(lines), keyboard(*rows(kind_buttons), actions))


def _services_of_kind(chat_id: int, kind: str, locale: str) -> dict:
    user = tg.require_chat_user(chat_id)
    home = support.home_place_of(user)
    services = support.directory(home, support.clean_kind(kind)) if home else []
    return {"kind": kind, "services": [
        {"name": s.name, "address": s.address, "phone": s.phone, "hours": s.hours,
         "languages": [str(code) for code in s.languages or []],
         "place": s.place.display_name(locale)} for s in services]}


async def services_button(update: Update, context: Ctx) -> None:
    parsed = HOME.parse(update.callback_query.data)
    kind = parsed.args[0] if parsed and parsed.args else ""
    if kind not in support.KINDS:
        await stale(update, context)
        return
    await _answer_query(update)
    locale = lang(update, context)
    found = await call_service(update, context, _services_of_kind, update.effective_chat.id,
                               kind, locale)
    if found is None:
        return
    from diaspora.i18n import LANGUAGE_NAMES

    lines = ["<b>" + h(context, locale, support.KINDS[kind]) + "</b>"]
    for service in found["services"]:
        lines += ["", f"🏢 <b>{esc(service['name'])}</b> · {esc(service['place'])}"]
        if service["address"]:
            lines.append(f"📍 {esc(service['address'])}")
        if service["phone"]:
            lines.append(f"📞 {esc(service['phone'])}")
        if service["hours"]:
            lines.append(f"🕘 {esc(service['hours'])}")
        if service["languages"]:
            lines.append("🗣 " + esc(", ".join(LANGUAGE_NAMES.get(c, c)
                                                for c in service["languages"])))
    if not found["services"]:
        lines += ["", h(context, locale, _l("No local service is listed here yet."))]
    await send(update, context, clip("\n".join(lines)), keyboard(
        [button("🆘 " + t(context, locale, _l("Ask for support")), HOME.control("new"))]))


# == My requests ==============================================================================


def _mine(chat_id: int, locale: str) -> list[dict]:
    user = tg.require_chat_user(chat_id)
    found = []
    for item in support.own_requests(user, LISTED, with_thread=True):
        last = next((m for m in reversed(item.messages) if m.kind != REPLY), None)
        found.append({
            "id": item.id, "kind": support.KINDS.get(item.kind, item.kind),
            "place": item.place.display_name(locale),
            "status": support.STATE_LABELS.get(item.status, item.status),
            "open": item.status != CLOSED,
            "last": shorten(last.body, SHOWN) if last and last.body else "",
            "service": last.service.name if last and last.service else "",
            "url": absolute_url(f"/support/{item.id}")})
    return found


async def my_requests(update: Update, context: Ctx) -> None:
    await _answer_query(update)
    locale = lang(update, context)
    found = await call_service(update, context, _mine, update.effective_chat.id, locale)
    if found is None:
        return
    if not found:
        await say(update, context, _l("You have not asked for support yet."), keyboard(
            [button("🆘 " + t(context, locale, _l("Ask for support")), HOME.control("new"))]))
        return
    lines = ["<b>" + h(context, locale, _l("My requests")) + "</b>"]
    buttons = []
    for number, item in enumerate(found, start=1):
        lines += ["", f"<b>{number}. {h(context, locale, item['kind'])}</b> · {esc(item['place'])}",
                  f"<i>{h(context, locale, item['status'])}</i> · "
                  f'<a href="{esc(item["url"])}">' + h(context, locale, _l("Open on the site"))
                  + "</a>"]
        if item["service"]:
            lines.append("🏢 " + esc(item["service"]))
        if item["last"]:
            lines.append("💬 " + esc(item["last"]))
        if item["open"]:
            buttons.append(button("✍ " + t(context, locale, _l("%(n)s · Reply", n=number)),
                                  HOME.control("r", item["id"])))
    await send(update, context, clip("\n".join(lines)), keyboard(*rows(buttons)))


# == Ask for support: the conversation ========================================================


FLOW_NAME = "support_request"


def _data(context: Ctx) -> dict:
    return context.user_data.setdefault(FLOW_NAME, {})


def _answers(context: Ctx) -> dict:
    return _data(context).setdefault("answers", {})


def _place_default_prompt(context: Ctx, locale: str) -> str:
    home = _data(context).get("home") or {}
    return h(context, locale, _l(
        "Where do you need help? Your home place is %(place)s: choose it, or another place.",
        place=home.get("name", "")))


def _contact_value_prompt(context: Ctx, locale: str) -> str:
    if _data(context).get("channel") == "phone":
        return h(context, locale, _l("Write your phone number (for example +996 555 123 456)."))
    return h(context, locale, _l("Write your e-mail address."))


def _contact_check(context: Ctx) -> Any:
    return support.clean_phone if _data(context).get("channel") == "phone" else support.clean_email


def _clipped(value: Any, locale: str) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 80 else text[:79] + "…"


SPECIAL = {"women": _l("Services for women"), "children": _l("Services for children")}


def _preview(context: Ctx, locale: str) -> str:
    answers, data = _answers(context), _data(context)

    def shown(name: str) -> str:
        return (answers.get(name) or {}).get("shown") or "—"

    description = (answers.get("description") or {}).get("value") or ""
    contact = shown("contact")
    if data.get("channel") in ("phone", "email"):
        contact += ": " + esc((answers.get("contact_value") or {}).get("value") or "")
    rows_ = [
        (_l("Kind of help"), shown("kind")),
        (_l("Place"), esc(data.get("place_name") or "—")),
        (_l("Description"), esc(shorten(description, DESCRIPTION_SHOWN)) if description
         else "—"),
        (_l("Contact"), contact),
        (_l("Special services"), shown("special")),
    ]
    lines = ["<b>" + h(context, locale, _l("Your request")) + "</b>", ""]
    lines += [f"{h(context, locale, label)}: {value}" for label, value in rows_]
    lines += ["", h(context, locale, _l(
        "Send passes it to the local authority of this place. Only they and the programme's "
        "staff will read it."))]
    return clip("\n".join(lines), 3800)


QUESTIONS: list[Question] = [
    SingleChoice("kind", _l("What do you need help with?"), support.KINDS, prefix="spkind",
                 per_row=2),
    SingleChoice("place_default", _place_default_prompt,
                 {"home": _l("My home place"), "other": _l("Another place")},
                 prefix="sphome", per_row=2),
    # Counted as the question above (one "place" step); skipped when the home was chosen.
    PlacePicker("place", _l("Where do you need help? Choose the region."), prefix="sppl",
                counted=False),
    TypedAnswer("description", _l("Describe your situation in a few sentences: what happened, "
                                  "what help you need."),
                validate=support.clean_description, show=_clipped),
    SingleChoice("contact", _l("How should the local authority contact you?"),
                 {"telegram": _l("Here in Telegram"), "phone": _l("Phone"),
                  "email": _l("E-mail")}, prefix="spch", per_row=3),
    # Counted as the question above; asked only for a phone or an e-mail.
    TypedAnswer("contact_value", _contact_value_prompt, validate=FromContext(_contact_check),
                counted=False),
    MultipleChoice("special", _l("Do you need services for women or for children? Choose, "
                                 "then Done, or Skip."), SPECIAL, prefix="spsvc", skip=True),
    SingleChoice("preview", _preview, {"send": _l("Send"), "cancel": _l("Cancel")},
                 prefix="spsend", per_row=2, counted=False),
]


class RequestFlow(Flow):
    """The shared Flow with two steps answered in one tap: the home place (the picker is not
    asked) and "Here in Telegram" (no contact to type); each shares its question's number."""

    SHARED = {"place": "place_default", "contact_value": "contact"}  # noqa: RUF012

    async def ask(self, update: Update, context: Ctx, name: str) -> str:
        data = self.data(context)
        if name == "place_default" and not data.get("home"):
            name = "place"  # no home place given: straight to the picker
        if name == "place" and data.get("place_id"):
            name = "description"
        if name == "contact_value" and data.get("channel") == "telegram":
            name = "special"
        data["at"] = name  # where "Ask for support" resumes
        return await super().ask(update, context, name)

    def progress(self, context: Ctx, question: Question) -> str:
        if question.name in self.SHARED:
            question = self.by_name[self.SHARED[question.name]]
        return super().progress(context, question)


def _asker(chat_id: int, locale: str) -> dict:
    user = tg.require_chat_user(chat_id)
    require(user, "support.ask")
    home = support.home_place_of(user)
    return {"home": {"id": home.id, "name": home.full_name(locale)} if home else None}


def _create(chat_id: int, fields: dict, locale: str) -> dict:
    user = tg.require_chat_user(chat_id)
    created = support.create_request(user, support.RequestDraft(language=locale, **fields))
    return {"id": created.id, "url": absolute_url(f"/support/{created.id}")}


def _fields(context: Ctx) -> dict:
    answers, data = _answers(context), _data(context)

    def value(name: str) -> Any:
        return (answers.get(name) or {}).get("value")

    special = value("special") or []
    return {"kind": value("kind"), "place_id": data.get("place_id"),
            "description": value("description") or "", "contact_channel": data.get("channel"),
            "contact_value": value("contact_value") or "",
            "women_services": "women" in special, "children_services": "children" in special}


async def on_answer(update: Update, context: Ctx, question: Question, answer: Answer) -> object:
    data, locale = _data(context), lang(update, context)
    if question.name == "place_default":
        if answer.value == "home" and data.get("home"):
            data["place_id"], data["place_name"] = data["home"]["id"], data["home"]["name"]
        return None
    if question.name == "place":
        data["place_id"], data["place_name"] = answer.value, html.unescape(answer.shown)
        return None
    if question.name == "contact":
        data["channel"] = answer.value
        # "Here in Telegram": the authority answers through the bot; the username, when the
        # member has one, lets the authority also write to them directly.
        username = getattr(update.effective_user, "username", None) or ""
        if answer.value == "telegram" and support.TELEGRAM_USERNAME.fullmatch(username):
            _answers(context)["contact_value"] = {"value": username, "shown": esc(username)}
    if question.name == "preview":
        if answer.value == "cancel":
            await send(update, context, h(context, locale, _l("Cancelled: nothing was sent.")),
                       menu_markup(context, locale))
            return END
        saved = await call_service(update, context, _create, update.effective_chat.id,
                                   _fields(context), locale)
        if saved is None:
            return END  # refused, and told why; the answers are kept for "Ask for support"
        await send(update, context, "\n\n".join([
            h(context, locale, _l("Thank you! Your request is sent to the local authority. "
                                  "I will write to you here when they answer.")),
            f'<a href="{esc(saved["url"])}">{esc(saved["url"])}</a>']),
            menu_markup(context, locale))
        return END
    _answers(context)[question.name] = {"value": answer.value, "shown": answer.shown}
    return None


async def on_done(update: Update, context: Ctx) -> None:
    return None  # the preview's answer ends the conversation before this is reached


async def on_cancel(update: Update, context: Ctx, single: bool) -> None:
    await menu.show_menu(update, context, _l("Stopped: your request was not sent."))


async def ask_for_support(update: Update, context: Ctx) -> object:
    """The way in: "Ask for support" under Help on return. A request in progress resumes."""
    await _answer_query(update)
    locale = lang(update, context)
    member = await call_service(update, context, _asker, update.effective_chat.id, locale)
    if member is None:
        return END
    at = _data(context).get("at")
    if at in FLOW.by_name:
        await say(update, context, _l(
            "Let us continue your request where you stopped. To start again, send /cancel."))
        return await FLOW.ask(update, context, at)
    FLOW.forget(context)
    _data(context)["home"] = member["home"]
    return await FLOW.ask(update, context, "kind")


FLOW = RequestFlow(
    FLOW_NAME, QUESTIONS, on_answer=on_answer, on_done=on_done, on_cancel=on_cancel,
    entry_points=[CallbackQueryHandler(ask_for_support, pattern=HOME.control_pattern("new"))],
)


# == Reply on a request: a one-question conversation ==========================================


REPLY_NAME = "support_reply"


def _reply_target(chat_id: int, request_id: int, locale: str) -> dict:
    user = tg.require_chat_user(chat_id)
    item = support.get_request(user, request_id)
    require(user, "support.reply", item)
    if item.status == CLOSED:
        from diaspora.errors import InvalidTransition

        raise InvalidTransition(_l("This request is closed. If you still need help, ask again."))
    return {"id": item.id, "kind": str(item.kind)}


def _send_reply(chat_id: int, request_id: int, text: str) -> bool:
    user = tg.require_chat_user(chat_id)
    support.reply(user, support.get_request(user, request_id), text)
    return True


def _reply_prompt(context: Ctx, locale: str) -> str:
    kind = support.KINDS.get(context.user_data.get(REPLY_NAME, {}).get("kind", ""), "")
    return h(context, locale, _l("Write your answer on the request “%(kind)s”. To stop, send "
                                 "/cancel.", kind=kind))


async def start_reply(update: Update, context: Ctx) -> object:
    parsed = HOME.parse(update.callback_query.data)
    try:
        request_id = whole_number(parsed.args[0]) if parsed and parsed.args else 0
    except ValueError:
        request_id = 0
    if request_id <= 0:
        await stale(update, context)
        return END
    await _answer_query(update)
    found = await call_service(update, context, _reply_target, update.effective_chat.id,
                               request_id, lang(update, context))
    if found is None:
        return END
    REPLY_FLOW.forget(context)
    REPLY_FLOW.data(context).update(request_id=found["id"], kind=found["kind"])
    return await REPLY_FLOW.ask(update, context, "text")


async def on_reply(update: Update, context: Ctx, question: Question, answer: Answer) -> object:
    request_id = REPLY_FLOW.data(context).get("request_id")
    done = await call_service(update, context, _send_reply, update.effective_chat.id,
                              request_id, answer.value)
    if done:
        locale = lang(update, context)
        await send(update, context, h(context, locale, _l(
            "Your answer is sent. The local authority is told.")), menu_markup(context, locale))
    return END


async def on_reply_cancel(update: Update, context: Ctx, single: bool) -> None:
    await menu.show_menu(update, context, _l("Stopped: your answer was not sent."))


REPLY_FLOW = Flow(
    REPLY_NAME,
    [TypedAnswer("text", _reply_prompt, validate=support.clean_message, show=_clipped,
                 counted=False)],
    on_answer=on_reply, on_done=on_done, on_cancel=on_reply_cancel,
    entry_points=[CallbackQueryHandler(start_reply, pattern=HOME.control_pattern("r"))],
)


def register(application: Application) -> None:
    menu.add_conversation(application, FLOW.build())
    menu.add_conversation(application, REPLY_FLOW.build())
    menu.add_item(application, "support", _l("Help on return"), help_on_return, order=45)
    menu.add_command(application, "help_on_return",
                     _l("Help on return: ask the local authority, local services"),
                     help_on_return, order=28,
                     handler_filters=tg_filters.ChatType.PRIVATE)
    application.add_handler(CallbackQueryHandler(my_requests,
                                                 pattern=HOME.control_pattern("mine")))
    application.add_handler(CallbackQueryHandler(services_button,
                                                 pattern=HOME.control_pattern("k")))
    menu.add_command(application, "my_requests", _l("My support requests, and answering them"),
                     my_requests, order=29, handler_filters=tg_filters.ChatType.PRIVATE)

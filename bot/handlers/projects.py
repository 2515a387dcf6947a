"""The projects feature in Telegram: "Projects" (/projects) and "Propose a project" (/propose).

Projects: the public projects, those of the member's home region first, five a message, each
with a Support toggle (the service counts a member once) and a link to its page on the site.
"« Previous" / "More »" and the toggles change that message in place.

Propose a project: the web form's fields one message at a time with the shared widgets of
bot.questions: the place (the home community in one tap, or the picker), title, summary,
description, sector, budget, contributions, photos (up to five, kept as Telegram file ids and
downloaded only at the end, so a restart loses none), then a preview with Submit / Save as
draft / Cancel. Each answer is checked by the service's own rules as it is typed. The answers
live in user_data["proposal"] (persisted) and the current question is the conversation's
persisted state: a bot restart in the middle resumes at the same question.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, BaseHandler, CommandHandler, ContextTypes, MessageHandler
from telegram.ext import filters as tg_filters

from bot.callbacks import register_prefix, whole_number
from bot.handlers import menu
from bot.handlers.common import ack, button, call_service, keyboard, say, send, stale
from bot.handlers.menu import MENU, menu_markup
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
    _typed_answer,
)
from bot.replybot import result_unused
from bot.runtime import clip, db, esc, h, lang, t
from diaspora.accounts import telegram as tg
from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.accounts.permissions import can, require
from diaspora.delivery.messages import absolute_url
from diaspora.formatting import format_money
from diaspora.moderation import spam
from diaspora.places.models import LEVEL_REGION
from diaspora.projects import lifecycle
from diaspora.projects import service as projects
from diaspora.projects.choices import CONTRIBUTION_LABELS

Ctx = ContextTypes.DEFAULT_TYPE
PAGE = 5  # projects a message
MAX_OFFSET = 10_000  # "More" stops somewhere: the rest is on the website
SUMMARY_SHOWN = 240  # characters of a summary in the list
DESCRIPTION_SHOWN = 600  # characters of the description in the preview
LIST = register_prefix("pj", owner="projects")

def project_url(project_id: int) -> str:
    return absolute_url(f"/projects/{project_id}")


# == Projects: the list ========================================================================


@dataclass(frozen=True)
class Listed:
    id: int
    title: str
    summary: str
    place: str
    status: Any  # a lazy catalog text
    supporters: int
    supported: bool
    supportable: bool
    url: str


@dataclass(frozen=True)
class ListPage:
    items: list[Listed]
    more: bool
    region: str | None  # the member's home region, listed first
    registered: bool


def _home_region(user: Any, locale: str) -> tuple[int | None, str | None]:
    """The region of the member's home community (its id and name), if they gave one."""
    place = getattr(getattr(user, "profile", None), "home_place", None)
    while place is not None and place.level != LEVEL_REGION:
        place = place.parent
    return (place.id, place.display_name(locale)) if place is not None else (None, None)


def _list_page(chat_id: int, offset: int, locale: str) -> ListPage:
    user = tg.registered_chat_user(chat_id)
    region_id, region = _home_region(user, locale) if user else (None, None)
    found, more = projects.list_home_first(region_id, offset, PAGE)
    supported = projects.supported_ids(user, [p.id for p in found])
    items = [
        Listed(
            id=p.id,
            title=p.title,
            summary=p.summary,
            place=p.place.full_name(locale) if p.place else "",
            status=lifecycle.STATE_LABELS.get(p.status, p.status),
            supporters=p.supporters,
            supported=p.id in supported,
            supportable=user is not None and can(user, "projects.support", p),
            url=project_url(p.id),
        )
        for p in found
    ]
    return ListPage(items, more and offset + PAGE <= MAX_OFFSET, region, user is not None)


def _set_support(chat_id: int, project_id: int, wanted: bool) -> bool:
    user = tg.require_chat_user(chat_id)
    project = projects.get_visible_project(user, project_id)
    if wanted:
        projects.support(user, project)
    else:
        projects.withdraw_support(user, project)
    return True


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _render_list(context: Ctx, locale: str, page: ListPage, offset: int) -> tuple[str, Any]:
    if page.region and offset == 0:
        heading = h(context, locale, _l("Projects: %(region)s first", region=page.region))
    else:
        heading = h(context, locale, _l("Projects"))
    lines = [f"<b>{heading}</b>"]
    rows = []
    for number, item in enumerate(page.items, start=offset + 1):
        people = h(context, locale, _l("supporters: %(n)s", n=item.supporters))
        link = h(context, locale, _l("Open on the site"))
        lines += [
            "",
            f"<b>{number}. {esc(item.title)}</b>",
            f"📍 {esc(item.place)}",
            esc(_short(item.summary, SUMMARY_SHOWN)),
            f"<i>{h(context, locale, item.status)}</i> · 👥 {people} · "
            f'<a href="{esc(item.url)}">{link}</a>',
        ]
        if item.supportable and item.supported:
            label = "✅ " + t(context, locale, _l("%(n)s · Supported", n=number))
            rows.append(button(label, LIST.control("u", item.id, offset)))
        elif item.supportable:
            label = "👍 " + t(context, locale, _l("%(n)s · Support", n=number))
            rows.append(button(label, LIST.control("s", item.id, offset)))
    if not page.registered:
        lines += ["", h(context, locale, _l("To support a project, register first: send /start."))]
    nav = []
    if offset > 0:
        nav.append(button("« " + t(context, locale, _l("Previous")),
                          LIST.control("p", max(0, offset - PAGE))))
    if page.more:
        nav.append(button(t(context, locale, _l("More")) + " »", LIST.control("p", offset + PAGE)))
    markup = keyboard(*[rows[i : i + 2] for i in range(0, len(rows), 2)], nav)
    return clip("\n".join(lines)), markup if markup.inline_keyboard else None


async def show_projects(update: Update, context: Ctx, offset: int = 0, *,
                        edit: bool = False) -> None:
    locale = lang(update, context)
    page = await db(context, _list_page, update.effective_chat.id, offset, locale)
    if not page.items:
        message = (_l("There are no public projects yet. Be the first: propose one!")
                   if offset == 0 else _l("That was all the projects."))
        await say(update, context, message, keyboard(
            [button(t(context, locale, _l("Propose a project")), MENU.data("propose"))]))
        return
    text, markup = _render_list(context, locale, page, offset)
    if edit:
        try:
            with result_unused():
                await update.callback_query.edit_message_text(text, reply_markup=markup)
        except BadRequest:
            pass  # "not modified": a double tap
        return
    await send(update, context, text, markup)


async def projects_command(update: Update, context: Ctx) -> None:
    await show_projects(update, context)


async def list_button(update: Update, context: Ctx) -> None:
    """« Previous / More » (pj!p:<offset>) and the toggles (pj!s|u:<project>:<offset>)."""
    query = update.callback_query
    parsed = LIST.parse(query.data)
    try:
        if parsed is None or parsed.control not in ("p", "s", "u"):
            raise ValueError
        if parsed.control == "p":
            (offset_text,) = parsed.args
            project_id = None
        else:
            project_id_text, offset_text = parsed.args
            project_id = whole_number(project_id_text)
        offset = whole_number(offset_text, MAX_OFFSET + PAGE)
    except ValueError:
        await stale(update, context)
        return
    if project_id is None:
        await query.answer()
        await show_projects(update, context, offset, edit=True)
        return
    wanted = parsed.control == "s"
    done = await call_service(update, context, _set_support, update.effective_chat.id,
                              project_id, wanted)
    if done is None:
        return  # refused: the service said why
    locale = lang(update, context)
    thanks = _l("Thank you for your support!") if wanted else _l("Your support is withdrawn.")
    try:
        await query.answer(t(context, locale, thanks)[:200])
    except BadRequest:
        pass
    await show_projects(update, context, offset, edit=True)


# == Propose a project: the conversation ======================================================


FLOW_NAME = "proposal"


def _data(context: Ctx) -> dict:
    return context.user_data.setdefault(FLOW_NAME, {})


def _answers(context: Ctx) -> dict:
    return _data(context).setdefault("answers", {})


def _place_default_prompt(context: Ctx, locale: str) -> str:
    home = _data(context).get("home") or {}
    return h(context, locale, _l(
        "Which place is the project for? Your home community is %(place)s: choose it, or "
        "another place.", place=home.get("name", "")))


def _clipped(value: Any, locale: str) -> str:
    return _short(str(value), 80)


class PhotoQuestion(Question):
    """Photos of the place: the member sends up to `most` (as photos, or image files), then
    Done, or Skip. Only Telegram's file ids are kept (the largest size of each photo); the
    bytes are fetched when the proposal is saved."""

    def __init__(self, name: str, prompt: Any, *, prefix: str, most: int) -> None:
        super().__init__(name, prompt)
        self.prefix = register_prefix(prefix, owner=name)
        self.most = most

    def file_ids(self, context: Ctx) -> list[str]:
        return self.flow.scratch(context, self).setdefault("file_ids", [])

    def _markup(self, context: Ctx, locale: str) -> InlineKeyboardMarkup:
        if self.file_ids(context):
            return keyboard([button("✅ " + t(context, locale, _l("Done")),
                                    self.prefix.control("done"))])
        return keyboard([button(t(context, locale, _l("Skip")), self.prefix.control("skip"))])

    async def render(self, update: Update, context: Ctx, locale: str) -> tuple[str, Any]:
        text = h(context, locale, self.prompt)
        count = len(self.file_ids(context))
        if count:
            text += "\n\n" + h(context, locale, _l(
                "Photos received so far: %(n)s of %(most)s.", n=count, most=self.most))
        return text, self._markup(context, locale)

    async def received(self, update: Update, context: Ctx) -> object:
        message = update.message
        locale = lang(update, context)
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            file_id, size = largest.file_id, largest.file_size
        else:
            file_id, size = message.document.file_id, message.document.file_size
        if size and size > projects.MAX_PHOTO_BYTES:
            await say(update, context, _l("This image is too large (5 MB at most). Send a "
                                          "smaller one."),
                      self._markup(context, locale))
            return None
        ids = self.file_ids(context)
        if file_id not in ids:
            ids.append(file_id)
        if len(ids) >= self.most:
            await say(update, context, _l("That makes %(n)s photos, the most a project can "
                                          "have.", n=self.most))
            return await self.flow.answered(update, context, self, self._answer(context, locale))
        await say(update, context, _l(
            "Photo %(n)s of %(most)s received. Send another, or press Done.",
            n=len(ids), most=self.most), self._markup(context, locale))
        return None

    def _answer(self, context: Ctx, locale: str) -> Answer:
        ids = list(self.file_ids(context))
        return Answer(ids, h(context, locale, _l("Photos: %(n)s", n=len(ids))))

    async def pressed(self, update: Update, context: Ctx) -> object:
        parsed = self.prefix.parse(update.callback_query.data)
        locale = lang(update, context)
        control = parsed.control if parsed else None
        if control == "done" and self.file_ids(context):
            answer = self._answer(context, locale)
            await ack(update, context, answer.shown)
            return await self.flow.answered(update, context, self, answer)
        if control == "skip" and not self.file_ids(context):
            return await self.skipped(update, context)
        await stale(update, context)
        return None

    async def other(self, update: Update, context: Ctx) -> object:
        """Text, a sticker, a video...: say what this step wants, with its buttons."""
        locale = lang(update, context)
        await say(update, context, _l(
            "Here I need photos: send them as pictures, up to %(most)s. Then press Done, or "
            "Skip if you have none.", most=self.most), self._markup(context, locale))
        return None

    def handlers(self) -> list[BaseHandler]:
        pictures = tg_filters.PHOTO | tg_filters.Document.IMAGE
        return [
            self.prefix.handler(self.pressed),
            MessageHandler(tg_filters.UpdateType.MESSAGE & pictures, self.received),
            MessageHandler(tg_filters.UpdateType.MESSAGE & ~tg_filters.COMMAND, self.other),
        ]


def _checked_text(chat_id: int, clean: Any, field: str, text: str) -> Any:
    """A typed title, summary or description: the service's rule for the field, then the
    rules against spam for this member (a new account's link)."""
    value = clean(text)
    spam.check_links(tg.require_chat_user(chat_id), value, field=field)
    return value


class ProposalText(TypedAnswer):
    """A typed part of the proposal, checked as it is typed also against the rules against
    spam for this member: a new account's link is refused where the member can type the
    answer again, not at Submit, when only the preview is left to answer."""

    async def typed(self, update: Update, context: Ctx) -> object:
        chat_id, clean = update.effective_chat.id, self.validate

        def check(text: str) -> Any:
            return _checked_text(chat_id, clean, self.name, text)

        return await _typed_answer(self, update, context, check, self.show)


def _preview(context: Ctx, locale: str) -> str:
    """The whole proposal as it will be saved, before Submit."""
    answers = _answers(context)

    def shown(name: str) -> str:
        answer = answers.get(name) or {}
        return answer.get("shown") or "—"

    def typed(name: str, limit: int | None = None) -> str:
        value = (answers.get(name) or {}).get("value")
        if not value:
            return "—"
        return esc(_short(value, limit) if limit else value)

    photos = len((answers.get("photos") or {}).get("value") or [])
    rows = [
        (_l("Place"), esc(_data(context).get("place_name") or "—")),
        (_l("Title"), "<b>" + typed("title") + "</b>"),
        (_l("Summary"), typed("summary")),
        (_l("Description"), typed("description", DESCRIPTION_SHOWN)),
        (_l("Sector"), shown("sector")),
        (_l("Budget"), shown("budget")),
        (_l("What the diaspora could contribute"), shown("contributions")),
        (_l("Photos"), str(photos)),
    ]
    lines = ["<b>" + h(context, locale, _l("Your proposal")) + "</b>", ""]
    lines += [f"{h(context, locale, label)}: {value}" for label, value in rows]
    lines += ["", h(context, locale, _l(
        "Submit sends it to the moderators: once they have checked it, it is published and the "
        "local authority can answer. Save as draft keeps it on the website to finish later."))]
    return clip("\n".join(lines), 3800)


PREVIEW_CHOICES = {"submit": _l("Submit"), "draft": _l("Save as draft"), "cancel": _l("Cancel")}

QUESTIONS: list[Question] = [
    SingleChoice("place_default", _place_default_prompt,
                 {"home": _l("My home community"), "other": _l("Another place")},
                 prefix="pjhome", per_row=2),
    # Counted as the question above (one "place" step); skipped when the home was chosen.
    PlacePicker("place", _l("Which place is the project for? Choose the region."),
                prefix="pjpl", counted=False),
    ProposalText("title", _l("The title of the project, in a few words (for example: A new "
                             "roof for the school)."), validate=projects.clean_title),
    ProposalText("summary", _l("In one or two sentences: what should be done, and who will "
                               "benefit?"), validate=projects.clean_summary),
    ProposalText("description", _l("Describe the project: the situation today, what you "
                                   "propose, what it needs. Or press Skip."),
                 validate=projects.clean_description, prefix="pjdesc", skip=True, show=_clipped),
    SingleChoice("sector", _l("Which sector is the project in?"), INTEREST_SECTORS,
                 prefix="pjsec", per_row=2, skip=True),
    TypedAnswer("budget", _l("About how much will it cost, in som? Write the amount in digits "
                             "(for example: 150000), or press Skip."),
                validate=projects.clean_som, prefix="pjbudget", skip=True, show=format_money),
    MultipleChoice("contributions", _l("What could the diaspora contribute? Choose all that "
                                       "fit, then press Done."), CONTRIBUTION_LABELS,
                   prefix="pjcontrib", skip=True),
    PhotoQuestion("photos", _l("Send photos of the place or of what needs doing, up to "
                               "%(most)s, as pictures. Then press Done. No photos? Press "
                               "Skip.", most=projects.MAX_PHOTOS),
                  prefix="pjphoto", most=projects.MAX_PHOTOS),
    SingleChoice("preview", _preview, PREVIEW_CHOICES, prefix="pjsend", per_row=2,
                 counted=False),
]


class ProposalFlow(Flow):
    """The shared Flow, with one step that may be answered in one tap: when the member
    chose their home community, the place picker is not asked (and shares its number)."""

    async def ask(self, update: Update, context: Ctx, name: str) -> str:
        data = self.data(context)
        if name == "place" and data.get("place_id"):
            name = "title"
        data["at"] = name  # where "Propose a project" resumes
        return await super().ask(update, context, name)

    def progress(self, context: Ctx, question: Question) -> str:
        if question.name == "place":
            question = self.by_name["place_default"]
        return super().progress(context, question)


# -- what the service is asked (in a worker thread) -------------------------------------------


def _proposer(chat_id: int, locale: str) -> dict:
    """The member about to propose (refused with the reason if they may not)."""
    user = tg.require_chat_user(chat_id)
    require(user, "projects.propose")
    home = getattr(user.profile, "home_place", None) if user.profile else None
    return {"home": {"id": home.id, "name": home.full_name(locale)} if home else None}


def _save(chat_id: int, fields: dict, photos: list[bytes], project_id: int | None,
          locale: str) -> dict:
    user = tg.require_chat_user(chat_id)
    usable, refused = projects.usable_photos(photos)
    existing = projects.get_project(project_id) if project_id else None
    draft = projects.ProjectDraft(
        language=locale, photos=usable,
        # An earlier attempt saved this draft already: its photos are replaced, not doubled.
        remove_photo_ids=[p.id for p in existing.photos] if existing else (),
        **fields,
    )
    project = projects.save_project(user, draft, existing)
    return {"id": project.id, "url": project_url(project.id), "refused": refused}


def _submit(chat_id: int, project_id: int, locale: str) -> bool:
    user = tg.require_chat_user(chat_id)
    projects.transition(user, projects.get_project(project_id), "submit", language=locale)
    return True


# -- what an answer does ----------------------------------------------------------------------


async def _download(context: Ctx, file_ids: list[str]) -> tuple[list[bytes], int]:
    """The photos' bytes from Telegram (getFile, then the file); how many could not be had."""
    found, lost = [], 0
    for file_id in file_ids:
        try:
            telegram_file = await context.bot.get_file(file_id)
            found.append(bytes(await telegram_file.download_as_bytearray()))
        except TelegramError:
            lost += 1  # expired or deleted on Telegram's side: the rest still count
    return found, lost


def _fields(context: Ctx) -> dict:
    answers, data = _answers(context), _data(context)

    def value(name: str) -> Any:
        return (answers.get(name) or {}).get("value")

    return {
        "place_id": data.get("place_id"),
        "title": value("title") or "",
        "summary": value("summary") or "",
        "description": value("description") or "",
        "sector": value("sector"),
        "budget_som": value("budget"),
        "contributions": value("contributions") or [],
    }


async def _finish(update: Update, context: Ctx, submit: bool) -> object:
    locale, data = lang(update, context), _data(context)
    file_ids = (_answers(context).get("photos") or {}).get("value") or []
    photos, lost = await _download(context, file_ids)
    saved = await call_service(update, context, _save, update.effective_chat.id,
                               _fields(context), photos, data.get("project_id"), locale)
    if saved is None:
        return await _ask_again(update, context)
    data["project_id"] = saved["id"]  # a retry after a refusal changes this draft
    if submit and await call_service(update, context, _submit, update.effective_chat.id,
                                     saved["id"], locale) is None:
        return await _ask_again(update, context)
    url = esc(saved["url"])
    lines = []
    if lost or saved["refused"]:
        lines.append(h(context, locale, _l(
            "%(n)s photo(s) could not be used; you can add photos on the website.",
            n=lost + saved["refused"])))
    if submit:
        lines.append(h(context, locale, _l(
            "Thank you! Your proposal is sent to the moderators. I will write to you here when "
            "they have looked at it.")))
    else:
        lines.append(h(context, locale, _l(
            "Saved as a draft. Finish it and submit it on the website.")))
    lines.append(f'<a href="{url}">{url}</a>')
    await send(update, context, "\n\n".join(lines), menu_markup(context, locale))
    return END


async def _ask_again(update: Update, context: Ctx) -> object:
    """The service refused (and said why): the preview again, to try once more or cancel."""
    await FLOW.ask(update, context, "preview")
    return STAY


async def on_answer(update: Update, context: Ctx, question: Question, answer: Answer) -> object:
    data = _data(context)
    if question.name == "place_default":
        if answer.value == "home" and data.get("home"):
            data["place_id"], data["place_name"] = data["home"]["id"], data["home"]["name"]
        return None
    if question.name == "place":
        data["place_id"] = answer.value
        data["place_name"] = html.unescape(answer.shown)
        return None
    if question.name == "preview":
        if answer.value == "cancel":
            await send(update, context, h(context, lang(update, context), _l(
                "Cancelled: nothing was saved.")), menu_markup(context, lang(update, context)))
            return END
        return await _finish(update, context, submit=answer.value == "submit")
    _answers(context)[question.name] = {"value": answer.value, "shown": answer.shown}
    return None


async def on_done(update: Update, context: Ctx) -> None:
    return None  # the preview's answer ends the conversation (END) before this is reached


async def on_cancel(update: Update, context: Ctx, single: bool) -> None:
    await menu.show_menu(update, context, _l("Stopped: your proposal was not sent. Press "
                                             "\"Propose a project\" to begin again."))


async def propose(update: Update, context: Ctx) -> object:
    """The way in: from the menu, or /propose. A proposal in progress resumes."""
    locale = lang(update, context)
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except BadRequest:
            pass
    member = await call_service(update, context, _proposer, update.effective_chat.id, locale)
    if member is None:
        return END  # not registered, or not allowed: the service said so
    at = _data(context).get("at")
    if at in FLOW.by_name:
        await say(update, context, _l(
            "Let us continue your proposal where you stopped. To start again, send /cancel."))
        return await FLOW.ask(update, context, at)
    FLOW.forget(context)
    _data(context)["home"] = member["home"]
    return await FLOW.ask(update, context, "place_default" if member["home"] else "place")


FLOW = ProposalFlow(
    FLOW_NAME,
    QUESTIONS,
    on_answer=on_answer,
    on_done=on_done,
    on_cancel=on_cancel,
    entry_points=[
        CommandHandler("propose", propose, filters=tg_filters.ChatType.PRIVATE),
        MENU.handler(propose, value_regex="propose"),
    ],
)


def register(application: Application) -> None:
    menu.add_conversation(application, FLOW.build())
    menu.add_item(application, "projects", _l("Projects"), show_projects, order=30)
    menu.add_item(application, "propose", _l("Propose a project"), propose, order=40)
    menu.add_command(application, "projects", _l("Projects you can support"),
                     projects_command, order=26)
    menu.add_command(application, "propose", _l("Propose a project for your home community"),
                     order=27)
    application.add_handler(LIST.handler(list_button))
    from bot.handlers import answer_queue  # an authority's /queue: its own module

    answer_queue.register(application)

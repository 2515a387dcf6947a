"""Question widgets for bot conversations: a conversation is a list of questions.

    flow = Flow(
        "registration",                       # user_data key and persisted conversation name
        [
            SingleChoice("return_plan", _l("Do you plan to return?"), RETURN_PLANS,
                         prefix="rp", skip=True),
            TypedAnswer("city", _l("In which city?"), validate=service.clean_city, skip=True),
            PlacePicker("home", _l("Where is your home? Choose the region."), prefix="pl"),
            MultipleChoice("sectors", _l("Choose sectors, then Done."), SECTORS, prefix="sc",
                           initial=load_sectors, skip=True),
        ],
        on_answer=save_answer,                # (update, context, question, answer) -> outcome
        on_done=thank_and_show_menu,          # after the last question
        on_single_done=show_profile,          # after `flow.ask_one(...)` (edit one answer)
        entry_points=[CommandHandler("start", start)],
    )
    application.add_handler(flow.build())

Widgets know nothing about what a conversation is for. Each asks its question (with a
"3/7" progress marker), acknowledges the choice in place of its buttons, and hands an
`Answer` to the flow, which calls `on_answer` and moves on. `on_answer` returns None to go
on, `STAY` to keep the question (it has explained why), or `END` to stop the conversation.

Questions that come from data (a survey's) use the same widgets with settings read from the
conversation: options and prompts may be functions of (context, locale), sync or async; Skip
and a multiple choice's `limit` functions of the context; a typed answer's check
`FromContext(fn)`. A Flow subclass decides where to go (`on_answer` returns `Goto(name)`),
what "3/7" says (`progress`), whether Back is offered and where it leads (`may_go_back`,
`back`), the answer offered as "Keep" after Back (`kept`), and the step its controls carry
(`step_args`), so Skip/Done/Back of an earlier question's message are answered as stale.

State: everything a conversation keeps lives in `context.user_data[flow.name]` (scratch of
the widgets, e.g. the sectors ticked so far or the region being browsed), and the current
question is the ConversationHandler's persisted state (the question's `name`: keep names
stable, a restart resumes there). Callback data comes from bot.callbacks; each widget
registers its prefix when the flow is created (at import time).
"""

from __future__ import annotations

import contextlib
import inspect
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.callbacks import Parsed, Prefix, any_of_pattern, register_prefix, whole_number
from bot.handlers.common import ack, button, call_service, keyboard, rows, say, send, stale
from bot.handlers.fallback import explain_unexpected
from bot.replybot import result_unused
from bot.runtime import db, esc, h, lang, t
from diaspora.errors import DomainError, NotExact
from diaspora.places import service as places

Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END
STAY = "stay"  # an on_answer outcome: keep asking the same question
TYPED = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
ANY_MESSAGE = filters.UpdateType.MESSAGE & ~filters.COMMAND
# A prompt: a catalog text, or a function (context, locale) -> HTML (or an awaitable of it)
# for prompts with markup or read from the database (a survey's question).
Prompt = Any
# Options: {code: label}, or a function (context, locale) -> such a mapping (or an awaitable
# of it) for options that depend on the conversation (a survey question's options).
Options = Mapping[str, object] | Callable[[Any, str], Any]
# A yes/no setting (skip, a limit...): a value, or a function (context) -> value, read from
# the conversation's state (e.g. whether the current survey question is optional).
Setting = Any


@dataclass(frozen=True)
class Goto:
    """An on_answer outcome: ask the question of this name next (a survey's next question,
    which depends on the answers), instead of the one after in the list."""

    name: str


@dataclass(frozen=True)
class Answer:
    value: Any  # None when skipped
    shown: str  # HTML, as acknowledged to the member
    skipped: bool = False


OnAnswer = Callable[[Update, Ctx, "Question", Answer], Awaitable[object]]
Hook = Callable[[Update, Ctx], Awaitable[object]]


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _prompt_html(context: Ctx, locale: str, prompt: Prompt) -> str:
    if callable(prompt):
        return await _maybe(prompt(context, locale))
    return h(context, locale, prompt)


def _setting(value: Setting, context: Ctx) -> Any:
    return value(context) if callable(value) else value


async def _options(options: Options, context: Ctx, locale: str) -> Mapping[str, object]:
    if callable(options):
        return await _maybe(options(context, locale))
    return options


def _prefix(name: str | Prefix, owner: str) -> Prefix:
    return name if isinstance(name, Prefix) else register_prefix(name, owner=owner)


# -- the widgets -----------------------------------------------------------------------------

# Controls every widget may show besides its own: Skip (an optional question), Keep (the
# answer given before, after Back) and Back (the previous question, where the flow allows it).
SHARED_CONTROLS = ("skip", "keep", "back")


class Question:
    """One step. `name` is the persisted conversation state: keep it stable."""

    prefix: Prefix | None = None
    skip: Setting = False
    offers_keep = False  # typed answers and places: a "Keep" button after Back

    def __init__(self, name: str, prompt: Prompt, *, counted: bool = True) -> None:
        self.name, self.prompt, self.counted = name, prompt, counted
        self.flow: Flow | None = None

    def bind(self, flow: Flow) -> None:
        self.flow = flow

    async def render(
        self, update: Update, context: Ctx, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        return await _prompt_html(context, locale, self.prompt), None

    async def ask(self, update: Update, context: Ctx) -> None:
        locale = lang(update, context)
        text, markup = await self.render(update, context, locale)
        await send(update, context, self.flow.progress(context, self) + text, markup)

    def handlers(self) -> list[BaseHandler]:
        return []

    # controls: their data carries the flow's step (a survey: the question id), so a
    # control of an earlier message is stale, not applied to the question asked now --------

    def control_data(self, context: Ctx, name: str) -> str:
        return self.prefix.control(name, *self.flow.step_args(context))

    def is_current(self, context: Ctx, parsed: Parsed) -> bool:
        return parsed.args == tuple(str(a) for a in self.flow.step_args(context))

    def skips(self, context: Ctx) -> bool:
        return bool(_setting(self.skip, context))

    def skip_button(self, context: Ctx, locale: str) -> InlineKeyboardButton:
        return button(t(context, locale, _l("Skip")), self.control_data(context, "skip"))

    def controls(self, context: Ctx, locale: str) -> list[InlineKeyboardButton]:
        """Keep / Skip / Back, as this question and the flow allow."""
        found = []
        if self.offers_keep and self.flow.kept(context, self) is not None:
            found.append(button("✅ " + t(context, locale, _l("Keep this answer")),
                                self.control_data(context, "keep")))
        if self.skips(context):
            found.append(self.skip_button(context, locale))
        if self.flow.may_go_back(context, self):
            found.append(button("⬅ " + t(context, locale, _l("Back")),
                                self.control_data(context, "back")))
        return found

    async def shared_control(self, update: Update, context: Ctx, parsed: Parsed | None) -> Any:
        """Handle Skip, Keep or Back; NOT_SHARED for anything else."""
        if parsed is None or parsed.control not in SHARED_CONTROLS:
            return NOT_SHARED
        if not self.is_current(context, parsed):
            await stale(update, context)
            return None
        if parsed.control == "skip" and self.skips(context):
            return await self.skipped(update, context)
        if parsed.control == "keep" and self.offers_keep:
            kept = self.flow.kept(context, self)
            if kept is not None:
                await ack(update, context, kept.shown)
                return await self.flow.answered(update, context, self, kept)
        if parsed.control == "back" and self.flow.may_go_back(context, self):
            await ack(update, context, None)
            with contextlib.suppress(BadRequest), result_unused():  # the old question's buttons go
                await update.callback_query.edit_message_reply_markup(None)
            return await self.flow.back(update, context, self)
        await stale(update, context)
        return None

    async def skipped(self, update: Update, context: Ctx) -> object:
        await ack(update, context, h(context, lang(update, context), _l("Skipped")))
        return await self.flow.answered(update, context, self, Answer(None, "", skipped=True))


NOT_SHARED = object()


class SingleChoice(Question):
    """Buttons, one answer; optionally Skip, and an "other" button that asks to type
    (the typed text is checked by `validate`, a service function raising ValidationError).
    `chosen` (context -> code) marks the answer given before with ✓ (after Back)."""

    def __init__(
        self,
        name: str,
        prompt: Prompt,
        options: Options,
        *,
        prefix: str | Prefix,
        skip: Setting = False,
        per_row: int = 1,
        other: tuple[object, object] | None = None,  # (button label, hint asking to type)
        validate: Validator | None = None,
        show: Callable[[Any, str], str] | None = None,  # (value, locale) -> plain text
        chosen: Callable[[Ctx], str | None] | None = None,
        counted: bool = True,
    ) -> None:
        super().__init__(name, prompt, counted=counted)
        self.options, self.skip, self.per_row = options, skip, per_row
        self.other, self.validate = other, validate
        self.show, self.chosen = show, chosen
        self.prefix = _prefix(prefix, name)

    def label(self, context: Ctx, locale: str, options: Mapping[str, object], code: str) -> str:
        if self.show is not None:
            return self.show(code, locale)
        return t(context, locale, options[code])

    async def render(
        self, update: Update, context: Ctx, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        options = await _options(self.options, context, locale)
        before = self.chosen(context) if self.chosen is not None else None
        choice_rows = rows(
            [button(("✓ " if c == before else "") + self.label(context, locale, options, c),
                    self.prefix.data(c)) for c in options],
            self.per_row,
        )
        extra = []
        if self.other is not None:
            extra.append(button(t(context, locale, self.other[0]),
                                self.control_data(context, "other")))
        extra += self.controls(context, locale)
        return await _prompt_html(context, locale, self.prompt), keyboard(*choice_rows, extra)

    async def pressed(self, update: Update, context: Ctx) -> object:
        parsed = self.prefix.parse(update.callback_query.data)
        locale = lang(update, context)
        shared = await self.shared_control(update, context, parsed)
        if shared is not NOT_SHARED:
            return shared
        if (parsed and parsed.control == "other" and self.other is not None
                and self.is_current(context, parsed)):
            await ack(update, context, h(context, locale, self.other[0]))
            await send(update, context, h(context, locale, self.other[1]))
            return None
        options = await _options(self.options, context, locale)
        # A country offered after a near miss ("Did you mean …?") is a valid answer too.
        suggested = self.flow.scratch(context, self).get("suggested", [])
        if parsed is None or (parsed.value not in options and parsed.value not in suggested):
            await stale(update, context)
            return None
        code = parsed.value
        self.flow.scratch(context, self).pop("suggested", None)
        shown = esc(self.label(context, locale, options, code))
        await ack(update, context, shown)
        return await self.flow.answered(update, context, self, Answer(code, shown))

    async def typed(self, update: Update, context: Ctx) -> object:
        """A typed answer: taken when `validate` is sure; a near miss (NotExact) is offered
        back as buttons ("Did you mean …?") and saved only when pressed."""
        check = (self.validate.fn(context) if isinstance(self.validate, FromContext)
                 else self.validate)
        try:
            value = await db(context, check, update.message.text or "")
        except NotExact as near:
            await self._offer(update, context, near)
            return None
        except DomainError as error:
            await say(update, context, error.message or _l("Sorry, that cannot be done."))
            return None
        return await _accept_typed(self, update, context, value, self.show)

    async def _offer(self, update: Update, context: Ctx, near: NotExact) -> None:
        locale = lang(update, context)
        options = await _options(self.options, context, locale)
        offered = [c for c in near.candidates if self.show is not None or c in options]
        self.flow.scratch(context, self)["suggested"] = offered
        buttons = [button(self.label(context, locale, options, c), self.prefix.data(c))
                   for c in offered]
        await send(update, context, h(context, locale, near.message), keyboard(*rows(buttons)))

    def handlers(self) -> list[BaseHandler]:
        found: list[BaseHandler] = [self.prefix.handler(self.pressed)]
        if self.validate is not None:
            found.append(MessageHandler(TYPED, self.typed))
        return found


class TypedAnswer(Question):
    """A typed answer, checked by `validate` (a service function: returns the clean value or
    raises ValidationError, whose message is the member's cue to try again)."""

    offers_keep = True

    def __init__(
        self,
        name: str,
        prompt: Prompt,
        *,
        validate: Validator,
        prefix: str | Prefix | None = None,
        skip: Setting = False,
        show: Callable[[Any, str], str] | None = None,
        counted: bool = True,
    ) -> None:
        super().__init__(name, prompt, counted=counted)
        self.validate, self.skip, self.show = validate, skip, show
        if skip or prefix is not None:
            self.prefix = _prefix(prefix or f"{name[:10]}_t", name)

    async def render(
        self, update: Update, context: Ctx, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        controls = self.controls(context, locale) if self.prefix is not None else []
        markup = keyboard(controls) if controls else None
        return await _prompt_html(context, locale, self.prompt), markup

    async def pressed(self, update: Update, context: Ctx) -> object:
        parsed = self.prefix.parse(update.callback_query.data)
        shared = await self.shared_control(update, context, parsed)
        if shared is not NOT_SHARED:
            return shared
        await stale(update, context)
        return None

    async def typed(self, update: Update, context: Ctx) -> object:
        return await _typed_answer(self, update, context, self.validate, self.show)

    def handlers(self) -> list[BaseHandler]:
        found: list[BaseHandler] = [MessageHandler(TYPED, self.typed)]
        if self.prefix is not None:
            found.insert(0, self.prefix.handler(self.pressed))
        return found


class FromContext:
    """A validator read from the conversation's state: `fn(context)` gives the function that
    checks the typed text (e.g. the service's check of the survey question asked now)."""

    def __init__(self, fn: Callable[[Ctx], Callable[[str], Any]]) -> None:
        self.fn = fn


Validator = Callable[[str], Any] | FromContext


async def _typed_answer(
    question: Question,
    update: Update,
    context: Ctx,
    validate: Validator,
    show: Callable[[Any, str], str] | None,
) -> object:
    check = validate.fn(context) if isinstance(validate, FromContext) else validate
    value = await call_service(update, context, check, update.message.text or "")
    if value is None:
        return None  # explained; the member types again
    return await _accept_typed(question, update, context, value, show)


async def _accept_typed(
    question: Question,
    update: Update,
    context: Ctx,
    value: Any,
    show: Callable[[Any, str], str] | None,
) -> object:
    shown_text = show(value, lang(update, context)) if show else str(value)
    await send(update, context, "✅ <b>" + esc(shown_text) + "</b>")
    return await question.flow.answered(update, context, question, Answer(value, esc(shown_text)))


class MultipleChoice(Question):
    """Buttons that tick on and off, then Done (and Skip if allowed). With `limit` (a number,
    or context -> number) a tick beyond it is refused with a note saying the limit; Done with
    nothing ticked is refused unless the question may be skipped."""

    def __init__(
        self,
        name: str,
        prompt: Prompt,
        options: Options,
        *,
        prefix: str | Prefix,
        initial: Callable[[Update, Ctx], Awaitable[list[str]]] | None = None,
        skip: Setting = False,
        per_row: int = 2,
        limit: Setting = None,
        counted: bool = True,
    ) -> None:
        super().__init__(name, prompt, counted=counted)
        self.options, self.initial, self.skip, self.per_row = options, initial, skip, per_row
        self.limit = limit
        self.prefix = _prefix(prefix, name)

    def _markup(self, context: Ctx, locale: str, options: Mapping[str, object],
                selected: list[str]) -> InlineKeyboardMarkup:
        buttons = [
            button(("✓ " if c in selected else "") + t(context, locale, label), self.prefix.data(c))
            for c, label in options.items()
        ]
        controls = [button("✅ " + t(context, locale, _l("Done")),
                           self.control_data(context, "done"))]
        controls += self.controls(context, locale)
        return keyboard(*rows(buttons, self.per_row), controls)

    async def render(
        self, update: Update, context: Ctx, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        options = await _options(self.options, context, locale)
        scratch = self.flow.scratch(context, self)
        if "selected" not in scratch:
            start = await self.initial(update, context) if self.initial else []
            scratch["selected"] = [c for c in start if c in options]
        markup = self._markup(context, locale, options, scratch["selected"])
        return await _prompt_html(context, locale, self.prompt), markup

    async def pressed(self, update: Update, context: Ctx) -> object:
        query = update.callback_query
        parsed = self.prefix.parse(query.data)
        locale = lang(update, context)
        shared = await self.shared_control(update, context, parsed)
        if shared is not NOT_SHARED:
            return shared
        options = await _options(self.options, context, locale)
        scratch = self.flow.scratch(context, self)
        selected = [c for c in scratch.get("selected", []) if c in options]
        if parsed and parsed.control == "done" and self.is_current(context, parsed):
            if not selected and not self.skips(context):
                await _toast(update, context, _l("Choose at least one answer, then Done."))
                return None
            shown = esc(", ".join(t(context, locale, options[c]) for c in selected)) or "—"
            await ack(update, context, shown)
            return await self.flow.answered(update, context, self, Answer(selected, shown))
        if parsed is None or parsed.value not in options:
            await stale(update, context)
            return None
        limit = _setting(self.limit, context)
        if parsed.value in selected:
            selected.remove(parsed.value)
        elif limit and len(selected) >= limit:
            await _toast(update, context, _l(
                "You can choose at most %(n)s. Untick one to choose another.", n=limit))
            return None
        else:
            selected.append(parsed.value)
        scratch["selected"] = selected
        await query.answer()
        try:
            with result_unused():
                await query.edit_message_reply_markup(
                    self._markup(context, locale, options, selected)
                )
        except BadRequest:
            pass  # "message is not modified" after a double tap
        return None

    def handlers(self) -> list[BaseHandler]:
        return [self.prefix.handler(self.pressed)]


async def _toast(update: Update, context: Ctx, message: object) -> None:
    """A short note on the pressed button (Telegram shows it over the chat)."""
    try:
        await update.callback_query.answer(t(context, lang(update, context), message)[:200],
                                           show_alert=True)
    except BadRequest:
        pass


# -- the place picker ------------------------------------------------------------------------


def _place_page(parent_id: int, locale: str) -> dict:
    """The places below `parent_id` (0: the regions), sorted by name in the reader's language."""
    if parent_id:
        parent = places.get_place(parent_id)
        if parent is None:
            return {"options": [], "level": -1, "name": "", "up": 0}
        items = places.children(parent)
        level, name, up = parent.level, parent.display_name(locale), parent.parent_id or 0
    else:
        items, level, name, up = places.regions(), 0, "", 0
    options = sorted(((p.id, p.display_name(locale)) for p in items), key=lambda o: o[1].casefold())
    return {"options": options, "level": level, "name": name, "up": up}


def _search_page(text: str, locale: str, limit: int) -> list[tuple[int, str]]:
    """Places matching a typed name (current or former, any language), with their ancestors
    so that two Kara-Suu aiyl aimaks can be told apart."""
    return [(p.id, p.full_name(locale)) for p in places.search_places(text, limit=limit)]


def _pick_place(
    place_id: int, parent_id: int, locale: str, *, itself: bool = False, anywhere: bool = False
) -> dict | None:
    place = places.get_place(place_id)
    if place is None or (not (itself or anywhere) and (place.parent_id or 0) != parent_id):
        return None
    return {
        "id": place.id,
        "has_children": not itself and bool(places.children(place)),
        "full_name": place.full_name(locale),
    }


class PlacePicker(Question):
    """Region -> district -> community, `page_size` buttons a page, ↩ Back one level up.
    At the levels in `stop_at` (2: a district's communities) the member may keep the place
    above ("Skip" chooses the district). Typing a name (current or former, any language)
    offers the matching places as buttons instead: a district has some twenty aiyl aimaks,
    and a member who knows the name need not page through them. The answer is a place id."""

    def __init__(
        self,
        name: str,
        prompt: Prompt,
        *,
        prefix: str | Prefix,
        page_size: int = 8,
        stop_at: Sequence[int] = (2,),
        skip: Setting = False,
        counted: bool = True,
    ) -> None:
        super().__init__(name, prompt, counted=counted)
        self.page_size, self.stop_at, self.skip = page_size, tuple(stop_at), skip
        self.prefix = _prefix(prefix, name)

    offers_keep = True

    async def _page(
        self, update: Update, context: Ctx, locale: str, parent_id: int, page: int
    ) -> tuple[str, InlineKeyboardMarkup]:
        data = await db(context, _place_page, parent_id, locale)
        options = data["options"]
        pages = max(1, -(-len(options) // self.page_size))
        page = min(max(page, 0), pages - 1)
        chunk = options[page * self.page_size : (page + 1) * self.page_size]
        p = self.prefix
        nav = []
        if page > 0:
            nav.append(button("« " + t(context, locale, _l("Previous")),
                              p.control("page", parent_id, page - 1)))
        if page + 1 < pages:
            nav.append(button(t(context, locale, _l("More")) + " »",
                              p.control("page", parent_id, page + 1)))
        extra = []
        if parent_id:
            extra.append(button("↩ " + t(context, locale, _l("Back")), p.control("up", parent_id)))
        if data["level"] in self.stop_at:
            extra.append(button(t(context, locale, _l("Skip")), p.control("this", parent_id)))
        if not parent_id:
            extra += self.controls(context, locale)  # the question's own Keep/Skip/Back
        markup = keyboard(*rows([button(n, p.data(pid)) for pid, n in chunk]), nav, extra)
        if data["level"] <= 0:
            prompt = await _prompt_html(context, locale, self.prompt)
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

    async def render(
        self, update: Update, context: Ctx, locale: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        self.flow.scratch(context, self)["parent"] = 0
        return await self._page(update, context, locale, 0, 0)

    async def _show(self, update: Update, context: Ctx, parent_id: int, page: int) -> None:
        locale = lang(update, context)
        self.flow.scratch(context, self)["parent"] = parent_id
        prompt, markup = await self._page(update, context, locale, parent_id, page)
        query = update.callback_query
        await query.answer()
        try:
            with result_unused():
                await query.edit_message_text(
                    self.flow.progress(context, self) + prompt, reply_markup=markup
                )
        except BadRequest:
            pass  # not modified

    async def pressed(self, update: Update, context: Ctx) -> object:
        parsed = self.prefix.parse(update.callback_query.data)
        locale = lang(update, context)
        shared = await self.shared_control(update, context, parsed)
        if shared is not NOT_SHARED:
            return shared
        parent = int(self.flow.scratch(context, self).get("parent") or 0)
        try:
            if parsed is None:
                raise ValueError
            numbers = ([whole_number(a) for a in parsed.args] if parsed.control
                       else [whole_number(parsed.value)])
            if parsed.control == "pick":
                return await self._picked(update, context, numbers[0])
            if parsed.control and numbers[0] != parent:
                raise ValueError  # a button of a page no longer shown
            if parsed.control == "page":
                await self._show(update, context, parent, numbers[1])
                return None
            if parsed.control == "up":
                data = await db(context, _place_page, parent, locale)
                await self._show(update, context, data["up"], 0)
                return None
            if parsed.control == "this":
                data = await db(context, _place_page, parent, locale)
                if data["level"] not in self.stop_at:
                    raise ValueError
                chosen = await db(context, _pick_place, parent, 0, locale, itself=True)
            elif parsed.control is None:
                chosen = await db(context, _pick_place, numbers[0], parent, locale)
            else:
                raise ValueError
            if chosen is None:
                raise ValueError
        except (ValueError, IndexError):
            await stale(update, context)
            return None
        if chosen["has_children"]:
            await self._show(update, context, chosen["id"], 0)
            return None
        await ack(update, context, esc(chosen["full_name"]))
        self.flow.scratch(context, self).pop("parent", None)
        answer = Answer(chosen["id"], esc(chosen["full_name"]))
        return await self.flow.answered(update, context, self, answer)

    async def typed(self, update: Update, context: Ctx) -> object:
        locale = lang(update, context)
        text = " ".join((update.message.text or "").split())[: places.MAX_SEARCH]
        parent = int(self.flow.scratch(context, self).get("parent") or 0)
        found = await db(context, _search_page, text, locale, self.page_size)
        p = self.prefix
        back = [button("↩ " + t(context, locale, _l("Back")), p.control("page", parent, 0))]
        if not found:
            prompt = h(context, locale, _l(
                "No place called “%(name)s” was found. Try another spelling, or choose with "
                "the buttons.", name=text[:40]))
            _, markup = await self._page(update, context, locale, parent, 0)
            await send(update, context, prompt, markup)
            return None
        prompt = h(context, locale, _l("Places called “%(name)s”: choose yours.", name=text[:40]))
        markup = keyboard(*rows([button(label, p.control("pick", pid)) for pid, label in found]),
                          back)
        await send(update, context, self.flow.progress(context, self) + prompt, markup)
        return None

    async def _picked(self, update: Update, context: Ctx, place_id: int) -> object:
        locale = lang(update, context)
        chosen = await db(context, _pick_place, place_id, 0, locale, anywhere=True)
        if chosen is None:
            await stale(update, context)
            return None
        if chosen["has_children"]:
            await self._show(update, context, chosen["id"], 0)
            return None
        await ack(update, context, esc(chosen["full_name"]))
        self.flow.scratch(context, self).pop("parent", None)
        return await self.flow.answered(
            update, context, self, Answer(chosen["id"], esc(chosen["full_name"]))
        )

    def handlers(self) -> list[BaseHandler]:
        return [self.prefix.handler(self.pressed), MessageHandler(TYPED, self.typed)]


# -- the conversation ------------------------------------------------------------------------


class Flow:
    """A conversation made of questions, asked in order; see the module docstring."""

    def __init__(
        self,
        name: str,
        questions: Sequence[Question],
        *,
        on_answer: OnAnswer,
        on_done: Hook,
        on_single_done: Hook | None = None,
        on_cancel: Callable[[Update, Ctx, bool], Awaitable[object]] | None = None,
        entry_points: Sequence[BaseHandler] = (),
    ) -> None:
        self.name, self.questions = name, list(questions)
        self.by_name = {q.name: q for q in self.questions}
        if len(self.by_name) != len(self.questions):
            raise ValueError(f"{name}: two questions with the same name")
        self.on_answer, self.on_done = on_answer, on_done
        self.on_single_done, self.on_cancel = on_single_done, on_cancel
        self.entry_points = list(entry_points)
        for question in self.questions:
            question.bind(self)

    # state in user_data[self.name] --------------------------------------------------------

    def data(self, context: Ctx) -> dict:
        return context.user_data.setdefault(self.name, {})

    def scratch(self, context: Ctx, question: Question) -> dict:
        return self.data(context).setdefault("scratch", {}).setdefault(question.name, {})

    def forget(self, context: Ctx) -> None:
        context.user_data.pop(self.name, None)

    def is_single(self, context: Ctx) -> bool:
        return bool(self.data(context).get("single"))

    def progress(self, context: Ctx, question: Question) -> str:
        """The "3/7" marker before a question (not when one answer is being changed)."""
        counted = [q for q in self.questions if q.counted]
        if not question.counted or self.is_single(context):
            return ""
        return f"<b>{counted.index(question) + 1}/{len(counted)}</b> · "

    # what a flow whose questions come from data overrides (see bot.handlers.surveys) ------

    def step_args(self, context: Ctx) -> tuple:
        """Carried by the widgets' controls (Skip, Done...), so a control of an earlier
        message is recognised as stale; () here: a question is its own state."""
        return ()

    def may_go_back(self, context: Ctx, question: Question) -> bool:
        return False

    async def back(self, update: Update, context: Ctx, question: Question) -> object:
        return None

    def kept(self, context: Ctx, question: Question) -> Answer | None:
        """The answer given to `question` before (offered as "Keep" after Back)."""
        return None

    # moving through the questions -----------------------------------------------------------

    async def ask(self, update: Update, context: Ctx, name: str) -> str:
        await self.by_name[name].ask(update, context)
        return name

    async def goto(self, update: Update, context: Ctx, name: str) -> str:
        """Ask `name` afresh (its widget's scratch from an earlier question goes)."""
        self.data(context).setdefault("scratch", {}).pop(name, None)
        return await self.ask(update, context, name)

    async def start_at(self, update: Update, context: Ctx, name: str) -> str:
        """Begin (again) at a question, forgetting what an earlier run kept."""
        self.forget(context)
        self.data(context)
        return await self.ask(update, context, name)

    async def ask_one(self, update: Update, context: Ctx, name: str) -> str:
        """Ask one question only (changing one answer), then `on_single_done`."""
        self.forget(context)
        self.data(context)["single"] = True
        return await self.ask(update, context, name)

    async def answered(
        self, update: Update, context: Ctx, question: Question, answer: Answer
    ) -> object:
        outcome = await self.on_answer(update, context, question, answer)
        if outcome == STAY:
            return None
        if outcome == END:
            self.forget(context)
            return END
        if isinstance(outcome, Goto):
            return await self.goto(update, context, outcome.name)
        if self.is_single(context):
            self.forget(context)
            if self.on_single_done is not None:
                await self.on_single_done(update, context)
            return END
        index = self.questions.index(question)
        if index + 1 < len(self.questions):
            return await self.ask(update, context, self.questions[index + 1].name)
        self.forget(context)
        await self.on_done(update, context)
        return END

    async def cancel(self, update: Update, context: Ctx) -> object:
        single = self.is_single(context)
        self.forget(context)
        if self.on_cancel is not None:
            await self.on_cancel(update, context, single)
        return END

    def _reask(self, question: Question) -> Callable[[Update, Ctx], Awaitable[object]]:
        async def reask(update: Update, context: Ctx) -> object:
            """Something other than an answer: explain, then the question again."""
            await explain_unexpected(update, context)
            await question.ask(update, context)
            return None

        return reask

    @property
    def prefixes(self) -> list[Prefix]:
        return [q.prefix for q in self.questions if q.prefix is not None]

    def build(self) -> ConversationHandler:
        states = {
            q.name: [*q.handlers(), MessageHandler(ANY_MESSAGE, self._reask(q))]
            for q in self.questions
        }
        fallbacks: list[BaseHandler] = [CommandHandler("cancel", self.cancel)]
        if self.prefixes:
            # A button of another question of this conversation: an old message.
            fallbacks.append(CallbackQueryHandler(stale, pattern=any_of_pattern(*self.prefixes)))
        with warnings.catch_warnings():
            # One conversation per chat, buttons included: per_message is not wanted here.
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=self.entry_points,
                states=states,
                fallbacks=fallbacks,
                name=self.name,
                persistent=True,
                allow_reentry=True,
            )

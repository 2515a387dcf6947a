"""The bot's "Surveys": the open surveys meant for the member, and answering one, one question
a message, with the shared question widgets of bot.questions.

A survey's questions are data, so the conversation (`SurveyFlow`) has one widget per kind of
question, not one per question: its state is the widget (`sv_single`, `sv_typed`, ...) and
`user_data["survey"]` says which survey and question it is asking, the answers so far (clean
values, as the service takes them) and how each was shown. Both are persisted, so a pause or
a restart resumes at the same question. Which question comes next, what is shown and what a
typed answer means are the service's (`next_question`, `visible_questions`, `clean_answer`);
nothing is stored in the survey's tables until Submit (`submit_response(channel="bot")`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.callbacks import any_of_pattern, register_prefix, whole_number
from bot.handlers import menu
from bot.handlers.common import button, call_service, keyboard, say, send, stale
from bot.questions import (
    END,
    Answer,
    Flow,
    FromContext,
    Goto,
    MultipleChoice,
    PlacePicker,
    Question,
    SingleChoice,
    TypedAnswer,
)
from bot.runtime import MAX_MESSAGE, db, esc, h, lang, t
from diaspora.accounts import telegram as tg
from diaspora.delivery.messages import shorten
from diaspora.errors import ValidationError
from diaspora.i18n import localized, localized_text
from diaspora.places import service as places
from diaspora.places.countries import COMMON_DESTINATIONS, country_name
from diaspora.surveys import service
from diaspora.surveys.models import (
    COUNTRY,
    LONG_TEXT,
    MULTIPLE,
    NUMBER,
    PLACE,
    SCALE,
    SCALE_MAX,
    SCALE_MIN,
    SHORT_TEXT,
    SINGLE,
)
from diaspora.surveys.service import AnswersInvalid

Ctx = ContextTypes.DEFAULT_TYPE
SURVEY = register_prefix("sv", owner="surveys")  # sv:<id> a survey of the list
GO = register_prefix("svgo", owner="surveys")  # svgo:<id> start, svgo!resume:<id> continue
SUMMARY = "sv_summary"
STATE_OF_KIND = {
    SINGLE: "sv_single", SCALE: "sv_scale", MULTIPLE: "sv_multiple", NUMBER: "sv_typed",
    SHORT_TEXT: "sv_typed", LONG_TEXT: "sv_typed", PLACE: "sv_place", COUNTRY: "sv_country",
}
BUTTON_TITLE = 60  # characters of a survey's title on its button
SHOWN_MAX = 300  # characters of a typed answer repeated back
RESULTS_PATH = "/surveys/{id}/results"  # the results page (diaspora.surveys results views)


# -- what the service is asked (in a worker thread) ------------------------------------------


def _site_url(path: str, locale: str) -> str:
    return f"{current_app.config['SITE_URL']}{path}?lang={locale}"


def _list(chat_id: int, locale: str) -> dict:
    member = tg.require_chat_user(chat_id)
    surveys, answered = service.open_surveys_and_answered(member)
    results = [
        {"title": localized_text(s.title, locale),
         "url": _site_url(RESULTS_PATH.format(id=s.id), locale)}
        for s in service.published_results_for(member)
    ]
    return {
        "open": [{"id": s.id, "title": localized_text(s.title, locale),
                  "answered": s.id in answered} for s in surveys],
        "results": results,
    }


def _intro(chat_id: int, survey_id: int, locale: str) -> dict:
    """The survey's title and introduction, and whether the member may start it."""
    member = tg.require_chat_user(chat_id)
    survey = service.get_survey(survey_id)
    answered = service.has_answered(member, survey)
    if not answered:
        service.check_can_answer(member, survey)  # closed, not yet open, not for them: says so
    title = localized(survey.title, locale)
    return {
        "title": title.text, "exact": title.exact,
        "intro": localized_text(survey.intro, locale),
        "questions": len(survey.questions), "anonymous": survey.anonymous,
        "answered": answered,
        "results": (_site_url(RESULTS_PATH.format(id=survey.id), locale)
                    if answered and service.can_view_results(member, survey) else None),
    }


def _clean_answers(answers: dict) -> dict[int, Any]:
    """user_data keeps question ids as strings (it is stored as JSON)."""
    return {int(qid): value for qid, value in answers.items()}


def _info(survey: Any, answers: dict[int, Any], question: Any) -> dict:
    """Where the member is: a question (and its place among those they see) or the summary."""
    if question is None:
        return {"q": None}
    shown = service.visible_questions(survey, answers)
    return {"q": question.id, "kind": question.kind, "req": question.required,
            "max": question.max_choices,
            "pos": shown.index(question) + 1 if question in shown else 1,
            "total": len(shown)}


def _member_and_survey(chat_id: int, survey_id: int) -> tuple[Any, Any]:
    member = tg.require_chat_user(chat_id)
    survey = service.get_survey(survey_id)
    service.check_can_answer(member, survey)  # closed meanwhile, answered on the web...
    return member, survey


def _first(chat_id: int, survey_id: int) -> dict:
    _, survey = _member_and_survey(chat_id, survey_id)
    return _info(survey, {}, service.next_question(survey, {}, None))


def _next(chat_id: int, survey_id: int, answers: dict, after_id: int) -> dict:
    _, survey = _member_and_survey(chat_id, survey_id)
    clean = _clean_answers(answers)
    after = service.get_question(survey, after_id)
    return _info(survey, clean, service.next_question(survey, clean, after))


def _previous(chat_id: int, survey_id: int, answers: dict, current_id: int | None) -> dict:
    _, survey = _member_and_survey(chat_id, survey_id)
    clean = _clean_answers(answers)
    shown = service.visible_questions(survey, clean)
    if current_id is not None:
        current = service.get_question(survey, current_id)
        shown = [q for q in shown if q.position < current.position]
    return _info(survey, clean, shown[-1] if shown else None)


def _at(chat_id: int, survey_id: int, answers: dict, question_id: int | None) -> dict:
    _, survey = _member_and_survey(chat_id, survey_id)
    clean = _clean_answers(answers)
    question = service.get_question(survey, question_id) if question_id else None
    return _info(survey, clean, question)


def _question_view(survey_id: int, question_id: int, locale: str) -> dict:
    survey = service.get_survey(survey_id)
    question = service.get_question(survey, question_id)
    return {
        "title": localized_text(survey.title, locale),
        "prompt": localized_text(question.prompt, locale),
        "hint": localized_text(question.hint, locale),
        "low": localized_text(question.low_label, locale),
        "high": localized_text(question.high_label, locale),
        "min": question.min_value, "max": question.max_value,
        "options": {str(o.id): localized_text(o.label, locale) for o in question.options},
    }


def _check_typed(survey_id: int, question_id: int, text: str) -> Any:
    """The service's check of a typed answer (a number, a text, a country's name)."""
    survey = service.get_survey(survey_id)
    question = service.get_question(survey, question_id)
    value = service.clean_answer(question, text)
    if value is None:
        raise ValidationError(_l("Please answer this question."))
    return value


def _summary_view(survey_id: int, answers: dict, locale: str) -> dict:
    survey = service.get_survey(survey_id)
    shown = service.visible_questions(survey, _clean_answers(answers))
    return {"title": localized_text(survey.title, locale),
            "questions": [(q.id, localized_text(q.prompt, locale)) for q in shown]}


def _submit(chat_id: int, survey_id: int, answers: dict) -> dict:
    member = tg.require_chat_user(chat_id)
    survey = service.get_survey(survey_id)
    try:
        service.submit_response(member, survey, _clean_answers(answers), channel="bot")
    except AnswersInvalid as error:
        # Only if the survey changed meanwhile (the bot checked each answer): go to the
        # first question to fix, with the service's reason.
        field, message = next(iter(error.errors.items()))
        return {"invalid": int(field[1:]), "message": message}
    return {"invalid": None}


def _place_name(place_id: int, locale: str) -> str:
    place = places.get_place(place_id)
    return place.full_name(locale) if place else ""


# -- the conversation --------------------------------------------------------------------------


class SurveyFlow(Flow):
    """A Flow whose next question, progress and Back come from the survey being answered."""

    def progress(self, context: Ctx, question: Question) -> str:
        data = self.data(context)
        if question.name == SUMMARY or not data.get("total"):
            return ""
        return f"<b>{data['pos']}/{data['total']}</b> · "

    def step_args(self, context: Ctx) -> tuple:
        return (self.data(context).get("q") or 0,)

    def may_go_back(self, context: Ctx, question: Question) -> bool:
        data = self.data(context)
        return question.name == SUMMARY or int(data.get("pos") or 0) > 1

    def kept(self, context: Ctx, question: Question) -> Answer | None:
        data = self.data(context)
        qid = str(data.get("q"))
        if qid not in data.get("answers", {}):
            return None
        return Answer(data["answers"][qid], data.get("shown", {}).get(qid, ""))

    async def back(self, update: Update, context: Ctx, question: Question) -> object:
        data = self.data(context)
        info = await call_service(update, context, _previous, update.effective_chat.id,
                                  data["id"], data.get("answers", {}), data.get("q"))
        return await self.go(update, context, info)

    def move(self, context: Ctx, info: dict) -> str:
        """Keep where the member is now; the state (widget) that asks it."""
        data = self.data(context)
        for key in ("q", "kind", "req", "max", "pos", "total"):
            data[key] = info.get(key)
        return SUMMARY if info["q"] is None else STATE_OF_KIND[info["kind"]]

    async def go(self, update: Update, context: Ctx, info: dict | None) -> object:
        """Ask the question `info` names; None (the service refused and said why, e.g. the
        survey closed meanwhile): the conversation ends and nothing half-done is kept."""
        if info is None:
            self.forget(context)
            return END
        return await self.goto(update, context, self.move(context, info))


def _data(context: Ctx) -> dict:
    return FLOW.data(context)


def _optional(context: Ctx) -> bool:
    return not _data(context).get("req", True)


def _qid(context: Ctx) -> str:
    return str(_data(context).get("q"))


async def _view(context: Ctx, locale: str) -> dict | None:
    data = _data(context)
    if not data.get("id") or not data.get("q"):
        return None
    return await db(context, _question_view, data["id"], data["q"], locale)


def _scale_code(question_id: object, value: object) -> str:
    # The question id is in the code, so a scale button of an earlier question is stale.
    return f"{question_id}.{value}"


async def _prompt(context: Ctx, locale: str) -> str:
    view = await _view(context, locale)
    if view is None:
        return h(context, locale, _l("This survey question is no longer available."))
    data = _data(context)
    kind = data.get("kind")
    lines = [f"<b>{esc(view['prompt'])}</b>"]
    if not data.get("req", True):
        lines[0] += " " + h(context, locale, _l("(optional)"))
    if view["hint"]:
        lines.append(f"<i>{esc(view['hint'])}</i>")
    note: object = None
    if kind == SCALE:
        note = (_l("1 means “%(low)s”, 5 means “%(high)s”.", low=view["low"], high=view["high"])
                if view["low"] and view["high"] else _l("Choose a number from 1 to 5."))
    elif kind == MULTIPLE:
        note = (_l("Choose up to %(n)s, then press Done.", n=data["max"]) if data.get("max")
                else _l("Choose all that apply, then press Done."))
    elif kind == NUMBER:
        low, high = view["min"], view["max"]
        if low is not None and high is not None:
            note = _l("Type a whole number from %(low)s to %(high)s.", low=low, high=high)
        elif low is not None:
            note = _l("Type a whole number, %(low)s or more.", low=low)
        elif high is not None:
            note = _l("Type a whole number, %(high)s or less.", high=high)
        else:
            note = _l("Type a whole number.")
    elif kind in (SHORT_TEXT, LONG_TEXT):
        note = _l("Type your answer in one message.")
    elif kind == COUNTRY:
        note = _l("Choose a country, or press “Another country” and type its name.")
    if note is not None:
        lines.append(h(context, locale, note))
    kept = FLOW.kept(context, FLOW.by_name[SUMMARY])
    if kept is not None and kind in (NUMBER, SHORT_TEXT, LONG_TEXT, PLACE):
        lines.append(h(context, locale, _l("Your answer:")) + " " + kept.shown)
    return "\n".join(lines)


async def _choice_options(context: Ctx, locale: str) -> dict[str, str]:
    view = await _view(context, locale)
    return view["options"] if view else {}


async def _scale_options(context: Ctx, locale: str) -> dict[str, str]:
    qid = _data(context).get("q")
    return {_scale_code(qid, n): str(n) for n in range(SCALE_MIN, SCALE_MAX + 1)}


def _country_options(context: Ctx, locale: str) -> dict[str, str]:
    return dict.fromkeys(COMMON_DESTINATIONS, "")


def _chosen(context: Ctx) -> str | None:
    value = _data(context).get("answers", {}).get(_qid(context))
    if value is None:
        return None
    if _data(context).get("kind") == SCALE:
        return _scale_code(_qid(context), value)
    return str(value)


async def _ticked(update: Update, context: Ctx) -> list[str]:
    return [str(v) for v in _data(context).get("answers", {}).get(_qid(context)) or []]


def _typed_check(context: Ctx) -> Any:
    data = _data(context)
    return partial(_check_typed, data.get("id") or 0, data.get("q") or 0)


def _shown_text(value: Any, locale: str) -> str:
    return shorten(str(value), SHOWN_MAX)


async def _summary_prompt(context: Ctx, locale: str) -> str:
    data = _data(context)
    view = await db(context, _summary_view, data["id"], data.get("answers", {}), locale)
    shown = data.get("shown", {})
    head = [f"<b>{esc(view['title'])}</b>",
            h(context, locale, _l("Your answers. Press Submit to send them, or Back to change "
                                  "one."))]
    skipped = h(context, locale, _l("(no answer)"))
    lines: list[str] = []
    room = MAX_MESSAGE - 400  # the heading and what follows
    for number, (qid, prompt) in enumerate(view["questions"], 1):
        line = f"{number}. {esc(shorten(prompt, 120))}\n<b>{shown.get(str(qid)) or skipped}</b>"
        if sum(len(x) + 2 for x in lines) + len(line) > room:
            lines.append(h(context, locale, lazy_ngettext(
                "… and %(num)d more question.", "… and %(num)d more questions.",
                len(view["questions"]) - number + 1)))
            break
        lines.append(line)
    return "\n\n".join(["\n".join(head), *lines])


QUESTIONS: list[Question] = [
    SingleChoice("sv_single", _prompt, _choice_options, prefix="svs", skip=_optional,
                 chosen=_chosen),
    SingleChoice("sv_scale", _prompt, _scale_options, prefix="svk", skip=_optional,
                 per_row=5, chosen=_chosen),
    MultipleChoice("sv_multiple", _prompt, _choice_options, prefix="svm", skip=_optional,
                   initial=_ticked, per_row=1,
                   limit=lambda context: _data(context).get("max")),
    TypedAnswer("sv_typed", _prompt, validate=FromContext(_typed_check), prefix="svt",
                skip=_optional, show=_shown_text),
    SingleChoice(
        "sv_country", _prompt, _country_options, prefix="svc", skip=_optional, per_row=2,
        other=(_l("Another country"),
               _l("Type the name of the country, in Kyrgyz, Russian or English "
                  "(for example: Германия).")),
        validate=FromContext(_typed_check), show=country_name, chosen=_chosen,
    ),
    PlacePicker("sv_place", _prompt, prefix="svp", skip=_optional),
    SingleChoice(SUMMARY, _summary_prompt, {"submit": _l("Submit"), "cancel": _l("Cancel")},
                 prefix="svx", per_row=2, counted=False),
]


def _value(kind: str, answer: Answer) -> Any:
    """An answer as the service takes it (and as JSON keeps it)."""
    if kind == SINGLE:
        return int(answer.value)
    if kind == SCALE:
        return int(str(answer.value).rsplit(".", 1)[-1])
    if kind == MULTIPLE:
        return [int(v) for v in answer.value]
    return answer.value  # already clean: a number, a text, a place id, a country code


async def on_answer(update: Update, context: Ctx, question: Question, answer: Answer) -> object:
    data = _data(context)
    chat_id = update.effective_chat.id
    if question.name == SUMMARY:
        if answer.value == "cancel":
            await say(update, context, _l("Stopped. Nothing was sent; you can answer this "
                                          "survey later from /surveys."))
            return END
        return await _send(update, context)
    qid = _qid(context)
    answers, shown = data.setdefault("answers", {}), data.setdefault("shown", {})
    if answer.skipped or answer.value in (None, []):
        answers.pop(qid, None)
        shown.pop(qid, None)
    else:
        answers[qid] = _value(data["kind"], answer)
        shown[qid] = answer.shown
    info = await call_service(update, context, _next, chat_id, data["id"], answers, int(qid))
    if info is None:
        return END  # the service said why (closed meanwhile...); nothing is kept
    return Goto(FLOW.move(context, info))


async def _send(update: Update, context: Ctx) -> object:
    data = _data(context)
    chat_id = update.effective_chat.id
    result = await call_service(update, context, _submit, chat_id, data["id"],
                                data.get("answers", {}))
    if result is None:
        return END  # already answered, closed meanwhile: said so; nothing is kept
    if result["invalid"] is not None:
        await say(update, context, result["message"])
        info = await call_service(update, context, _at, chat_id, data["id"],
                                  data.get("answers", {}), result["invalid"])
        return END if info is None else Goto(FLOW.move(context, info))
    await menu.show_menu(update, context, _l("Thank you! Your answers are saved."))
    return END


async def on_done(update: Update, context: Ctx) -> None:
    return None  # never reached: every answer says where to go (Goto) or ends


async def on_cancel(update: Update, context: Ctx, single: bool) -> None:
    await say(update, context, _l("Stopped. Nothing was sent; you can answer this survey "
                                  "later from /surveys."))


async def begin(update: Update, context: Ctx) -> object:
    """Start (svgo:<id>) or continue (svgo!resume:<id>) a survey."""
    query = update.callback_query
    parsed = GO.parse(query.data)
    try:
        raw = parsed.value if parsed and parsed.control is None else (
            parsed.args[0] if parsed and parsed.control == "resume" and parsed.args else None)
        survey_id = whole_number(raw)
    except ValueError:
        await stale(update, context)
        return None
    data = _data(context)
    chat_id = update.effective_chat.id
    if parsed.control == "resume" and data.get("id") == survey_id and data.get("kind"):
        await query.answer()
        info = await call_service(update, context, _at, chat_id, survey_id,
                                  data.get("answers", {}), data.get("q"))
        if info is None:
            FLOW.forget(context)
            return END
        return await FLOW.ask(update, context, FLOW.move(context, info))
    await query.answer()
    info = await call_service(update, context, _first, chat_id, survey_id)
    if info is None:
        return None  # said why; a survey under way (another one) stays as it was
    FLOW.forget(context)
    FLOW.data(context).update(id=survey_id, answers={}, shown={})
    return await FLOW.go(update, context, info)


FLOW = SurveyFlow(
    "survey",
    QUESTIONS,
    on_answer=on_answer,
    on_done=on_done,
    on_cancel=on_cancel,
    entry_points=[GO.handler(begin)],
)


# -- the list and a survey's first page ------------------------------------------------------


async def show_list(update: Update, context: Ctx) -> None:
    locale = lang(update, context)
    found = await call_service(update, context, _list, update.effective_chat.id, locale)
    if found is None:
        return
    lines: list[str] = []
    buttons = []
    if found["open"]:
        lines.append("<b>" + h(context, locale, _l("Surveys for you")) + "</b>")
        lines.append(h(context, locale, _l("Choose one to read about it and answer. ✅ marks "
                                           "the ones you answered.")))
        for item in found["open"]:
            mark = "✅ " if item["answered"] else ""
            buttons.append([button(mark + shorten(item["title"], BUTTON_TITLE),
                                   SURVEY.data(item["id"]))])
    else:
        lines.append(h(context, locale, _l("There are no open surveys for you right now. We "
                                           "will send you a message when there is one.")))
    if found["results"]:
        lines += ["", "<b>" + h(context, locale, _l("Results you can read")) + "</b>"]
        lines += [f'• <a href="{esc(r["url"])}">{esc(shorten(r["title"], 200))}</a>'
                  for r in found["results"]]
    await send(update, context, "\n".join(lines), keyboard(*buttons) if buttons else None)


async def show_intro(update: Update, context: Ctx) -> None:
    """sv:<id>: the survey's title, introduction and Start (or Continue)."""
    query = update.callback_query
    parsed = SURVEY.parse(query.data)
    try:
        survey_id = whole_number(parsed.value if parsed else None)
    except ValueError:
        await stale(update, context)
        return
    locale = lang(update, context)
    await query.answer()
    intro = await call_service(update, context, _intro, update.effective_chat.id, survey_id,
                               locale)
    if intro is None:
        return
    text = f"<b>{esc(intro['title'])}</b>"
    if not intro["exact"]:
        text += " <i>" + h(context, locale, _l("(not available in your language)")) + "</i>"
    if intro["intro"]:
        text += "\n\n" + esc(intro["intro"])
    buttons = []
    if intro["answered"]:
        text += "\n\n" + h(context, locale, service.AlreadyAnswered.default_message)
        if intro["results"]:
            text += (f'\n<a href="{esc(intro["results"])}">'
                     + h(context, locale, _l("See the results")) + "</a>")
    else:
        facts = [lazy_ngettext("%(num)d question, one at a time.",
                               "%(num)d questions, one at a time.", intro["questions"]),
                 _l("Your answers are anonymous.") if intro["anonymous"]
                 else _l("Your answers are kept with your name."),
                 _l("You can stop at any time and continue later; /cancel leaves without "
                    "sending anything.")]
        text += "\n\n" + "\n".join(h(context, locale, fact) for fact in facts)
        data = _data(context)
        if data.get("id") == survey_id and data.get("kind"):
            buttons.append(button("▶ " + t(context, locale, _l("Continue")),
                                  GO.control("resume", survey_id)))
            buttons.append(button(t(context, locale, _l("Start again")), GO.data(survey_id)))
        else:
            buttons.append(button("▶ " + t(context, locale, _l("Start")), GO.data(survey_id)))
    await send(update, context, text, keyboard(buttons) if buttons else None)


async def stale_question(update: Update, context: Ctx) -> None:
    """A button of a survey question when no survey is under way (answered, cancelled, an
    old message): say where surveys are."""
    query = update.callback_query
    locale = lang(update, context)
    try:
        await query.answer(t(context, locale, _l("This button is no longer valid."))[:200])
    except BadRequest:
        pass
    await say(update, context, _l("This survey question is no longer waiting for an answer. "
                                  "Send /surveys to see your surveys."))


def register(application: Application) -> None:
    menu.add_item(application, "surveys", _l("Surveys"), show_list, order=20)
    menu.add_command(application, "surveys", _l("Surveys for you"), show_list, order=27)
    application.add_handler(SURVEY.handler(show_intro))
    menu.add_conversation(application, FLOW.build())
    application.add_handler(
        CallbackQueryHandler(stale_question, pattern=any_of_pattern(*FLOW.prefixes))
    )

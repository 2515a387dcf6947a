"""Survey operations shared by the web site, the bot and the sender's housekeeping.

Building (staff): `create_survey`, `update_survey`, `save_question`, `delete_question`,
`move_question`, `open_survey`, `close_survey`, `set_results_published`, `delete_survey`.
Once a survey has opened, answers may exist, and `save_question`/`delete_question`/
`update_survey` refuse any change that would break them, saying why (`_check_*`).

Answering (members): `open_surveys_for`, `visible_questions`, `clean_answer` (the one
validation of an answer, used by the web form and the bot), `submit_response`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from diaspora.accounts.models import Profile, User
from diaspora.accounts.permissions import can, refuse_if_muted, require
from diaspora.delivery import audience as audiences
from diaspora.delivery import service as delivery
from diaspora.delivery.audience import COUNTRY, HOME, Audience
from diaspora.delivery.models import OutboxMessage
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.forms import is_id
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.places.countries import is_country, match_country
from diaspora.places.models import LEVEL_REGION, Place
from diaspora.surveys import results
from diaspora.surveys.messages import RESULTS_TEMPLATE
from diaspora.surveys.messages import TEMPLATE as INVITATION_TEMPLATE
from diaspora.surveys.models import (
    AUDIENCE_COLUMNS,
    CHOICE_KINDS,
    CLOSED,
    DRAFT,
    LONG_TEXT,
    MULTIPLE,
    NUMBER,
    OPEN,
    PLACE,
    QUESTION_KINDS,
    SCALE,
    SCALE_MAX,
    SCALE_MIN,
    SHORT_TEXT,
    SINGLE,
    Survey,
    SurveyAnswer,
    SurveyAudienceCountry,
    SurveyAudiencePlace,
    SurveyInvitation,
    SurveyOption,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
)
from diaspora.surveys.models import (
    COUNTRY as COUNTRY_KIND,
)

# Who a survey can be for: every kind of the shared audience module.
AUDIENCE_KINDS = audiences.AUDIENCE_KINDS
TITLE_MAX = 200
INTRO_MAX = 4000
PROMPT_MAX = 500
HINT_MAX = 500
OPTION_MAX = 200
MAX_OPTIONS = 20
MAX_QUESTIONS = 60
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 4000
# Numbers are kept in a signed 64-bit column: an answer or a bound beyond it is refused,
# not wrapped.
NUMBER_LIMIT = 2**63 - 1
INVITATION_INTERVAL = timedelta(days=7)

# Survey states as a reader sees them (the stored status plus the dates).
SCHEDULED, LIVE, ENDED = "scheduled", "live", "ended"


class AlreadyAnswered(InvalidTransition):
    default_message = _l("You have already answered this survey. Thank you!")


class AnswersInvalid(ValidationError):
    """Several answers are wrong at once: `errors` maps a field ("q<question id>") to its
    message, so the web form shows each next to its question."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = dict(errors)
        first_field, first_message = next(iter(self.errors.items()))
        super().__init__(first_message, field=first_field)


def field_name(question: SurveyQuestion) -> str:
    return f"q{question.id}"


# -- reading -----------------------------------------------------------------------------------


def get_survey(survey_id: int, *, lean: bool = False) -> Survey:
    """`lean`: without loading its questions and audience up front (they load when read), for a
    page that shows a kept form (surveys/views.py)."""
    survey = db.session.get(Survey, survey_id, options=[
        lazyload(Survey.questions), lazyload(Survey.audience_places),
        lazyload(Survey.audience_countries)] if lean else None)
    if survey is None:
        raise NotFound(_l("This survey does not exist."))
    return survey


def get_question(survey: Survey, question_id: int) -> SurveyQuestion:
    for question in survey.questions:
        if question.id == question_id:
            return question
    raise NotFound(_l("This question does not exist."))


def phase(survey: Survey, now: datetime | None = None) -> str:
    """draft, scheduled (open but not yet started), live (answerable), or ended."""
    now = now or utcnow()
    if survey.status == DRAFT:
        return DRAFT
    if survey.status == CLOSED or (survey.closes_at is not None and survey.closes_at <= now):
        return ENDED
    if survey.opens_at is not None and survey.opens_at > now:
        return SCHEDULED
    return LIVE


def is_live(survey: Survey, now: datetime | None = None) -> bool:
    return phase(survey, now) == LIVE


def _live_condition(now: datetime) -> Any:
    return and_(
        Survey.status == OPEN,
        or_(Survey.opens_at.is_(None), Survey.opens_at <= now),
        or_(Survey.closes_at.is_(None), Survey.closes_at > now),
    )


def survey_audience(survey: Survey) -> Audience:
    return Audience(survey.audience, tuple(survey.place_ids), tuple(survey.country_codes))


def in_audience(member: Any, survey: Survey) -> bool:
    """Whether `member` is among the people `survey` is for."""
    if getattr(member, "id", None) is None:
        return False
    return bool(db.session.scalar(
        select(literal(1)).where(Survey.id == survey.id,
                                 audiences.visible_to(member, AUDIENCE_COLUMNS))
    ))


def has_answered(member: Any, survey: Survey) -> bool:
    member_id = getattr(member, "id", None)
    if member_id is None:
        return False
    return db.session.get(SurveyParticipation, (survey.id, member_id)) is not None


# A list shows titles and dates: the questions, their options and the audience (eagerly
# loaded for a survey alone, four more queries) load only if something reads them.
_LIST_ONLY = (lazyload(Survey.questions), lazyload(Survey.audience_places),
              lazyload(Survey.audience_countries))


def open_surveys_for(member: Any, *, limit: int = 50) -> list[Survey]:
    """The live surveys meant for `member`, newest first, those not yet answered first."""
    return open_surveys_and_answered(member, limit=limit)[0]


def open_surveys_and_answered(member: Any, *, limit: int = 50
                              ) -> tuple[list[Survey], set[int]]:
    """`open_surveys_for(member)` and the ids of those among them `member` answered, read
    in one query (the list on the site and in the bot marks them)."""
    now = utcnow()
    member_id = getattr(member, "id", None)
    answered = exists().where(SurveyParticipation.survey_id == Survey.id,
                              SurveyParticipation.user_id == member_id)
    # A visitor has answered nothing ("ORDER BY true" is refused by PostgreSQL).
    first = [answered.asc()] if member_id else []
    query = (
        select(Survey, answered.label("answered") if member_id else literal(False))
        .options(*_LIST_ONLY)
        .where(_live_condition(now), audiences.visible_to(member, AUDIENCE_COLUMNS))
        .order_by(*first, func.coalesce(Survey.opens_at, Survey.opened_at).desc(),
                  Survey.id.desc())
        .limit(limit)
    )
    rows = db.session.execute(query).all()
    return [survey for survey, _ in rows], {survey.id for survey, done in rows if done}


def published_results_for(member: Any, *, limit: int = 5) -> list[Survey]:
    """Surveys `member` answered whose results staff published (open or closed), newest
    first: the results a member may read (surveys.view_results)."""
    member_id = getattr(member, "id", None)
    if member_id is None:
        return []
    query = (
        select(Survey)
        .options(*_LIST_ONLY)
        .join(SurveyParticipation, and_(SurveyParticipation.survey_id == Survey.id,
                                        SurveyParticipation.user_id == member_id))
        .where(Survey.results_published.is_(True), Survey.status != DRAFT)
        .order_by(Survey.id.desc()).limit(limit)
    )
    return [s for s in db.session.scalars(query) if can_view_results(member, s)]


def manageable_surveys(actor: User, page: int = 1) -> Any:
    require(actor, "surveys.manage")
    query = select(Survey).order_by(Survey.updated_at.desc(), Survey.id.desc())
    return db.paginate(query, page=page, per_page=20, error_out=False)


def can_view_results(user: Any, survey: Survey) -> bool:
    return can(user, "surveys.view_results", survey)


def can_read_text_answers(user: Any, survey: Survey) -> bool:
    return can(user, "surveys.read_text_answers", survey)


def response_count(survey: Survey) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
    ) or 0


def response_counts(survey_ids: Sequence[int]) -> dict[int, int]:
    """Responses per survey, for a list of surveys in one query."""
    if not survey_ids:
        return {}
    return dict(db.session.execute(
        select(SurveyResponse.survey_id, func.count()).where(
            SurveyResponse.survey_id.in_(list(survey_ids)))
        .group_by(SurveyResponse.survey_id)
    ).all())


def answer_count(question: SurveyQuestion) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(SurveyAnswer.response_id)))
        .where(SurveyAnswer.question_id == question.id)
    ) or 0


# -- building ----------------------------------------------------------------------------------


def _clean_texts(values: Mapping[str, str | None] | None, limit: int, field_: str,
                 *, required: bool = False) -> dict[str, str]:
    clean: dict[str, str] = {}
    for code in SUPPORTED_LOCALES:
        text = ((values or {}).get(code) or "").strip()
        if "\x00" in text:
            raise ValidationError(_l("This text contains characters that are not allowed."),
                                  field=f"{field_}_{code}")
        if len(text) > limit:
            raise ValidationError(_l("This is too long."), field=f"{field_}_{code}")
        if text:
            clean[code] = text
    if required and not clean:
        raise ValidationError(_l("Write this in at least one language."), field=f"{field_}_ky")
    return clean


@dataclass
class SurveySettings:
    title: Mapping[str, str | None]
    intro: Mapping[str, str | None] = field(default_factory=dict)
    anonymous: bool = True
    audience: str = audiences.EVERYONE
    place_ids: Sequence[int] = ()
    countries: Sequence[str] = ()
    opens_at: datetime | None = None
    closes_at: datetime | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _apply_settings(survey: Survey, settings: SurveySettings) -> dict[str, Any]:
    titles = _clean_texts(settings.title, TITLE_MAX, "title", required=True)
    intros = _clean_texts(settings.intro, INTRO_MAX, "intro")
    if settings.audience not in AUDIENCE_KINDS:
        raise ValidationError(_l("Choose who the survey is for."), field="audience")
    place_ids = list(dict.fromkeys(int(pid) for pid in settings.place_ids))
    if any(db.session.get(Place, pid) is None for pid in place_ids):
        raise ValidationError(_l("Unknown place."), field="place_ids")
    codes = sorted({c.strip().upper() for c in settings.countries if c and c.strip()})
    if any(not is_country(code) for code in codes):
        raise ValidationError(_l("Unknown country."), field="countries")
    if settings.audience in (HOME, audiences.AUTHORITIES) and not place_ids:
        raise ValidationError(_l("Choose at least one region or district."), field="place_ids")
    if settings.audience == COUNTRY and not codes:
        raise ValidationError(_l("Choose at least one country."), field="countries")
    opens_at, closes_at = _aware(settings.opens_at), _aware(settings.closes_at)
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError(_l("The survey must close after it opens."), field="closes_at")
    if survey.has_opened and bool(settings.anonymous) != bool(survey.anonymous):
        raise InvalidTransition(
            _l("Whether answers are anonymous can't change once the survey has opened: "
               "people answered on that promise."), field="anonymous")
    before = {"title": survey.title, "audience": survey.audience,
              "opens_at": _iso(survey.opens_at), "closes_at": _iso(survey.closes_at)}
    survey.title, survey.intro = titles, intros
    survey.anonymous = bool(settings.anonymous)
    survey.audience = settings.audience
    survey.audience_places = (
        [SurveyAudiencePlace(place_id=pid) for pid in place_ids]
        if settings.audience in (HOME, audiences.AUTHORITIES) else []
    )
    survey.audience_countries = (
        [SurveyAudienceCountry(country_code=c) for c in codes]
        if settings.audience == COUNTRY else []
    )
    survey.opens_at, survey.closes_at = opens_at, closes_at
    return before


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def create_survey(actor: User, settings: SurveySettings) -> Survey:
    require(actor, "surveys.manage")
    refuse_if_muted(actor)
    survey = Survey(status=DRAFT, created_by_id=actor.id)
    _apply_settings(survey, settings)
    db.session.add(survey)
    db.session.flush()
    audit.record(actor, "survey.create", survey, after={"title": survey.title})
    db.session.commit()
    return survey


def update_survey(actor: User, survey: Survey, settings: SurveySettings) -> Survey:
    require(actor, "surveys.manage", survey)
    before = _apply_settings(survey, settings)
    audit.record(actor, "survey.update", survey, before=before,
                 after={"title": survey.title, "audience": survey.audience,
                        "opens_at": _iso(survey.opens_at), "closes_at": _iso(survey.closes_at)})
    db.session.commit()
    return survey


def delete_survey(actor: User, survey: Survey) -> None:
    require(actor, "surveys.manage", survey)
    if survey.has_opened:
        raise InvalidTransition(_l("A survey that has opened can't be deleted; close it "
                                   "instead."))
    audit.record(actor, "survey.delete", survey, before={"title": survey.title})
    db.session.delete(survey)
    db.session.commit()


@dataclass
class OptionSpec:
    label: Mapping[str, str | None]
    id: int | None = None  # an existing option (None: a new one)


@dataclass
class QuestionSpec:
    kind: str
    prompt: Mapping[str, str | None]
    hint: Mapping[str, str | None] = field(default_factory=dict)
    required: bool = True
    options: Sequence[OptionSpec] = ()
    max_choices: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    low_label: Mapping[str, str | None] = field(default_factory=dict)
    high_label: Mapping[str, str | None] = field(default_factory=dict)
    condition_question_id: int | None = None
    condition_option_ids: Sequence[int] = ()


def _bounded(value: int | None, field_: str) -> int | None:
    if value is not None and abs(int(value)) > NUMBER_LIMIT:
        raise ValidationError(_l("This number is too large."), field=field_)
    return value


def _chosen_option_ids(question: SurveyQuestion) -> set[int]:
    return set(db.session.scalars(
        select(SurveyAnswer.option_id).where(SurveyAnswer.question_id == question.id,
                                             SurveyAnswer.option_id.is_not(None)).distinct()
    ))


def save_question(actor: User, survey: Survey, spec: QuestionSpec,
                  question: SurveyQuestion | None = None) -> SurveyQuestion:
    """Add a question at the end (question=None) or change one."""
    require(actor, "surveys.manage", survey)
    if spec.kind not in QUESTION_KINDS:
        raise ValidationError(_l("Choose a kind of question."), field="kind")
    if question is None and len(survey.questions) >= MAX_QUESTIONS:
        raise ValidationError(_l("A survey has at most %(n)s questions.", n=MAX_QUESTIONS))
    prompts = _clean_texts(spec.prompt, PROMPT_MAX, "prompt", required=True)
    hints = _clean_texts(spec.hint, HINT_MAX, "hint")
    options: list[tuple[int | None, dict[str, str]]] = []
    if spec.kind in CHOICE_KINDS:
        for index, option in enumerate(spec.options):
            label = _clean_texts(option.label, OPTION_MAX, f"option{index}")
            if label:
                options.append((option.id, label))
        if len(options) < 2:
            raise ValidationError(_l("Give at least two options."), field="options")
        if len(options) > MAX_OPTIONS:
            raise ValidationError(_l("Give at most %(n)s options.", n=MAX_OPTIONS),
                                  field="options")
    max_choices = spec.max_choices if spec.kind == MULTIPLE else None
    if max_choices is not None and not 1 <= max_choices <= max(len(options), 1):
        raise ValidationError(_l("The maximum must be between 1 and the number of options."),
                              field="max_choices")
    min_value = _bounded(spec.min_value, "min_value") if spec.kind == NUMBER else None
    max_value = _bounded(spec.max_value, "max_value") if spec.kind == NUMBER else None
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ValidationError(_l("The smallest number must not be above the largest."),
                              field="max_value")
    low = _clean_texts(spec.low_label, OPTION_MAX, "low_label") if spec.kind == SCALE else {}
    high = _clean_texts(spec.high_label, OPTION_MAX, "high_label") if spec.kind == SCALE else {}

    # A condition: an earlier choice question, and some of its options.
    condition_id, condition_options = None, []
    if spec.condition_question_id:
        earlier = [q for q in survey.questions if q is not question]
        if question is not None:
            earlier = earlier[: survey.questions.index(question)]
        source = next((q for q in earlier if q.id == spec.condition_question_id), None)
        if source is None or source.kind not in CHOICE_KINDS:
            raise ValidationError(_l("A condition must name an earlier choice question."),
                                  field="condition_question_id")
        valid = {o.id for o in source.options}
        condition_options = [int(o) for o in dict.fromkeys(spec.condition_option_ids)]
        if not condition_options or any(o not in valid for o in condition_options):
            raise ValidationError(_l("Choose the answers that show this question."),
                                  field="condition_option_ids")
        condition_id = source.id

    if survey.has_opened:
        _check_question_edit(survey, question, spec, options, max_choices, min_value,
                             max_value, condition_id, condition_options)

    before = _question_state(question) if question is not None else None
    if question is None:
        question = SurveyQuestion(survey=survey, kind=spec.kind,
                                  position=len(survey.questions))
        db.session.add(question)
    question.kind = spec.kind
    question.prompt, question.hint = prompts, hints
    question.required = bool(spec.required)
    question.max_choices = max_choices
    question.min_value, question.max_value = min_value, max_value
    question.low_label, question.high_label = low, high
    question.condition_question_id = condition_id
    question.condition_option_ids = condition_options
    _apply_options(question, options)
    db.session.flush()
    audit.record(actor, "survey.question_save", survey, before=before,
                 after=_question_state(question))
    db.session.commit()
    return question


def _apply_options(question: SurveyQuestion, options: list[tuple[int | None, dict]]) -> None:
    existing = {o.id: o for o in question.options}
    kept: list[SurveyOption] = []
    for position, (option_id, label) in enumerate(options):
        option = existing.get(option_id) if option_id is not None else None
        if option is None:
            option = SurveyOption(label=label, position=position)
        option.label, option.position = label, position
        kept.append(option)
    question.options = kept


def _question_state(question: SurveyQuestion) -> dict[str, Any]:
    return {"id": question.id, "kind": question.kind, "prompt": question.prompt,
            "required": question.required,
            "options": [{"id": o.id, "label": o.label} for o in question.options]}


def _check_question_edit(survey: Survey, question: SurveyQuestion | None, spec: QuestionSpec,
                         options: list[tuple[int | None, dict]], max_choices: int | None,
                         min_value: int | None, max_value: int | None,
                         condition_id: int | None, condition_options: list[int]) -> None:
    """Refuse, with the reason, a change to an opened survey that breaks answers given."""
    if question is None:
        if spec.required:
            raise InvalidTransition(
                _l("The survey has opened: a new question must be optional, because people "
                   "who already answered could not answer it."), field="required")
        return
    if spec.kind != question.kind:
        raise InvalidTransition(_l("The survey has opened: a question's kind can't change."),
                                field="kind")
    if spec.required and not question.required:
        raise InvalidTransition(
            _l("The survey has opened: an optional question can't become required, because "
               "people who skipped it could not have answered it."), field="required")
    if (condition_id, sorted(condition_options)) != (
        question.condition_question_id, sorted(question.condition_option_ids or [])
    ):
        raise InvalidTransition(
            _l("The survey has opened: who sees a question can't change, or the answers "
               "would no longer compare."), field="condition_question_id")
    if question.kind in CHOICE_KINDS:
        kept_ids = {option_id for option_id, _ in options if option_id is not None}
        removed = {o.id for o in question.options} - kept_ids
        if removed & _chosen_option_ids(question):
            raise InvalidTransition(
                _l("The survey has opened: an option that people chose can't be removed."),
                field="options")
        if max_choices is not None:
            most = db.session.scalar(
                select(func.max(select(func.count()).where(
                    SurveyAnswer.question_id == question.id,
                    SurveyAnswer.response_id == SurveyResponse.id,
                ).scalar_subquery())).where(SurveyResponse.survey_id == survey.id)
            )
            if most and most > max_choices:
                raise InvalidTransition(
                    _l("The survey has opened: someone chose %(n)s options, so the maximum "
                       "can't be lower.", n=most), field="max_choices")
    if question.kind == NUMBER:
        low, high = db.session.execute(
            select(func.min(SurveyAnswer.number_value), func.max(SurveyAnswer.number_value))
            .where(SurveyAnswer.question_id == question.id)
        ).one()
        if (min_value is not None and low is not None and low < min_value) or (
            max_value is not None and high is not None and high > max_value
        ):
            raise InvalidTransition(
                _l("The survey has opened: answers already given fall outside these bounds."),
                field="min_value")


def delete_question(actor: User, question: SurveyQuestion) -> None:
    survey = question.survey
    require(actor, "surveys.manage", survey)
    if survey.has_opened and answer_count(question):
        raise InvalidTransition(
            _l("The survey has opened and people answered this question: it can't be "
               "removed."))
    if any(q.condition_question_id == question.id for q in survey.questions):
        raise InvalidTransition(
            _l("Another question is shown depending on this one: change that condition "
               "first."))
    audit.record(actor, "survey.question_delete", survey, before=_question_state(question))
    survey.questions.remove(question)
    for position, other in enumerate(survey.questions):
        other.position = position
    db.session.commit()


def move_question(actor: User, question: SurveyQuestion, delta: int) -> None:
    """Move a question up (-1) or down (+1); a question never moves above the one its
    condition depends on."""
    survey = question.survey
    require(actor, "surveys.manage", survey)
    questions = list(survey.questions)
    index = questions.index(question)
    target = index + (1 if delta > 0 else -1)
    if not 0 <= target < len(questions):
        return
    order = questions[:]
    order[index], order[target] = order[target], order[index]
    seen: set[int] = set()
    for q in order:
        if q.condition_question_id and q.condition_question_id not in seen:
            raise InvalidTransition(_l("A question must come after the question its "
                                       "condition depends on."))
        seen.add(q.id)
    for position, q in enumerate(order):
        q.position = position
    survey.questions = order
    audit.record(actor, "survey.question_move", survey,
                 before={"order": [q.id for q in questions]},
                 after={"order": [q.id for q in order]})
    db.session.commit()


def _check_ready(survey: Survey) -> None:
    if not survey.questions:
        raise ValidationError(_l("Add at least one question before opening the survey."))
    languages = [code for code in SUPPORTED_LOCALES if survey.title.get(code)]
    for question in survey.questions:
        missing = [code for code in languages if not question.prompt.get(code)]
        missing += [code for code in languages for o in question.options
                    if not o.label.get(code)]
        if missing:
            raise ValidationError(_l("Question %(n)s is not written in every language of "
                                     "the title.", n=question.position + 1))


def open_survey(actor: User, survey: Survey) -> Survey:
    """Open a draft (answering starts at `opens_at`, or now); invitations go when it starts."""
    require(actor, "surveys.manage", survey)
    if survey.status == OPEN:
        raise InvalidTransition(_l("This survey is already open."))
    _check_ready(survey)
    now = utcnow()
    if survey.closes_at is not None and survey.closes_at <= now:
        raise InvalidTransition(_l("The closing date has passed: set a later one first."),
                                field="closes_at")
    before = {"status": survey.status}
    survey.status = OPEN
    survey.opened_at = survey.opened_at or now
    audit.record(actor, "survey.open", survey, before=before, after={"status": OPEN})
    db.session.commit()
    invite_to_started_surveys()
    return survey


def close_survey(actor: User, survey: Survey) -> Survey:
    require(actor, "surveys.manage", survey)
    if survey.status != OPEN:
        raise InvalidTransition(_l("This survey is not open."))
    survey.status = CLOSED
    now = utcnow()
    if survey.closes_at is None or survey.closes_at > now:
        survey.closes_at = now
    # Invitations not yet sent would invite to a closed survey.
    cancelled = delivery.cancel_for_subject(actor, f"survey:{survey.id}")
    audit.record(actor, "survey.close", survey, before={"status": OPEN},
                 after={"status": CLOSED, "invitations_cancelled": cancelled})
    db.session.commit()
    return survey


def set_results_published(actor: User, survey: Survey, published: bool) -> Survey:
    """Publish (or take back) the results for the members who answered. The first time they
    are published, those members get one message through the outbox with a link (template
    "survey.results"), in the same transaction."""
    require(actor, "surveys.manage", survey)
    if published and not survey.has_opened:
        raise InvalidTransition(_l("A survey that never opened has no results to publish."))
    before = survey.results_published
    survey.results_published = bool(published)
    notified = None
    if published and survey.results_broadcast_id is None:
        took_part = exists().where(SurveyParticipation.survey_id == survey.id,
                                   SurveyParticipation.user_id == User.id)
        broadcast = delivery.enqueue_broadcast(
            actor, subject=f"survey-results:{survey.id}", template=RESULTS_TEMPLATE,
            params=results_params(survey), conditions=[took_part, _wants_surveys()],
        )
        survey.results_broadcast_id = broadcast.id
        notified = broadcast.total
    audit.record(actor, "survey.results_published", survey, before={"published": before},
                 after={"published": bool(published), "notified": notified})
    db.session.commit()
    return survey


def results_params(survey: Survey) -> dict[str, Any]:
    return {"title": dict(survey.title), "url": f"/surveys/{survey.id}/results",
            "survey_id": survey.id}


# -- answering ---------------------------------------------------------------------------------


def condition_met(question: SurveyQuestion, answers: Mapping[int, Any]) -> bool:
    """Whether `question` is shown, given the clean answers so far (question id -> value)."""
    if not question.has_condition:
        return True
    given = answers.get(question.condition_question_id)
    chosen = set(given) if isinstance(given, list | tuple | set) else {given}
    return bool(chosen & set(question.condition_option_ids))


def visible_questions(survey: Survey, answers: Mapping[int, Any]) -> list[SurveyQuestion]:
    """The questions a member with these answers is asked, in order (a question whose
    condition's source is itself hidden is hidden too)."""
    shown: list[SurveyQuestion] = []
    shown_ids: set[int] = set()
    for question in survey.questions:
        if question.has_condition and question.condition_question_id not in shown_ids:
            continue
        if condition_met(question, answers):
            shown.append(question)
            shown_ids.add(question.id)
    return shown


def next_question(survey: Survey, answers: Mapping[int, Any],
                  after: SurveyQuestion | None) -> SurveyQuestion | None:
    """The question after `after` (None: the first) for a member with these answers."""
    shown = visible_questions(survey, answers)
    if after is None:
        return shown[0] if shown else None
    later = [q for q in shown if q.position > after.position]
    return later[0] if later else None


def _whole_number(raw: Any, question: SurveyQuestion) -> int:
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if text.startswith("+"):
        text = text[1:]
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii() or len(digits) > 19:
        if digits.isdigit() and digits.isascii():
            raise ValidationError(_l("This number is too large."), field=field_name(question))
        raise ValidationError(_l("Write a whole number, in digits."),
                              field=field_name(question))
    value = int(text)
    if abs(value) > NUMBER_LIMIT:
        raise ValidationError(_l("This number is too large."), field=field_name(question))
    return value


def clean_answer(question: SurveyQuestion, raw: Any) -> Any:
    """The clean value of an answer to `question`, or ValidationError with what to fix.

    `raw` is what the web form or the bot received: an option id (or several), a number or
    digits, text, a place id, a country code or a typed country name. An empty answer is
    None (the caller decides whether the question allows it).
    """
    name = field_name(question)
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return None
    if question.kind == SINGLE:
        try:
            option_id = int(str(raw))
        except ValueError:
            option_id = None
        if option_id not in {o.id for o in question.options}:
            raise ValidationError(_l("Choose one of the answers."), field=name)
        return option_id
    if question.kind == MULTIPLE:
        values = [raw] if isinstance(raw, str | int) else list(raw)
        valid = {o.id for o in question.options}
        chosen: list[int] = []
        for value in values:
            try:
                option_id = int(str(value))
            except ValueError:
                option_id = None
            if option_id not in valid:
                raise ValidationError(_l("Choose among the answers given."), field=name)
            if option_id not in chosen:
                chosen.append(option_id)
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValidationError(_l("Choose at most %(n)s.", n=question.max_choices),
                                  field=name)
        return chosen or None
    if question.kind == SCALE:
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
        if value is None or not SCALE_MIN <= value <= SCALE_MAX:
            raise ValidationError(_l("Choose a number from 1 to 5."), field=name)
        return value
    if question.kind == NUMBER:
        value = _whole_number(raw, question)
        if question.min_value is not None and value < question.min_value:
            raise ValidationError(_l("The number must be at least %(n)s.",
                                     n=question.min_value), field=name)
        if question.max_value is not None and value > question.max_value:
            raise ValidationError(_l("The number must be at most %(n)s.",
                                     n=question.max_value), field=name)
        return value
    if question.kind in (SHORT_TEXT, LONG_TEXT):
        text = str(raw).replace("\r\n", "\n").strip()
        if "\x00" in text:
            raise ValidationError(_l("This text contains characters that are not allowed."),
                                  field=name)
        if question.kind == SHORT_TEXT:
            text = " ".join(text.split())
        limit = SHORT_TEXT_MAX if question.kind == SHORT_TEXT else LONG_TEXT_MAX
        if len(text) > limit:
            raise ValidationError(_l("Please keep it under %(n)s characters.", n=limit),
                                  field=name)
        return text
    if question.kind == PLACE:
        # Only what can be an id reaches the database (PostgreSQL refuses an INTEGER
        # beyond 32 bits with an error, not an empty result).
        text = str(raw).strip()
        place = db.session.get(Place, int(text)) if is_id(text) else None
        if place is None:
            raise ValidationError(_l("Choose a place from the list."), field=name)
        return place.id
    if question.kind == COUNTRY_KIND:
        text = str(raw).strip()
        code = text.upper() if is_country(text.upper()) else match_country(text)
        if code is None:
            raise ValidationError(_l("We don't know this country. Try its name in Kyrgyz, "
                                     "Russian or English."), field=name)
        return code
    raise ValidationError(_l("Unknown question."), field=name)


def clean_answers(survey: Survey, raw_answers: Mapping[int, Any]) -> dict[int, Any]:
    """Every answer cleaned and checked against the questions a member with these answers
    sees; all problems at once (AnswersInvalid). Answers to hidden questions are dropped."""
    clean: dict[int, Any] = {}
    errors: dict[str, Any] = {}
    for question in survey.questions:
        try:
            value = clean_answer(question, raw_answers.get(question.id))
        except ValidationError as error:
            errors[field_name(question)] = error.message
            continue
        if value is not None:
            clean[question.id] = value
    shown = visible_questions(survey, clean)
    shown_ids = {q.id for q in shown}
    clean = {qid: value for qid, value in clean.items() if qid in shown_ids}
    errors = {name: msg for name, msg in errors.items() if int(name[1:]) in shown_ids}
    for question in shown:
        if question.required and question.id not in clean and field_name(question) not in errors:
            errors[field_name(question)] = _l("Please answer this question.")
    if errors:
        ordered = {field_name(q): errors[field_name(q)] for q in shown
                   if field_name(q) in errors}
        raise AnswersInvalid(ordered)
    return clean


def _respondent_facts(member: User) -> dict[str, Any]:
    profile: Profile | None = member.profile
    if profile is None:
        return {"country_code": None, "home_region_id": None, "return_plan": None}
    home = profile.home_place
    region_id = None
    if home is not None:
        region_id = home.id if home.level == LEVEL_REGION else home.region_id
    return {"country_code": profile.country_code, "home_region_id": region_id,
            "return_plan": profile.return_plan}


def _answer_rows(survey: Survey, clean: Mapping[int, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for question in survey.questions:
        value = clean.get(question.id)
        if value is None:
            continue
        row: dict[str, Any] = {"question_id": question.id, "option_id": None,
                               "number_value": None, "text_value": None, "place_id": None,
                               "country_code": None}
        if question.kind == MULTIPLE:
            rows.extend({**row, "option_id": option_id} for option_id in value)
            continue
        if question.kind == SINGLE:
            row["option_id"] = value
        elif question.kind in (SCALE, NUMBER):
            row["number_value"] = value
        elif question.kind in (SHORT_TEXT, LONG_TEXT):
            row["text_value"] = value
        elif question.kind == PLACE:
            row["place_id"] = value
        elif question.kind == COUNTRY_KIND:
            row["country_code"] = value
        rows.append(row)
    return rows


def check_can_answer(member: Any, survey: Survey) -> None:
    """Raise, with the reason, when `member` may not answer `survey` now."""
    state = phase(survey)
    if state == DRAFT:
        raise NotFound(_l("This survey does not exist."))
    if state == SCHEDULED:
        raise InvalidTransition(_l("This survey is not open yet."))
    if state == ENDED:
        raise InvalidTransition(_l("This survey has closed. Thank you for your interest."))
    require(member, "surveys.answer", survey)
    if has_answered(member, survey):
        raise AlreadyAnswered()


def submit_response(member: User, survey: Survey, raw_answers: Mapping[int, Any], *,
                    channel: str = "web") -> SurveyResponse:
    """Record `member`'s response, once: a second try (even a concurrent one) raises
    AlreadyAnswered, because the participation's primary key refuses it."""
    check_can_answer(member, survey)
    clean = clean_answers(survey, raw_answers)
    facts = _respondent_facts(member)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        # The participation first: a concurrent second submission stops here, on the
        # primary key, before it writes any answer.
        db.session.add(SurveyParticipation(survey_id=survey.id, user_id=member.id))
        db.session.flush()
        response = SurveyResponse(
            survey_id=survey.id, user_id=None if survey.anonymous else member.id,
            submitted_on=today, channel=channel if channel in ("web", "bot") else "web",
            **facts,
        )
        db.session.add(response)
        db.session.flush()
        rows = _answer_rows(survey, clean)
        if rows:
            db.session.execute(insert(SurveyAnswer),
                               [{**row, "response_id": response.id} for row in rows])
        # The results' counts, in the same transaction: they always agree with the answers.
        results.count_response(survey, clean, facts)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyAnswered() from None
    return response


# -- invitations -------------------------------------------------------------------------------


def _wants_surveys() -> Any:
    return func.coalesce(Profile.notify_surveys, true()) == true()


def _not_invited_lately(now: datetime) -> Any:
    """At most one survey invitation a week per member."""
    return ~exists().where(SurveyInvitation.user_id == User.id,
                           SurveyInvitation.invited_at > now - INVITATION_INTERVAL)


def invitation_params(survey: Survey) -> dict[str, Any]:
    return {"title": dict(survey.title), "intro": dict(survey.intro),
            "url": f"/surveys/{survey.id}", "survey_id": survey.id,
            "closes_at": _iso(survey.closes_at)}


def invite_to_started_surveys() -> int:
    """Queue one invitation per reachable member of each survey that has started and not
    yet invited (run by the sender's housekeeping and when a survey opens). Members who
    paused broadcasts (/stop), turned survey news off, were invited to a survey in the last
    week, or already answered are left out."""
    now = utcnow()
    due = db.session.scalars(
        select(Survey).where(_live_condition(now), Survey.invitation_broadcast_id.is_(None))
        .order_by(Survey.id).with_for_update(skip_locked=True, of=Survey)
    ).all()
    for survey in due:
        answered = ~exists().where(SurveyParticipation.survey_id == survey.id,
                                   SurveyParticipation.user_id == User.id)
        broadcast = delivery.enqueue_broadcast(
            None, subject=f"survey:{survey.id}", template=INVITATION_TEMPLATE,
            params=invitation_params(survey), audience=survey_audience(survey),
            conditions=[_wants_surveys(), _not_invited_lately(now), answered],
        )
        survey.invitation_broadcast_id = broadcast.id
        db.session.execute(insert(SurveyInvitation).from_select(
            ["survey_id", "user_id", "invited_at"],
            select(literal(survey.id), OutboxMessage.user_id,
                   literal(now, SurveyInvitation.invited_at.type))
            .where(OutboxMessage.broadcast_id == broadcast.id),
        ))
        audit.record(None, "survey.invite", survey,
                     after={"broadcast_id": broadcast.id, "total": broadcast.total})
    db.session.commit()
    return len(due)


# -- personal data -----------------------------------------------------------------------------


def export_member_answers(member: User) -> list[dict[str, Any]]:
    """A member's own answers to surveys that were not anonymous (anonymous answers carry no
    trace of who gave them)."""
    responses = db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.user_id == member.id)
        .order_by(SurveyResponse.id)
    ).all()
    found = []
    for response in responses:
        survey = db.session.get(Survey, response.survey_id)
        questions = {q.id: q for q in survey.questions}
        options = {o.id: o for q in survey.questions for o in q.options}
        answers = []
        for answer in response.answers:
            question = questions.get(answer.question_id)
            value: Any = answer.number_value
            if answer.option_id is not None:
                value = options[answer.option_id].label
            elif answer.text_value is not None:
                value = answer.text_value
            elif answer.place_id is not None:
                value = answer.place_id
            elif answer.country_code is not None:
                value = answer.country_code
            answers.append({"question": question.prompt if question else None, "answer": value})
        found.append({"survey": survey.title, "submitted_on": _iso(response.submitted_on),
                      "answers": answers})
    return found


def erase_member_answers(member: User) -> None:
    """Erasure: a member's non-anonymous responses go, with the record of which surveys they
    took part in and were invited to. Anonymous responses stay: nothing ties them to anyone."""
    named = db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.user_id == member.id)).all()
    results.uncount_responses(named)
    db.session.execute(delete(SurveyResponse).where(SurveyResponse.user_id == member.id))
    db.session.execute(delete(SurveyParticipation).where(SurveyParticipation.user_id == member.id))
    db.session.execute(delete(SurveyInvitation).where(SurveyInvitation.user_id == member.id))

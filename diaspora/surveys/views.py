"""Survey pages: the list of open surveys, answering, the builder (views.py), and the
results and their downloads (results_views.py), all on one blueprint.

Answering is one page that works without JavaScript: every question the member may be
asked is on it (a conditional one says when to answer it), the service checks the answers
(`clean_answers`) and drops those to questions the member's own answers hide, and a refused
page comes back with everything typed and each error next to its question.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from diaspora.accounts.permissions import can
from diaspora.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from diaspora.forms import ConfirmForm, is_id, show_domain_error
from diaspora.i18n import SUPPORTED_LOCALES, localized
from diaspora.main.templating import current_locale
from diaspora.pagecache import fragment
from diaspora.places import service as places
from diaspora.places.countries import country_choices
from diaspora.surveys import service
from diaspora.surveys import templates as survey_templates
from diaspora.surveys.forms import (
    AUDIENCE_LABELS,
    BLANK_OPTION_ROWS,
    KIND_LABELS,
    QuestionForm,
    SurveySettingsForm,
)
from diaspora.surveys.models import (
    CHOICE_KINDS,
    MULTIPLE,
    QUESTION_KINDS,
    SCALE_MAX,
    SCALE_MIN,
    Survey,
    SurveyQuestion,
)
from diaspora.surveys.service import AlreadyAnswered, AnswersInvalid

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


def phase_labels() -> dict[str, str]:
    return {service.DRAFT: _("draft"), service.SCHEDULED: _("scheduled"),
            service.LIVE: _("open"), service.ENDED: _("closed")}


# -- answering ---------------------------------------------------------------------------------


@bp.get("/")
def index() -> ResponseReturnValue:
    member = current_user if current_user.is_authenticated else None
    surveys, answered = service.open_surveys_and_answered(member)
    return render_template("surveys/index.html", surveys=surveys, answered=answered,
                           results=service.published_results_for(member))


def _condition_notes(survey: Survey) -> dict[int, str]:
    """For each conditional question, when to answer it, in the reader's language."""
    by_id = {q.id: (number, q) for number, q in enumerate(survey.questions, start=1)}
    notes: dict[int, str] = {}
    for question in survey.questions:
        if not question.has_condition or question.condition_question_id not in by_id:
            continue
        number, source = by_id[question.condition_question_id]
        chosen = [localized(o.label, current_locale()).text for o in source.options
                  if o.id in question.condition_option_ids]
        notes[question.id] = _(
            "Answer only if your answer to question %(number)s was: %(answers)s.",
            number=number, answers=" / ".join(f"«{label}»" for label in chosen))
    return notes


def _answer_form(survey: Survey, values: MultiDict, errors: Mapping[str, Any], *,
                 action: str, preview: bool = False, csrf_slot: str = "") -> Markup:
    """The answer form, rendered in the current (or forced) language."""
    locale = current_locale()
    countries = country_choices(locale) if any(
        q.kind == "country" for q in survey.questions) else []
    # An autoescaped template's output: already safe HTML.
    return Markup(render_template(  # noqa: S704
        "surveys/_answer_form.html", survey=survey, values=values, errors=errors,
        action=action, preview=preview, notes=_condition_notes(survey),
        place_options=lambda chosen: places.place_options_html(locale, chosen),
        countries=countries, scale=range(SCALE_MIN, SCALE_MAX + 1),
        title=localized(survey.title, locale), intro=localized(survey.intro, locale),
        csrf_slot=Markup(csrf_slot),  # noqa: S704  (a constant comment)
    ))


_CSRF_SLOT = "<!-- csrf_token -->"


def _blank_answer_form(survey: Survey) -> Markup:
    """The form as every member first sees it (nothing typed, no errors): drawn once per
    survey and language and kept until the content changes (diaspora/pagecache.py), with a
    slot where each request puts its own session's CSRF token."""
    action = url_for("surveys.answer", survey_id=survey.id)
    html = fragment("surveys.answer", (survey.id,), lambda: _answer_form(
        survey, MultiDict(), {}, action=action, csrf_slot=_CSRF_SLOT))
    token = Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
    return Markup(html.replace(_CSRF_SLOT, token, 1))  # noqa: S704  (both parts are escaped)


def _raw_answers(survey: Survey, form: MultiDict) -> dict[int, Any]:
    """What was posted for each question, as the service expects it."""
    raw: dict[int, Any] = {}
    for question in survey.questions:
        name = service.field_name(question)
        raw[question.id] = (form.getlist(name) if question.kind == MULTIPLE
                            else form.get(name))
    return raw


def _state_page(survey: Survey, message: Any, status: int = 200) -> ResponseReturnValue:
    return render_template("surveys/state.html", survey=survey, message=message,
                           title=localized(survey.title, current_locale())), status


@bp.route("/<int:survey_id>", methods=["GET", "POST"])
@login_required
def answer(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id, lean=request.method == "GET")
    try:
        service.check_can_answer(current_user, survey)
    except AlreadyAnswered as error:
        return _state_page(survey, error.message)
    except NotFound:
        abort(404)
    except PermissionDenied:
        return _state_page(survey, _("This survey is meant for other members."), 403)
    except InvalidTransition as error:  # closed, or not yet open
        return _state_page(survey, error.message)
    values, errors = MultiDict(), {}
    if request.method == "POST":
        values = request.form
        try:
            service.submit_response(current_user, survey, _raw_answers(survey, request.form),
                                    channel="web")
        except AnswersInvalid as error:
            errors = error.errors
        except AlreadyAnswered as error:  # a second tab, or a double click, won the race
            return _state_page(survey, error.message)
        except InvalidTransition as error:  # it closed while the member was answering
            return _state_page(survey, error.message)
        else:
            return redirect(url_for("surveys.thanks", survey_id=survey.id))
    form = (_answer_form(survey, values, errors,
                         action=url_for("surveys.answer", survey_id=survey.id))
            if request.method == "POST" else _blank_answer_form(survey))
    return render_template("surveys/answer.html", survey=survey, form=form, errors=errors,
                           title=localized(survey.title, current_locale()))


@bp.get("/<int:survey_id>/thanks")
@login_required
def thanks(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    if not service.has_answered(current_user, survey):
        return redirect(url_for("surveys.answer", survey_id=survey.id))
    return render_template("surveys/thanks.html", survey=survey,
                           title=localized(survey.title, current_locale()))


# -- building ----------------------------------------------------------------------------------


def _require_manage(survey: Survey | None = None) -> None:
    if not can(current_user, "surveys.manage", survey):
        abort(403)


def _managed_survey(survey_id: int) -> Survey:
    # Who may first: a member asking for a survey id learns nothing about it.
    _require_manage()
    survey = service.get_survey(survey_id)
    _require_manage(survey)
    return survey


@bp.get("/manage")
@login_required
def manage() -> ResponseReturnValue:
    _require_manage()
    page = request.args.get("page", 1, type=int)
    pagination = service.manageable_surveys(current_user, max(page, 1))
    counts = service.response_counts([s.id for s in pagination.items])
    return render_template("surveys/manage.html", pagination=pagination, counts=counts,
                           phase=service.phase, phase_labels=phase_labels(),
                           templates=survey_templates.TEMPLATES.values(),
                           confirm=ConfirmForm())


@bp.post("/manage/from-template")
@login_required
def from_template() -> ResponseReturnValue:
    _require_manage()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    key = request.form.get("template", "")
    if key not in survey_templates.TEMPLATES:
        flash(_("Unknown template."), "error")
        return redirect(url_for("surveys.manage"))
    survey = survey_templates.create_from_template(current_user, key)
    flash(_("A draft was made from the template: adapt it, then open it."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


def _local_zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def _to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=_local_zone()).astimezone(UTC)


def _to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_local_zone()).replace(tzinfo=None)


def _fill_settings_choices(form: SurveySettingsForm) -> None:
    locale = current_locale()
    form.place_ids.choices = {
        name: [(str(value), label) for value, label in options]
        for name, options in places.grouped_place_choices(locale)
    }
    form.countries.choices = country_choices(locale)


def _settings_from(form: SurveySettingsForm) -> service.SurveySettings:
    return service.SurveySettings(
        title={code: form[f"title_{code}"].data for code in SUPPORTED_LOCALES},
        intro={code: form[f"intro_{code}"].data for code in SUPPORTED_LOCALES},
        anonymous=bool(form.anonymous.data), audience=form.audience.data or "",
        place_ids=[int(x) for x in form.place_ids.data or []],  # ids: checked by the form
        countries=form.countries.data or [],
        opens_at=_to_utc(form.opens_at.data), closes_at=_to_utc(form.closes_at.data),
    )


def _load_settings(form: SurveySettingsForm, survey: Survey) -> None:
    for code in SUPPORTED_LOCALES:
        form[f"title_{code}"].data = survey.title.get(code, "")
        form[f"intro_{code}"].data = survey.intro.get(code, "")
    form.anonymous.data = survey.anonymous
    form.audience.data = survey.audience
    form.place_ids.data = [str(pid) for pid in survey.place_ids]
    form.countries.data = survey.country_codes
    form.opens_at.data = _to_local(survey.opens_at)
    form.closes_at.data = _to_local(survey.closes_at)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    _require_manage()
    form = SurveySettingsForm()
    _fill_settings_choices(form)
    if form.validate_on_submit():
        try:
            survey = service.create_survey(current_user, _settings_from(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The survey is saved as a draft. Now add its questions."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
    return render_template("surveys/settings.html", form=form, survey=None,
                           zone=str(get_timezone()))


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required
def edit(survey_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    form = SurveySettingsForm()
    _fill_settings_choices(form)
    if request.method == "GET":
        _load_settings(form, survey)
    elif form.validate_on_submit():
        try:
            service.update_survey(current_user, survey, _settings_from(form))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The settings are saved."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
    return render_template(
        "surveys/edit.html", form=form, survey=survey, confirm=ConfirmForm(),
        state=service.phase(survey), phase_labels=phase_labels(), kinds=KIND_LABELS,
        responses=service.response_count(survey), notes=_condition_notes(survey),
        audience_labels=AUDIENCE_LABELS, zone=str(get_timezone()),
    )


def _condition_groups(survey: Survey, question: SurveyQuestion | None
                      ) -> list[tuple[int, SurveyQuestion]]:
    """The earlier choice questions (with their numbers) a condition may name."""
    earlier = survey.questions
    if question is not None:
        earlier = earlier[: survey.questions.index(question)]
    return [(number, q) for number, q in enumerate(earlier, start=1) if q.kind in CHOICE_KINDS]


def _load_question(form: QuestionForm, question: SurveyQuestion) -> None:
    form.kind.data = question.kind
    for code in SUPPORTED_LOCALES:
        form[f"prompt_{code}"].data = question.prompt.get(code, "")
        form[f"hint_{code}"].data = question.hint.get(code, "")
        form[f"low_label_{code}"].data = question.low_label.get(code, "")
        form[f"high_label_{code}"].data = question.high_label.get(code, "")
    form.required.data = question.required
    form.max_choices.data = question.max_choices
    form.min_value.data, form.max_value.data = question.min_value, question.max_value
    form.condition_option_ids.data = [str(o) for o in question.condition_option_ids or []]
    while form.options.entries:
        form.options.pop_entry()
    for option in question.options:
        form.options.append_entry({"id": str(option.id),
                                   **{f"label_{c}": option.label.get(c, "")
                                      for c in SUPPORTED_LOCALES}})


def _question_spec(form: QuestionForm, survey: Survey) -> service.QuestionSpec:
    chosen = [int(x) for x in form.condition_option_ids.data or [] if is_id(x)]
    # The condition's question is the one whose options were ticked.
    owner = {o.id: q.id for q in survey.questions for o in q.options}
    condition_question_id = owner.get(chosen[0], -1) if chosen else None
    options = [
        service.OptionSpec({c: entry.form[f"label_{c}"].data for c in SUPPORTED_LOCALES},
                           int(entry.form.id.data) if is_id(entry.form.id.data) else None)
        for entry in form.options.entries
    ]
    return service.QuestionSpec(
        kind=form.kind.data,
        prompt={c: form[f"prompt_{c}"].data for c in SUPPORTED_LOCALES},
        hint={c: form[f"hint_{c}"].data for c in SUPPORTED_LOCALES},
        required=bool(form.required.data), options=options,
        max_choices=form.max_choices.data, min_value=form.min_value.data,
        max_value=form.max_value.data,
        low_label={c: form[f"low_label_{c}"].data for c in SUPPORTED_LOCALES},
        high_label={c: form[f"high_label_{c}"].data for c in SUPPORTED_LOCALES},
        condition_question_id=condition_question_id, condition_option_ids=chosen,
    )


def _show_question_error(form: QuestionForm, error: DomainError) -> None:
    """The service names fields as the form does, except option rows ("option3_ru"), the
    options as a whole, and the condition (one set of ticks here)."""
    name = error.field or ""
    if name.startswith("option") and name != "options" and "_" in name:
        index, _sep, code = name[len("option"):].partition("_")
        if index.isdigit() and int(index) < len(form.options.entries):
            entry = form.options.entries[int(index)].form
            entry[f"label_{code}"].errors = [error.message]
            return
    if name == "options":
        form.options_errors.append(error.message)
        return
    if name in ("condition_question_id", "condition_option_ids"):
        error.field = "condition_option_ids"
    show_domain_error(form, error)


def _question_page(survey: Survey, question: SurveyQuestion | None,
                   form: QuestionForm) -> ResponseReturnValue:
    return render_template(
        "surveys/question.html", survey=survey, question=question, form=form,
        kind=form.kind.data if form.kind.data in QUESTION_KINDS else "single",
        choice_kinds=CHOICE_KINDS, groups=_condition_groups(survey, question),
        chosen_conditions=set(form.condition_option_ids.data or []),
        has_opened=survey.has_opened,
    )


def _save_question(survey: Survey, question: SurveyQuestion | None
                   ) -> ResponseReturnValue:
    form = QuestionForm()
    form.kind.choices = list(KIND_LABELS.items())
    if request.method == "GET":
        if question is not None:
            _load_question(form, question)
        else:
            kind = request.args.get("kind", "")
            form.kind.data = kind if kind in QUESTION_KINDS else "single"
            form.required.data = not survey.has_opened
    elif form.validate_on_submit():
        if request.form.get("action") == "more_options":
            for _row in range(BLANK_OPTION_ROWS):
                form.options.append_entry()
            return _question_page(survey, question, form)
        try:
            service.save_question(current_user, survey, _question_spec(form, survey), question)
        except DomainError as error:
            _show_question_error(form, error)
        else:
            flash(_("The question is saved."), "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id) + "#questions")
    if form.kind.data in CHOICE_KINDS:
        blanks = sum(1 for entry in form.options.entries
                     if not any(entry.form[f"label_{c}"].data for c in SUPPORTED_LOCALES))
        for _row in range(max(BLANK_OPTION_ROWS - blanks, 0)):
            form.options.append_entry()
    return _question_page(survey, question, form)


@bp.route("/<int:survey_id>/questions/new", methods=["GET", "POST"])
@login_required
def add_question(survey_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    return _save_question(survey, None)


@bp.route("/<int:survey_id>/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(survey_id: int, question_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    return _save_question(survey, service.get_question(survey, question_id))


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/<int:survey_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(survey_id: int, question_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    question = service.get_question(survey, question_id)
    _confirmed()
    try:
        service.delete_question(current_user, question)
        flash(_("The question is deleted."), "info")
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("surveys.edit", survey_id=survey.id) + "#questions")


@bp.post("/<int:survey_id>/questions/<int:question_id>/move")
@login_required
def move_question(survey_id: int, question_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    question = service.get_question(survey, question_id)
    _confirmed()
    try:
        service.move_question(current_user, question,
                              -1 if request.form.get("direction") == "up" else 1)
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("surveys.edit", survey_id=survey.id) + "#questions")


@bp.post("/<int:survey_id>/open")
@login_required
def open_survey(survey_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    _confirmed()
    try:
        service.open_survey(current_user, survey)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The survey is open.") if service.is_live(survey)
              else _("The survey is open and starts at its opening date."), "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.post("/<int:survey_id>/close")
@login_required
def close_survey(survey_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    _confirmed()
    try:
        service.close_survey(current_user, survey)
        flash(_("The survey is closed."), "info")
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.post("/<int:survey_id>/delete")
@login_required
def delete(survey_id: int) -> ResponseReturnValue:
    survey = _managed_survey(survey_id)
    _confirmed()
    try:
        service.delete_survey(current_user, survey)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("surveys.edit", survey_id=survey.id))
    flash(_("The draft is deleted."), "info")
    return redirect(url_for("surveys.manage"))


@bp.route("/<int:survey_id>/preview", methods=["GET", "POST"])
@login_required
def preview(survey_id: int) -> ResponseReturnValue:
    """The answer page as a member would see it in a language; answers sent from it are
    checked like real ones and never saved."""
    survey = _managed_survey(survey_id)
    language = request.args.get("language", "")
    if language not in SUPPORTED_LOCALES:
        language = current_locale()
    values: MultiDict = MultiDict()
    errors: dict[str, Any] = {}
    checked = False
    if request.method == "POST":
        _confirmed()
        values = request.form
        try:
            service.clean_answers(survey, _raw_answers(survey, request.form))
        except AnswersInvalid as error:
            errors = error.errors
        checked = True
    action = url_for("surveys.preview", survey_id=survey.id, language=language)
    with force_locale(language):
        form = _answer_form(survey, values, errors, action=action, preview=True)
        passed = Markup('<p class="flash flash-success" role="status">{}</p>').format(
            _("These answers would be accepted. Nothing was saved.")
        ) if checked and not errors else Markup()
    return render_template("surveys/preview.html", survey=survey, form=form, passed=passed,
                           language=language)

"""Results pages on the surveys blueprint: the results with filters, typed answers (staff),
the CSV and XLSX downloads (staff), and publishing the results to those who answered."""

from __future__ import annotations

import tempfile
from typing import IO

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.accounts.permissions import can
from diaspora.errors import DomainError
from diaspora.forms import ConfirmForm
from diaspora.i18n import localized
from diaspora.main.templating import current_locale
from diaspora.surveys import export, results, service
from diaspora.surveys.charts import Bar, bar_chart
from diaspora.surveys.models import TEXT_KINDS, Survey
from diaspora.surveys.views import bp


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _chart(result: results.QuestionResult) -> str:
    bars = [Bar(cell.label, cell.count, cell.shown, cell.shown_percent)
            for cell in result.cells]
    return bar_chart(bars, result.prompt) if bars else ""


@bp.get("/<int:survey_id>/results")
@login_required
def results_page(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    _refuse_unless(can(current_user, "surveys.view_results", survey))
    locale = current_locale()
    filters = results.parse_filters(request.args)
    choices = results.filter_choices(survey, locale)
    view = results.results(survey, filters, locale, choices)
    return render_template(
        "surveys/results.html", survey=survey, view=view, filters=filters,
        choices=choices, chart=_chart,
        title=localized(survey.title, locale), form=ConfirmForm(),
        min_cell=results.MIN_CELL,
    )


@bp.get("/<int:survey_id>/results/questions/<int:question_id>/answers")
@login_required
def text_answers(survey_id: int, question_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    _refuse_unless(can(current_user, "surveys.read_text_answers", survey))
    question = service.get_question(survey, question_id)
    if question.kind not in TEXT_KINDS:
        abort(404)
    page = request.args.get("page", 1, type=int)
    pagination = results.text_answers(question, page if 0 < page < 10**6 else 1)
    return render_template("surveys/results_text.html", survey=survey, question=question,
                           pagination=pagination,
                           prompt=localized(question.prompt, current_locale()),
                           title=localized(survey.title, current_locale()))


SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _filename(survey: Survey, extension: str) -> str:
    return f"survey-{survey.id}-responses.{extension}"


@bp.get("/<int:survey_id>/results.csv")
@login_required
def results_csv(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    _refuse_unless(can(current_user, "surveys.manage", survey))
    # Written to a temporary file (on disk past a few MB), then sent from it: a large survey
    # neither fills memory nor holds a database session open while the file downloads.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    for chunk in export.csv_chunks(survey, current_locale()):
        spool.write(chunk)
    return _attachment(spool, _filename(survey, "csv"), "text/csv; charset=utf-8")


@bp.get("/<int:survey_id>/results.xlsx")
@login_required
def results_xlsx(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    _refuse_unless(can(current_user, "surveys.manage", survey))
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    export.write_xlsx(survey, current_locale(), spool)
    return _attachment(spool, _filename(survey, "xlsx"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _attachment(spool: IO[bytes], name: str, mimetype: str) -> Response:
    spool.seek(0)
    response = send_file(spool, mimetype=mimetype, as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:survey_id>/results/publish")
@login_required
def publish_results(survey_id: int) -> ResponseReturnValue:
    survey = service.get_survey(survey_id)
    _refuse_unless(can(current_user, "surveys.manage", survey))
    if ConfirmForm().validate_on_submit():
        publish = request.form.get("publish") == "1"
        try:
            service.set_results_published(current_user, survey, publish)
            flash(_("The results are published: those who answered can read them.") if publish
                  else _("The results are no longer published."), "success")
        except DomainError as error:
            flash(str(error.message), "error")
    return redirect(url_for("surveys.results_page", survey_id=survey.id))

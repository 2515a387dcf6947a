"""Staff downloads of a survey's responses: CSV (UTF-8 with a byte order mark, so spreadsheet
programs read Kyrgyz letters right) and XLSX (openpyxl).

One row per response, one column per question, in the requested language; a multiple choice
answer is its chosen options' labels joined with "; " in the question's order.

Anonymity: an anonymous survey's file carries nothing that identifies a member or a
response: no member id, no response id, no date, and rows in random order (not the order
answers came in). A named survey's file carries the member id and the day of the response.

Small groups: the country, home region and return plan columns (the results' filters) and
the place and country answers show "<5" for a value fewer than 5 respondents share, and the
three filter columns together never single out fewer than 5 rows (a rarer combination keeps
only its country, or nothing).

Cells starting with = + - @ (or a tab or carriage return) get a leading apostrophe, so a
spreadsheet shows the text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import String, case, cast, func, literal, select

from diaspora.accounts.choices import RETURN_PLANS
from diaspora.extensions import db
from diaspora.i18n import localized
from diaspora.places.countries import country_name
from diaspora.places.models import Place
from diaspora.surveys.models import (
    COUNTRY,
    MULTIPLE,
    NUMBER,
    PLACE,
    SCALE,
    SINGLE,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyResultCount,
)
from diaspora.surveys.results import MIN_CELL, SUPPRESSED

BOM = "\ufeff"
# Control characters an XLSX file cannot hold (openpyxl refuses them): dropped from text.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _responses(survey: Survey) -> Any:
    """The responses in random order, with the filter columns generalised (SQL windows)."""
    r = SurveyResponse
    country, region, plan = r.country_code, r.home_region_id, r.return_plan
    first = select(
        r.id.label("id"), r.user_id.label("user_id"), r.submitted_on.label("day"),
        country.label("country"), region.label("region"), plan.label("plan"),
        func.count().over(partition_by=country).label("n_country"),
        func.count().over(partition_by=region).label("n_region"),
        func.count().over(partition_by=plan).label("n_plan"),
    ).where(r.survey_id == survey.id).subquery()
    rare = literal(SUPPRESSED)
    general = select(
        first.c.id, first.c.user_id, first.c.day,
        case((first.c.country.is_(None), literal("")), (first.c.n_country >= MIN_CELL,
             first.c.country), else_=rare).label("country"),
        case((first.c.region.is_(None), literal("")), (first.c.n_region >= MIN_CELL,
             cast(first.c.region, String)), else_=rare).label("region"),
        case((first.c.plan.is_(None), literal("")), (first.c.n_plan >= MIN_CELL,
             first.c.plan), else_=rare).label("plan"),
    ).subquery()
    combined = select(
        general, func.count().over(partition_by=[general.c.country, general.c.region,
                                                 general.c.plan]).label("n_all"),
        func.count().over(partition_by=general.c.country).label("n_general_country"),
    ).subquery()
    together = combined.c.n_all >= MIN_CELL
    country_ok = combined.c.n_general_country >= MIN_CELL
    return select(
        combined.c.id, combined.c.user_id, combined.c.day,
        case((together | country_ok, combined.c.country), else_=rare),
        case((together, combined.c.region), else_=rare),
        case((together, combined.c.plan), else_=rare),
    ).order_by(func.random())


def _rare_values(survey: Survey) -> set[tuple[int, str]]:
    """(question, place id or country code) answered by 1 to 4 respondents."""
    ids = [q.id for q in survey.questions if q.kind in (PLACE, COUNTRY)]
    c = SurveyResultCount
    total = func.sum(c.respondents)
    rows = db.session.execute(
        select(c.question_id, c.cell).where(c.survey_id == survey.id,
                                            c.question_id.in_(ids or [-1]), c.cell != "")
        .group_by(c.question_id, c.cell).having(total > 0, total < MIN_CELL)
    ).all()
    return {(qid, cell) for qid, cell in rows}


class _Labels:
    def __init__(self, survey: Survey, locale: str) -> None:
        self.locale = locale
        self.options = {o.id: localized(o.label, locale).text
                        for q in survey.questions for o in q.options}
        self.places: dict[int, str] = {}

    def place(self, place_id: int | None) -> str:
        if place_id is None:
            return ""
        if place_id not in self.places:
            place = db.session.get(Place, place_id)
            self.places[place_id] = place.full_name(self.locale) if place else ""
        return self.places[place_id]


def header(survey: Survey, locale: str) -> list[str]:
    columns = [] if survey.anonymous else [_("Member id"), _("Day")]
    columns += [_("Country of residence"), _("Home region"), _("Plans to return")]
    for number, question in enumerate(survey.questions, start=1):
        columns.append(f"{number}. {localized(question.prompt, locale).text}")
    return [guard(column) for column in columns]


def rows(survey: Survey, locale: str) -> Iterator[list[Any]]:
    """The file's rows after the header, one per response."""
    labels = _Labels(survey, locale)
    rare = _rare_values(survey)
    questions: list[SurveyQuestion] = list(survey.questions)
    order = {question.id: index for index, question in enumerate(questions)}
    kinds = {question.id: question.kind for question in questions}
    option_order = {o.id: i for q in questions for i, o in enumerate(q.options)}
    plans = {key: str(label) for key, label in RETURN_PLANS.items()}
    result = db.session.execute(_responses(survey))
    while True:
        batch = result.fetchmany(CHUNK)
        if not batch:
            return
        answers: dict[int, dict[int, list[SurveyAnswer]]] = {}
        for answer in db.session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.response_id.in_([b[0] for b in batch]))
        ):
            answers.setdefault(answer.response_id, {}).setdefault(answer.question_id,
                                                                  []).append(answer)
        for response_id, user_id, day, country, region, plan in batch:
            row: list[Any] = [] if survey.anonymous else [user_id or "",
                                                          day.date().isoformat()]
            row += [
                country_name(country, locale) if country not in ("", SUPPRESSED) else country,
                labels.place(int(region)) if region not in ("", SUPPRESSED) else region,
                plans.get(plan, plan),
            ]
            cells: list[Any] = [""] * len(questions)
            for qid, given in answers.get(response_id, {}).items():
                if qid in order:
                    cells[order[qid]] = _value(kinds[qid], qid, given, labels, rare,
                                               option_order, locale)
            yield [guard(value) for value in row + cells]


def _value(kind: str, qid: int, given: list[SurveyAnswer], labels: _Labels,
           rare: set[tuple[int, str]], option_order: dict[int, int], locale: str) -> Any:
    answer = given[0]
    if kind == MULTIPLE:
        chosen = sorted((a.option_id for a in given), key=lambda o: option_order.get(o, 0))
        return "; ".join(labels.options.get(o, "") for o in chosen)
    if kind == SINGLE:
        return labels.options.get(answer.option_id, "")
    if kind in (SCALE, NUMBER):
        return answer.number_value
    if kind == PLACE:
        if (qid, str(answer.place_id)) in rare:
            return SUPPRESSED
        return labels.place(answer.place_id)
    if kind == COUNTRY:
        if (qid, answer.country_code) in rare:
            return SUPPRESSED
        return country_name(answer.country_code, locale)
    return ILLEGAL_CHARACTERS_RE.sub("", answer.text_value or "")


def csv_chunks(survey: Survey, locale: str) -> Iterator[bytes]:
    """The CSV file in pieces (a large survey streams), the first starting with the BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(survey, locale))
    yield BOM.encode("utf-8") + _flush(buffer)
    for index, row in enumerate(rows(survey, locale), start=1):
        writer.writerow(row)
        if index % CHUNK == 0:
            yield _flush(buffer)
    tail = _flush(buffer)
    if tail:
        yield tail


def _flush(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate(0)
    return data


def write_xlsx(survey: Survey, locale: str, output: IO[bytes]) -> None:
    """The XLSX file (one sheet, written row by row: openpyxl's write-only mode)."""
    from openpyxl import Workbook  # only staff downloads need it: not loaded by the bot

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Responses")[:31])
    sheet.append(header(survey, locale))
    for row in rows(survey, locale):
        sheet.append(row)
    workbook.save(output)

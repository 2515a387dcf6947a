"""Helpers of the results tests: respondents with chosen filter facts, and an attacker who
reads every view and solves the numbers shown as linear equations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from itertools import product
from typing import Any

import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.places.models import Place
from diaspora.surveys import results, service
from diaspora.surveys.models import Survey, SurveyAnswer, SurveyResponse
from diaspora.surveys.results import Filters
from tests.surveys.conftest import answers_for

SMALL = 5  # what the issue calls a small group (not read from the code under test)


def districts(count: int) -> list[Place]:
    """One district in each of `count` regions."""
    regions = db.session.scalars(sa.select(Place).where(Place.level == 1)
                                 .order_by(Place.code)).all()
    found = []
    for region in regions:
        district = db.session.scalar(sa.select(Place).where(
            Place.level == 2, Place.region_id == region.id).order_by(Place.code).limit(1))
        if district is not None:
            found.append(district)
        if len(found) == count:
            break
    assert len(found) == count
    return found


def respond(make_user: Callable[..., User], survey: Survey, *, home: Place,
            country: str = "RU", plan: str | None = None, sends: int = 0,
            scale: int = 4, number: str = "15 000", **changes: Any) -> None:
    """One member with these facts answers `survey` (from tests.surveys.conftest), with the
    usual answers changed by `changes` (question index -> raw answer)."""
    member = make_user(home=home, country=country)
    member.profile.return_plan = plan
    db.session.commit()
    raw = answers_for(survey, home, sends=sends)
    q = survey.questions
    raw[q[2].id] = str(scale)
    raw[q[3].id] = number
    for index, value in changes.items():
        raw[q[int(index.lstrip("q"))].id] = value
    service.submit_response(member, survey, raw)


# -- the attacker ------------------------------------------------------------------------------


def every_view(survey: Survey) -> list[Filters]:
    """Every combination of filter values present in the responses (and none), including
    the values the filter form does not offer: an attacker edits the URL."""
    rows = db.session.execute(sa.select(SurveyResponse.country_code,
                                        SurveyResponse.home_region_id,
                                        SurveyResponse.return_plan)
                              .where(SurveyResponse.survey_id == survey.id)).all()
    countries = {None, *(r[0] for r in rows if r[0])}
    regions = {None, *(r[1] for r in rows if r[1])}
    plans = {None, *(r[2] for r in rows if r[2])}
    return [Filters(c, r, p) for c, r, p in product(countries, regions, plans)]


def _atom_of(row: Any) -> tuple:
    return (row.country_code or "", row.home_region_id or 0, row.return_plan or "")


def _in_view(atom: tuple, view: Filters) -> bool:
    country, region, plan = atom
    return ((view.country is None or view.country == country)
            and (view.region is None or view.region == region)
            and (view.plan is None or view.plan == plan))


class Attacker:
    """Reads every view of a survey's results (as a member would) and treats each number
    shown as a linear equation over the unknown counts of the finest groups (country x home
    region x return plan). It also knows how a question adds up: every respondent has one
    answer to a single choice (or scale, number, place, country) question, and a required
    question without a condition is answered by everyone. A count is *disclosed* when the
    equations determine it."""

    def __init__(self, survey: Survey, locale: str = "en") -> None:
        self.survey = survey
        responses = db.session.scalars(sa.select(SurveyResponse)
                                       .where(SurveyResponse.survey_id == survey.id)).all()
        self.atoms = sorted({_atom_of(r) for r in responses}, key=str)
        self.base = {atom: 0 for atom in self.atoms}
        for response in responses:
            self.base[_atom_of(response)] += 1
        self.views = [(view, results.results(survey, view, locale))
                      for view in every_view(survey)]

    def truth(self, question_index: int) -> dict[tuple[tuple, str], int]:
        """The true count of each (group, cell label) and (group, "answered")."""
        question = self.survey.questions[question_index]
        rows = db.session.execute(
            sa.select(SurveyResponse.country_code, SurveyResponse.home_region_id,
                      SurveyResponse.return_plan, SurveyAnswer.option_id,
                      SurveyAnswer.number_value)
            .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyAnswer.question_id == question.id)).all()
        counts: dict[tuple[tuple, str], int] = {}
        labels = {o.id: o.label["en"] for o in question.options}
        seen: dict[tuple, int] = {}
        for row in rows:
            atom = (row[0] or "", row[1] or 0, row[2] or "")
            label = labels.get(row[3]) if row[3] is not None else str(row[4])
            counts[(atom, label)] = counts.get((atom, label), 0) + 1
            seen[atom] = seen.get(atom, 0) + 1
        for atom, n in seen.items():
            counts[(atom, "answered")] = n
        return counts

    def disclosed(self, question_index: int) -> list[str]:
        """The small counts (1 to 4) of the question the shown numbers determine, and every
        count of a group of 1 to 4 respondents."""
        question = self.survey.questions[question_index]
        labels = [o.label["en"] for o in question.options] or None
        shown: list[tuple[Filters, str, int]] = []
        for view, result in self.views:
            if result.refused:
                continue
            found = next(r for r in result.questions if r.question.id == question.id)
            if found.answered is not None:
                shown.append((view, "answered", found.answered))
            for cell in found.cells:
                if cell.count is not None:
                    shown.append((view, cell.label, cell.count))
            shown.append((view, "base", result.respondents))
        truth = self.truth(question_index)
        cells = sorted({label for _v, label, _n in shown} | set(labels or [])
                       | {cell for _atom, cell in truth} | {"answered", "base"})
        unknowns = {(atom, cell): i for i, (atom, cell) in
                    enumerate(product(self.atoms, cells))}
        equations: list[dict[int, Fraction]] = []
        values: list[Fraction] = []
        for view, label, n in shown:
            row = {unknowns[(atom, label)]: Fraction(1) for atom in self.atoms
                   if _in_view(atom, view)}
            equations.append(row)
            values.append(Fraction(n))
        additive = question.kind in ("single", "scale", "number", "place", "country")
        for atom in self.atoms:
            if additive:
                row = {unknowns[(atom, c)]: Fraction(1) for c in cells
                       if c not in ("answered", "base")}
                row[unknowns[(atom, "answered")]] = Fraction(-1)
                equations.append(row)
                values.append(Fraction(0))
            if question.required and not question.has_condition:
                equations.append({unknowns[(atom, "answered")]: Fraction(1),
                                  unknowns[(atom, "base")]: Fraction(-1)})
                values.append(Fraction(0))
        solved = _Solver(equations, values)
        found = []
        for (atom, cell), index in unknowns.items():
            if cell == "base":
                value = self.base[atom]
            else:
                value = truth.get((atom, cell), 0)
            small_group = 0 < self.base[atom] < SMALL
            if not (small_group or 0 < value < SMALL):
                continue
            determined = solved.value_of({index: Fraction(1)})
            if determined is not None:
                assert determined == value, (atom, cell, determined, value)
                found.append(f"{atom} {cell} = {value} (group of {self.base[atom]})")
        return found


class _Solver:
    """Gaussian elimination over fractions: which linear forms the equations determine."""

    def __init__(self, equations: Iterable[dict[int, Fraction]],
                 values: Iterable[Fraction]) -> None:
        self.rows: list[tuple[int, dict[int, Fraction], Fraction]] = []  # (pivot, row, value)
        for equation, value in zip(equations, values, strict=True):
            self._add(dict(equation), value)

    def _reduce(self, row: dict[int, Fraction], value: Fraction
                ) -> tuple[dict[int, Fraction], Fraction]:
        for pivot, pivot_row, pivot_value in self.rows:
            factor = row.get(pivot)
            if factor:
                for column, coefficient in pivot_row.items():
                    new = row.get(column, Fraction(0)) - factor * coefficient
                    if new:
                        row[column] = new
                    else:
                        row.pop(column, None)
                value -= factor * pivot_value
        return row, value

    def _add(self, row: dict[int, Fraction], value: Fraction) -> None:
        row, value = self._reduce(row, value)
        if not row:
            return
        pivot = min(row)
        scale = row[pivot]
        row = {c: v / scale for c, v in row.items()}
        value /= scale
        # Keep the rows fully reduced: eliminate the new pivot from the others.
        for i, (other_pivot, other_row, other_value) in enumerate(self.rows):
            factor = other_row.get(pivot)
            if factor:
                for column, coefficient in row.items():
                    new = other_row.get(column, Fraction(0)) - factor * coefficient
                    if new:
                        other_row[column] = new
                    else:
                        other_row.pop(column, None)
                self.rows[i] = (other_pivot, other_row, other_value - factor * value)
        self.rows.append((pivot, row, value))

    def value_of(self, form: dict[int, Fraction]) -> Fraction | None:
        row, value = self._reduce(dict(form), Fraction(0))
        return -value if not row else None

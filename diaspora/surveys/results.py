"""Survey results: counts, percentages, medians and distributions, by filter, with small
cells suppressed so that nobody can be singled out.

Everything is added up by SQL `GROUP BY` over `survey_result_counts` (the counts kept on
submit, one row per question, answer and filter group; see models.SurveyResultCount). Python
only sees those sums, never answers.

Privacy rules (MIN_CELL = 5), for every view, filtered or not, and for every role:

1. **Filter values.** A country, home region or return plan is offered as a filter only when
   at least 5 responses have it, and the values not offered (plus "not stated") together are
   0 or at least 5 responses (otherwise the smallest offered value joins them), so that the
   whole minus the offered values never isolates a small group.
2. **The view.** A view is refused, with the reason, when it or any group an attacker gets by
   comparing it with wider views (drop any of its filters: inclusion-exclusion over its
   filters, e.g. all - country - region + country&region) holds 1 to 4 responses.
3. **Cells.** A cell (an option, a scale value, a range of numbers, a place, a country, or
   "answered this question") is shown as "<5" when, in this view or in any of those
   differences, it counts 1 to 4 respondents (primary suppression).
4. **Siblings.** For each filter of the view, the views that differ only in that filter's
   value add up to the wider view: along each filter, the hidden cells (and the values not
   offered) together must be 0 or at least 5, else the smallest shown sibling is hidden too,
   the same way from every sibling's side.
5. **Within a question** whose cells add up to its "answered" total (every kind but multiple
   choice), hidden cells together must be 0 or at least 5 in every group of rule 2, else the
   next smallest cell is hidden too (secondary suppression), so "total minus the others"
   gives nothing away. Percentages are of the shown total; a hidden total hides them all.

Hidden cells all read "<5" (whether small or hidden to protect a small one), so their marks
do not tell which is which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from diaspora.accounts.choices import RETURN_PLANS
from diaspora.extensions import db
from diaspora.i18n import localized
from diaspora.places.countries import country_name
from diaspora.places.models import LEVEL_REGION, Place
from diaspora.surveys.models import (
    ANSWERED_CELL,
    BASE_QUESTION,
    CHOICE_KINDS,
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
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyResultCount,
)

MIN_CELL = 5
SUPPRESSED = "<5"
NUMBER_CELL, SCALE_CELL = "#", "s"
TEXT_PAGE_SIZE = 20
REST = "~"  # the group of filter values not offered (and "not stated")

# The filters: name in the query string -> column of the counts and its "not stated" value.
COUNTRY_FILTER, REGION_FILTER, PLAN_FILTER = "country", "region", "plan"
FILTERS = (COUNTRY_FILTER, REGION_FILTER, PLAN_FILTER)
_COLUMNS = {
    COUNTRY_FILTER: (SurveyResultCount.country_code, ""),
    REGION_FILTER: (SurveyResultCount.home_region_id, 0),
    PLAN_FILTER: (SurveyResultCount.return_plan, ""),
}
ADDITIVE_KINDS = (SINGLE, SCALE, NUMBER, PLACE, COUNTRY)
TEXT_KINDS = (SHORT_TEXT, LONG_TEXT)

# Numbers are shown as a median and a distribution over ranges of magnitude: 0, 1-9,
# 10-99, ... (negative numbers in one range). Computed in SQL from the counts.
_DECADES = 19


# -- keeping the counts ------------------------------------------------------------------------


def _key_of(question: SurveyQuestion, value: Any) -> list[tuple[str, int]]:
    """The (cell, number) pairs one clean answer adds to."""
    if question.kind == MULTIPLE:
        return [(str(option_id), 0) for option_id in value]
    if question.kind == SINGLE:
        return [(str(value), 0)]
    if question.kind == SCALE:
        return [(SCALE_CELL, int(value))]
    if question.kind == NUMBER:
        return [(NUMBER_CELL, int(value))]
    if question.kind in (PLACE, COUNTRY):
        return [(str(value), 0)]
    return []  # typed text: only "answered" is counted


def count_response(survey: Survey, clean: Mapping[int, Any], facts: Mapping[str, Any],
                   *, sign: int = 1) -> None:
    """Add one response (its clean answers and its filter facts) to the survey's counts, in
    the caller's transaction. `sign=-1` takes it away (erasure)."""
    group = {"country_code": facts.get("country_code") or "",
             "home_region_id": facts.get("home_region_id") or 0,
             "return_plan": facts.get("return_plan") or ""}
    keys = [(BASE_QUESTION, ANSWERED_CELL, 0)]
    for question in survey.questions:
        value = clean.get(question.id)
        if value is None:
            continue
        keys.append((question.id, ANSWERED_CELL, 0))
        keys.extend((question.id, cell, number) for cell, number in _key_of(question, value))
    _add_counts(survey.id, sorted(set(keys)), group, sign)


def _add_counts(survey_id: int, keys: Sequence[tuple[int, str, int]],
                group: Mapping[str, Any], sign: int) -> None:
    # Keys in one order in every transaction: two submissions lock the shared rows (the
    # base, popular options) in the same order, so they wait for each other, never deadlock.
    rows = [{"survey_id": survey_id, "question_id": qid, "cell": cell, "number": number,
             **group, "respondents": sign} for qid, cell, number in keys]
    table = SurveyResultCount.__table__
    dialect = db.session.get_bind().dialect.name
    if sign < 0:
        for row in rows:
            db.session.execute(
                table.update().where(*(table.c[name] == row[name] for name in _PK))
                .values(respondents=table.c.respondents - 1)
            )
        return
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=list(_PK),
        set_={"respondents": table.c.respondents + statement.excluded.respondents},
    )
    db.session.execute(statement)


_PK = ("survey_id", "question_id", "cell", "number", "country_code", "home_region_id",
       "return_plan")


def uncount_responses(responses: Iterable[SurveyResponse]) -> None:
    """Take responses out of the counts before they are deleted (erasure of named answers)."""
    for response in responses:
        survey = db.session.get(Survey, response.survey_id)
        by_question: dict[int, Any] = {}
        kinds = {q.id: q for q in survey.questions}
        for answer in response.answers:
            question = kinds.get(answer.question_id)
            if question is None:
                continue
            if question.kind == MULTIPLE:
                by_question.setdefault(question.id, []).append(answer.option_id)
            elif question.kind == SINGLE:
                by_question[question.id] = answer.option_id
            elif question.kind in (SCALE, NUMBER):
                by_question[question.id] = answer.number_value
            elif question.kind == PLACE:
                by_question[question.id] = answer.place_id
            elif question.kind == COUNTRY:
                by_question[question.id] = answer.country_code
            else:
                by_question[question.id] = answer.text_value
        count_response(survey, by_question,
                       {"country_code": response.country_code,
                        "home_region_id": response.home_region_id,
                        "return_plan": response.return_plan}, sign=-1)


def rebuild_counts(survey: Survey) -> int:
    """Recompute a survey's counts from its answers, set-based (three INSERT ... SELECT
    ... GROUP BY). Returns the number of count rows."""
    table = SurveyResultCount.__table__
    db.session.execute(delete(table).where(table.c.survey_id == survey.id))
    r, a = SurveyResponse, SurveyAnswer
    group = [func.coalesce(r.country_code, ""), func.coalesce(r.home_region_id, 0),
             func.coalesce(r.return_plan, "")]
    names = ["survey_id", "question_id", "cell", "number", "country_code", "home_region_id",
             "return_plan", "respondents"]
    base = (select(literal(survey.id), literal(BASE_QUESTION), literal(ANSWERED_CELL),
                   literal(0), *group, func.count())
            .where(r.survey_id == survey.id).group_by(*group))
    answered = (select(literal(survey.id), a.question_id, literal(ANSWERED_CELL), literal(0),
                       *group, func.count(func.distinct(a.response_id)))
                .join(r, r.id == a.response_id).where(r.survey_id == survey.id)
                .group_by(a.question_id, *group))
    kinds = {q.id: q.kind for q in survey.questions}
    number_ids = [qid for qid, kind in kinds.items() if kind == NUMBER]
    scale_ids = [qid for qid, kind in kinds.items() if kind == SCALE]
    cell = case(
        (a.option_id.is_not(None), cast(a.option_id, String)),
        (a.place_id.is_not(None), cast(a.place_id, String)),
        (a.country_code.is_not(None), a.country_code),
        (a.question_id.in_(number_ids or [-1]), literal(NUMBER_CELL)),
        else_=literal(SCALE_CELL),
    )
    number = case((a.question_id.in_([*number_ids, *scale_ids] or [-1]), a.number_value),
                  else_=literal(0))
    cells = (select(literal(survey.id), a.question_id, cell, number, *group, func.count())
             .join(r, r.id == a.response_id)
             .where(r.survey_id == survey.id, a.text_value.is_(None))
             .group_by(a.question_id, cell, number, *group))
    for query in (base, answered, cells):
        db.session.execute(table.insert().from_select(names, query))
    return db.session.scalar(select(func.count()).select_from(table)
                             .where(table.c.survey_id == survey.id)) or 0


# -- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    country: str | None = None
    region: int | None = None
    plan: str | None = None

    def items(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in FILTERS
                if getattr(self, name) not in (None, "")]

    def __bool__(self) -> bool:
        return bool(self.items())

    def query_args(self) -> dict[str, Any]:
        return dict(self.items())


def parse_filters(args: Mapping[str, Any]) -> Filters:
    """Filters from a query string; anything that is not a possible value is ignored (the
    form only offers allowed values; a hand-made URL gets the unfiltered view)."""
    country = str(args.get(COUNTRY_FILTER) or "").strip().upper()
    region_text = str(args.get(REGION_FILTER) or "").strip()
    plan = str(args.get(PLAN_FILTER) or "").strip()
    region = int(region_text) if region_text.isdigit() and len(region_text) < 10 else None
    return Filters(country=country if len(country) == 2 and country.isascii()
                   and country.isalpha() else None,
                   region=region,
                   plan=plan if plan in RETURN_PLANS else None)


@dataclass
class FilterChoices:
    """The values each filter offers (rule 1), with their labels in the reader's language."""

    countries: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[int, str]] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)

    def allowed(self, name: str) -> set[Any]:
        values = {COUNTRY_FILTER: self.countries, REGION_FILTER: self.regions,
                  PLAN_FILTER: self.plans}[name]
        return {value for value, _label in values}


def _allowed_values(survey: Survey, name: str) -> list[Any]:
    column, unknown = _COLUMNS[name]
    rows = db.session.execute(
        select(column, func.sum(SurveyResultCount.respondents))
        .where(SurveyResultCount.survey_id == survey.id,
               SurveyResultCount.question_id == BASE_QUESTION)
        .group_by(column)
    ).all()
    counts = {value: int(n) for value, n in rows if int(n) > 0}
    allowed = {value: n for value, n in counts.items() if value != unknown and n >= MIN_CELL}
    rest = sum(counts.values()) - sum(allowed.values())
    # The rest (values not offered and "not stated") is 0 or at least 5, or whole minus
    # offered values would single it out.
    while 0 < rest < MIN_CELL and allowed:
        smallest = min(allowed, key=lambda value: (allowed[value], str(value)))
        rest += allowed.pop(smallest)
    return sorted(allowed, key=str)


def filter_choices(survey: Survey, locale: str) -> FilterChoices:
    countries = [(code, country_name(code, locale))
                 for code in _allowed_values(survey, COUNTRY_FILTER)]
    region_ids = _allowed_values(survey, REGION_FILTER)
    regions = [(place.id, place.display_name(locale)) for place in db.session.scalars(
        select(Place).where(Place.id.in_(region_ids or [-1]), Place.level == LEVEL_REGION))]
    allowed_plans = set(_allowed_values(survey, PLAN_FILTER))
    plans = [(key, str(label)) for key, label in RETURN_PLANS.items() if key in allowed_plans]
    return FilterChoices(sorted(countries, key=lambda c: c[1]),
                         sorted(regions, key=lambda r: r[1]), plans)


# -- reading a view ----------------------------------------------------------------------------

Key = tuple[int, str, int]  # (question id, cell, bucket)


def _bucket() -> Any:
    """The bucket of a count row: the value of a scale, the range of a number, else 0."""
    n = SurveyResultCount.number
    ranges = [(n < 0, literal(-1)), (n == 0, literal(0))]
    ranges += [(n < 10**power, literal(power)) for power in range(1, _DECADES)]
    number_range = case(*ranges, else_=literal(_DECADES))
    return case((SurveyResultCount.cell == NUMBER_CELL, number_range),
                (SurveyResultCount.cell == SCALE_CELL, n), else_=literal(0))


def _flag(name: str, value: Any) -> Any:
    column, _unknown = _COLUMNS[name]
    return case((column == value, literal(1)), else_=literal(0))


def _atoms(survey: Survey, conditions: list[tuple[str, Any]]
           ) -> dict[Key, dict[tuple[int, ...], int]]:
    """Counts of every key in every group "in or out of each filter" (rule 2): one GROUP BY.
    The group (1, 1, ...) is the view itself."""
    bucket = _bucket()
    flags = [_flag(name, value).label(f"f{i}") for i, (name, value) in enumerate(conditions)]
    rows = db.session.execute(
        select(SurveyResultCount.question_id, SurveyResultCount.cell, bucket.label("b"),
               *flags, func.sum(SurveyResultCount.respondents))
        .where(SurveyResultCount.survey_id == survey.id)
        .group_by(SurveyResultCount.question_id, SurveyResultCount.cell, bucket, *flags)
    ).all()
    atoms: dict[Key, dict[tuple[int, ...], int]] = defaultdict(dict)
    for row in rows:
        qid, cell, b, *flag_values, n = row
        atoms[(qid, cell, int(b))][tuple(int(f) for f in flag_values)] = int(n)
    return atoms


def _siblings(survey: Survey, conditions: list[tuple[str, Any]], index: int,
              allowed: set[Any]) -> dict[Key, dict[Any, int]]:
    """Counts of every key along one filter (its offered values, and REST for the others),
    the other filters fixed: the sibling views of rule 4."""
    name, _value = conditions[index]
    column, _unknown = _COLUMNS[name]
    others = [(_COLUMNS[n][0] == v) for i, (n, v) in enumerate(conditions) if i != index]
    bucket = _bucket()
    rows = db.session.execute(
        select(SurveyResultCount.question_id, SurveyResultCount.cell, bucket.label("b"),
               column, func.sum(SurveyResultCount.respondents))
        .where(SurveyResultCount.survey_id == survey.id, *others)
        .group_by(SurveyResultCount.question_id, SurveyResultCount.cell, bucket, column)
    ).all()
    table: dict[Key, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for qid, cell, b, value, n in rows:
        table[(qid, cell, int(b))][value if value in allowed else REST] += int(n)
    return table


def _small(n: int) -> bool:
    return 0 < n < MIN_CELL


def _sibling_hidden(counts: Mapping[Any, int], viewable: set[Any]) -> set[Any]:
    """Rule 4 on one key's sibling table: the values hidden along this filter."""
    hidden = {value for value, n in counts.items()
              if value == REST or value not in viewable or _small(n)}
    shown = sorted((n, str(value), value) for value, n in counts.items() if value not in hidden)
    total = sum(counts[value] for value in hidden)
    while _small(total) and shown:
        n, _label, value = shown.pop(0)
        hidden.add(value)
        total += n
    return hidden


def hidden_cells(counts: Mapping[Any, int]) -> set[Any]:
    """One table whose cells add up to a shown total (an insights table, insights/tables.py):
    the cells to show as "<5". Rules 3 and 5 on one table, by the same code as rule 4: the
    cells of 1 to 4 people, then the smallest others until the hidden ones together are 0 or
    at least 5, so "total minus the others" never gives a small cell away."""
    return _sibling_hidden(counts, {value for value in counts if value != REST})


@dataclass
class Cell:
    """One row of a question's table."""

    key: str
    label: str
    count: int | None  # None: hidden ("<5")
    percent: float | None = None

    @property
    def shown(self) -> str:
        return SUPPRESSED if self.count is None else format_decimal(self.count)

    @property
    def shown_percent(self) -> str:
        return "" if self.percent is None else format_percent(self.percent,
                                                                format="#,##0.0%")


@dataclass
class QuestionResult:
    question: SurveyQuestion
    prompt: str
    answered: int | None  # None: hidden
    cells: list[Cell] = field(default_factory=list)
    median: float | None = None
    low_label: str = ""
    high_label: str = ""

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def is_text(self) -> bool:
        return self.question.kind in TEXT_KINDS

    @property
    def shown_answered(self) -> str:
        return SUPPRESSED if self.answered is None else format_decimal(self.answered)

    @property
    def shown_median(self) -> str:
        return "" if self.median is None else format_decimal(self.median)


@dataclass
class Results:
    survey: Survey
    filters: Filters
    respondents: int | None = None  # responses in this view
    questions: list[QuestionResult] = field(default_factory=list)
    refused: str | None = None  # why the view is not shown

    @property
    def shown_respondents(self) -> str:
        return SUPPRESSED if self.respondents is None else format_decimal(self.respondents)


def _decade_label(bucket: int) -> str:
    if bucket < 0:
        return str(_l("below zero"))
    if bucket == 0:
        return "0"
    if bucket >= _DECADES:
        return f"≥ {format_decimal(10**(_DECADES - 1))}"
    return f"{format_decimal(10**(bucket - 1))}–{format_decimal(10**bucket - 1)}"


def results(survey: Survey, filters: Filters, locale: str,
            choices: FilterChoices | None = None) -> Results:
    """The results of `survey` for the view `filters`, small cells suppressed (see the module
    docstring). A refused view has `refused` set and no numbers. `choices`: the filter
    choices when the caller has them already."""
    view = Results(survey, filters)
    choices = choices or filter_choices(survey, locale)
    conditions = filters.items()
    for name, value in conditions:
        if value not in choices.allowed(name):
            view.refused = str(_l("Fewer than 5 people answered with this filter value, so it "
                                  "can't be shown on its own."))
            return view
    atoms = _atoms(survey, conditions)
    inside = tuple([1] * len(conditions))
    base = atoms.get((BASE_QUESTION, ANSWERED_CELL, 0), {})
    if base.get(inside, 0) < MIN_CELL:
        view.refused = str(
            _l("Fewer than 5 people match these filters. Choose fewer or wider filters.")
            if conditions else
            _l("Results are shown once at least 5 people have answered."))
        return view
    if any(_small(n) for n in base.values()):
        view.refused = str(_l(
            "Compared with wider views, this combination of filters would show the answers "
            "of fewer than 5 people. Choose fewer or wider filters."))
        return view
    # Rule 4: along each filter, which sibling values each key hides.
    hidden_by_siblings: set[Key] = set()
    for index, (name, value) in enumerate(conditions):
        allowed = choices.allowed(name)
        table = _siblings(survey, conditions, index, allowed)
        bases = table.get((BASE_QUESTION, ANSWERED_CELL, 0), {})
        viewable = {v for v, n in bases.items() if v != REST and n >= MIN_CELL}
        for key, counts in table.items():
            if value in _sibling_hidden(counts, viewable):
                hidden_by_siblings.add(key)
    if (BASE_QUESTION, ANSWERED_CELL, 0) in hidden_by_siblings:
        view.refused = str(_l(
            "Compared with the other values of these filters, this view would show the "
            "answers of fewer than 5 people. Choose fewer or wider filters."))
        return view
    view.respondents = base.get(inside, 0)

    def hidden(key: Key) -> bool:
        return key in hidden_by_siblings or any(_small(n) for n in atoms.get(key, {}).values())

    medians = _medians(survey, conditions)
    for question in survey.questions:
        view.questions.append(_question_result(question, atoms, inside, hidden, medians,
                                               locale))
    return view


def _question_result(question: SurveyQuestion, atoms: Mapping[Key, Mapping[tuple, int]],
                     inside: tuple[int, ...], hidden: Any, medians: Mapping[int, float],
                     locale: str) -> QuestionResult:
    answered_key = (question.id, ANSWERED_CELL, 0)
    answered = atoms.get(answered_key, {}).get(inside, 0)
    result = QuestionResult(question, localized(question.prompt, locale).text,
                            None if hidden(answered_key) else answered)
    if question.kind == SCALE:
        result.low_label = localized(question.low_label, locale).text
        result.high_label = localized(question.high_label, locale).text
    if question.kind in TEXT_KINDS:
        return result
    keys = _keys_of(question, atoms)
    hidden_keys = {key for key in keys if hidden(key)}
    if question.kind in ADDITIVE_KINDS and hidden_keys:
        _secondary(keys, hidden_keys, atoms, inside)
    labels = _labels(question, keys, locale)
    total = result.answered
    other_places = 0
    for key in keys:
        n = atoms.get(key, {}).get(inside, 0)
        if question.kind in (PLACE, COUNTRY) and (key in hidden_keys or n == 0):
            # A place or a country that few people named is not listed by name: it goes
            # into one "other" row (its count is the total minus the rows listed anyway).
            other_places += n
            continue
        if key in hidden_keys:
            result.cells.append(Cell(key[1], labels[key], None))
        else:
            percent = n / total if total else None
            result.cells.append(Cell(key[1], labels[key], n, percent))
    if question.kind in (PLACE, COUNTRY):
        result.cells.sort(key=lambda c: (-(c.count or 0), c.label))
        if other_places:
            shown_total = total is not None and other_places >= MIN_CELL
            result.cells.append(Cell(
                "other",
                str(_l("Other places (each fewer than 5 people)") if question.kind == PLACE
                    else _l("Other countries (each fewer than 5 people)")),
                other_places if shown_total else None,
                other_places / total if shown_total and total else None))
    if question.kind in (SCALE, NUMBER) and total is not None and total >= MIN_CELL:
        result.median = medians.get(question.id)
    return result


def _keys_of(question: SurveyQuestion, atoms: Mapping[Key, Any]) -> list[Key]:
    if question.kind in CHOICE_KINDS:
        return [(question.id, str(option.id), 0) for option in question.options]
    if question.kind == SCALE:
        return [(question.id, SCALE_CELL, value) for value in range(SCALE_MIN, SCALE_MAX + 1)]
    found = sorted((key for key in atoms if key[0] == question.id and key[1] != ANSWERED_CELL),
                   key=lambda key: (key[2], key[1]))
    return found


def _secondary(keys: list[Key], hidden_keys: set[Key],
               atoms: Mapping[Key, Mapping[tuple, int]], inside: tuple[int, ...]) -> None:
    """Rule 5: hide more cells until, in every group, the hidden cells add up to 0 or >= 5."""
    groups = {group for key in keys for group in atoms.get(key, {})}
    while True:
        sums = {group: sum(atoms.get(key, {}).get(group, 0) for key in hidden_keys)
                for group in groups}
        if not any(_small(n) for n in sums.values()):
            return
        shown = [key for key in keys if key not in hidden_keys]
        if not shown:
            return
        # The smallest shown cell of the view (ties: the first listed) is hidden next.
        hidden_keys.add(min(shown, key=lambda key: atoms.get(key, {}).get(inside, 0)))


def _labels(question: SurveyQuestion, keys: list[Key], locale: str) -> dict[Key, str]:
    if question.kind in CHOICE_KINDS:
        names = {str(o.id): localized(o.label, locale).text for o in question.options}
        return {key: names.get(key[1], "") for key in keys}
    if question.kind == SCALE:
        return {key: str(key[2]) for key in keys}
    if question.kind == NUMBER:
        return {key: _decade_label(key[2]) for key in keys}
    if question.kind == COUNTRY:
        return {key: country_name(key[1], locale) for key in keys}
    ids = [int(key[1]) for key in keys if key[1].isdigit()]
    places = {str(p.id): p.full_name(locale)
              for p in db.session.scalars(select(Place).where(Place.id.in_(ids or [-1])))}
    return {key: places.get(key[1], "?") for key in keys}


def _medians(survey: Survey, conditions: list[tuple[str, Any]]) -> dict[int, float]:
    """Medians of the scale and number questions in this view, from cumulative counts per
    value (a window over the GROUP BY; the same SQL on PostgreSQL and SQLite)."""
    ids = [q.id for q in survey.questions if q.kind in (SCALE, NUMBER)]
    if not ids:
        return {}
    c = SurveyResultCount
    per_value = (
        select(c.question_id, c.number, func.sum(c.respondents).label("n"))
        .where(c.survey_id == survey.id, c.question_id.in_(ids),
               c.cell.in_([NUMBER_CELL, SCALE_CELL]),
               *(_COLUMNS[name][0] == value for name, value in conditions))
        .group_by(c.question_id, c.number).subquery()
    )
    cumulative = select(
        per_value.c.question_id, per_value.c.number,
        func.sum(per_value.c.n).over(partition_by=per_value.c.question_id,
                                     order_by=per_value.c.number).label("upto"),
        func.sum(per_value.c.n).over(partition_by=per_value.c.question_id).label("total"),
    ).subquery()
    # The lower middle is the first value whose cumulative count reaches half; the upper,
    # the first that passes half (the same value when the count is odd).
    rows = db.session.execute(
        select(cumulative.c.question_id,
               func.min(case((cumulative.c.upto * 2 >= cumulative.c.total,
                              cumulative.c.number))),
               func.min(case((cumulative.c.upto * 2 > cumulative.c.total,
                              cumulative.c.number))))
        .where(cumulative.c.total > 0)
        .group_by(cumulative.c.question_id)
    ).all()
    return {qid: (int(low) + int(high)) / 2 for qid, low, high in rows
            if low is not None and high is not None}


# -- typed answers (staff) ---------------------------------------------------------------------


def text_answers(question: SurveyQuestion, page: int) -> Any:
    """A page of the typed answers to a question, in alphabetical order (not the order they
    came in: for an anonymous survey that order could be matched with who answered when)."""
    query = (select(SurveyAnswer.text_value)
             .where(SurveyAnswer.question_id == question.id,
                    SurveyAnswer.text_value.is_not(None))
             .order_by(SurveyAnswer.text_value, SurveyAnswer.id))
    return db.paginate(query, page=page, per_page=TEXT_PAGE_SIZE, error_out=False)


def counts_agree(survey: Survey) -> bool:
    """Whether the kept counts equal a fresh GROUP BY over the answers (tests, benchmark)."""
    c = SurveyResultCount
    kept = set(db.session.execute(
        select(c.question_id, c.cell, c.number, c.country_code, c.home_region_id,
               c.return_plan, c.respondents).where(c.survey_id == survey.id,
                                                   c.respondents != 0)).all())
    savepoint = db.session.begin_nested()
    rebuild_counts(survey)
    fresh = set(db.session.execute(
        select(c.question_id, c.cell, c.number, c.country_code, c.home_region_id,
               c.return_plan, c.respondents).where(c.survey_id == survey.id)).all())
    savepoint.rollback()
    return kept == fresh

"""The insights' tables: the anonymised picture of the diaspora on the platform, as counts.

A table is one dimension (members by country, projects by status, requests by month, ...),
counted for the whole country or for one region (a *scope*: members whose home is in it,
projects and requests of its places). Every figure goes through `suppress`:

- a count of 1 to 4 shows as "<5" (SUPPRESSED), never as a number;
- in a table whose cells add up to its total, the smallest shown cells are hidden too until
  the hidden ones together are 0 or at least 5, so "total minus the other cells" can't reveal
  a small one (complementary suppression, surveys/results.py `hidden_cells`);
- a region's table also hides a cell whose national figure minus the region's is 1 to 4, so
  subtracting the region's view from the country's can't single out the few elsewhere;
- a rate or a median is shown only where it rests on at least 5 items on each side.

Each table has its own total and no table crosses two dimensions, so no two tables can be
subtracted from each other to reach a hidden cell.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from diaspora.accounts.choices import INTEREST_SECTORS, REMITTANCES, RETURN_PLANS
from diaspora.accounts.models import Profile, User
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.models import utcnow
from diaspora.places.countries import country_name
from diaspora.places.models import LEVEL_DISTRICT, LEVEL_REGION, Place
from diaspora.projects.lifecycle import STATE_LABELS
from diaspora.projects.models import MEMBER, PUBLIC_STATES, Project
from diaspora.support.models import SupportRequest
from diaspora.support.service import KINDS as SUPPORT_KINDS
from diaspora.surveys.models import DRAFT as SURVEY_DRAFT
from diaspora.surveys.models import Survey, SurveyResponse
from diaspora.surveys.results import MIN_CELL, SUPPRESSED, hidden_cells

UNKNOWN = "unknown"  # the cell of those who did not say (no country, no home place, no sector)
MONTHS = 12  # the month-by-month tables cover the last twelve months, this one included
Count = int | str  # a number, or SUPPRESSED
Texts = dict[str, str]  # {"ky": ..., "ru": ..., "en": ...}

# Kinds of table, each drawn its own way (charts.py).
BARS, MONTHLY, RATES = "bars", "months", "rates"


def in_every_language(text: Any) -> Texts:
    """A lazy string (or a function of the locale) as {"ky": ..., "ru": ..., "en": ...}."""
    names = {}
    for code in SUPPORTED_LOCALES:
        with force_locale(code):
            names[code] = text(code) if callable(text) else str(text)
    return names


# -- suppression ---------------------------------------------------------------------------------


def suppress(counts: Mapping[Any, int], *, additive: bool = True,
             national: Mapping[Any, int] | None = None, hide: Collection[Any] = (),
             hide_total: bool = False) -> tuple[Count, dict[Any, Count], bool]:
    """(total, cells, whether anything is hidden), small cells as "<5".

    For one region's table: `national`, the same table's counts for the whole country (a
    cell the two differ by 1 to 4 is hidden); `hide`, the cells the country's table hides
    (else adding up the regions would give them away); `hide_total`, the region's own cell
    in the country's table by region is hidden, so its total must not show (nor may the
    cells add up to it). `additive=False`: the cells don't add up to a total (a member names
    several sectors), so only cells are hidden and no total is given."""
    total = sum(counts.values())
    positive = {key: n for key, n in counts.items() if n > 0}
    forced = {key for key, n in positive.items()
              if key in hide or (national is not None
                                 and 0 < national.get(key, 0) - n < MIN_CELL)}
    if not additive:
        hidden = {key for key, n in positive.items() if n < MIN_CELL} | forced
        return None, _shown(counts, hidden), bool(hidden)
    hidden = hidden_cells(positive) | forced
    shown_total: Count = total if total == 0 or total >= MIN_CELL else SUPPRESSED
    if national is not None and 0 < sum(national.values()) - total < MIN_CELL:
        shown_total = SUPPRESSED
    if hide_total and total:
        shown_total = SUPPRESSED
    if shown_total == SUPPRESSED and not hidden and positive:
        # Shown cells adding up to the total would give it away: hide the smallest.
        hidden = {min(positive, key=lambda key: (positive[key], str(key)))}
    if 0 < total < MIN_CELL:
        hidden = set(positive)
    hidden = _widen(positive, hidden)
    if shown_total != SUPPRESSED and len(hidden & set(positive)) == 1:
        # One hidden cell beside a shown total is the total minus the others: a cell hidden
        # for the country's sake needs a companion.
        rest = sorted((n, str(key), key) for key, n in positive.items() if key not in hidden)
        if rest:
            hidden.add(rest[0][2])
        else:  # the only group there is: the total would be it
            shown_total = SUPPRESSED
    return shown_total, _shown(counts, hidden), bool(hidden) or shown_total == SUPPRESSED


def _shown(counts: Mapping[Any, int], hidden: set[Any]) -> dict[Any, Count]:
    return {key: SUPPRESSED if key in hidden else n for key, n in counts.items()}


def _widen(counts: Mapping[Any, int], hidden: set[Any]) -> set[Any]:
    """Hide the smallest shown cells until the hidden ones are together 0 or at least 5."""
    hidden = set(hidden)
    shown = sorted((n, str(key), key) for key, n in counts.items() if key not in hidden)
    while shown and 0 < sum(counts[key] for key in hidden) < MIN_CELL:
        hidden.add(shown.pop(0)[2])
    return hidden


def suppress_across(national: dict[str, Any], national_counts: Mapping[Any, Any],
                    regions: Mapping[int, tuple[dict[str, Any], Mapping[Any, Any]]]) -> None:
    """Hide more cells of the regions' tables (in place) so that no cell can be had by
    subtracting the regions from the country.

    For a cell the country shows (Russia: 40), the regions' cells for it and the rest (members
    in Russia with no home region given) add up to it; the hidden ones among them must then
    be together 0 or at least 5 and never one alone, like the cells of one table. Hiding a
    region's cell may break that region's own table (a single hidden cell beside its total),
    so the two rules are applied in turn until both hold. Only for tables whose regions have
    the country's keys (a region's districts are checked against its own total instead)."""
    if not regions or not _same_keys(national, regions):
        return
    value = {rid: _items(raw) for rid, (_table, raw) in regions.items()}
    country = _items(national_counts)
    for _round in range(100):  # each round hides at least one more cell: it ends
        changed = False
        for key in [cell["key"] for cell in national["cells"] if cell["count"] == SUPPRESSED]:
            for rid, (table, _raw) in regions.items():
                if value[rid].get(key, 0) > 0 and not _hidden(table, key):
                    _hide(table, key)  # what the country hides, no region may show
                    changed = True
        for key in [cell["key"] for cell in national["cells"] if cell["count"] != SUPPRESSED]:
            rest = country.get(key, 0) - sum(value[rid].get(key, 0) for rid in regions)
            hidden = [value[rid].get(key, 0) for rid in regions
                      if _hidden(regions[rid][0], key) and value[rid].get(key, 0) > 0]
            groups = hidden + ([rest] if rest > 0 else [])
            if not groups or (sum(groups) >= MIN_CELL and len(groups) >= 2):
                continue
            if not hidden and rest >= MIN_CELL:
                continue  # only those with no home region, and enough of them
            candidates = sorted((value[rid].get(key, 0), rid) for rid in regions
                                if not _hidden(regions[rid][0], key)
                                and value[rid].get(key, 0) > 0)
            if candidates:
                _hide(regions[candidates[0][1]][0], key)
            else:
                # Nothing left to hide among the regions: the country's cell goes, and with it
                # every region's (adding them up would give it back).
                _hide(national, key)
                _fix_row(national, country)
            changed = True
        for rid, (table, _raw) in regions.items():
            changed |= _fix_row(table, value[rid])
        if not changed:
            return


def _same_keys(national: dict[str, Any], regions: Mapping[int, tuple[dict, Any]]) -> bool:
    keys = {cell["key"] for cell in national["cells"]}
    return all({cell["key"] for cell in table["cells"]} <= keys
               for table, _raw in regions.values())


def _items(counts: Mapping[Any, Any]) -> dict[str, int]:
    """{key: count} of raw counts (a table of rates counts its items)."""
    return {str(key): row["items"] if isinstance(row, dict) else int(row)
            for key, row in counts.items()}


def _hidden(table: dict[str, Any], key: str) -> bool:
    return any(cell["key"] == key and cell["count"] == SUPPRESSED for cell in table["cells"])


def _hide(table: dict[str, Any], key: str) -> None:
    for cell in table["cells"]:
        if cell["key"] == key:
            cell["count"] = SUPPRESSED
            for field in ("rate", "median_days"):
                if cell.get(field) is not None:
                    cell[field] = SUPPRESSED
    table["suppressed"] = True


def _fix_row(table: dict[str, Any], value: Mapping[str, int]) -> bool:
    """One region's table again: beside a shown total, hidden cells together 0 or at least 5
    and never one alone."""
    total = table["total"]
    if total is None or total == SUPPRESSED:
        return False
    changed = False
    while True:
        hidden = [value.get(cell["key"], 0) for cell in table["cells"]
                  if cell["count"] == SUPPRESSED and value.get(cell["key"], 0) > 0]
        if not hidden or (sum(hidden) >= MIN_CELL and len(hidden) >= 2):
            return changed
        shown = sorted((value.get(cell["key"], 0), cell["key"]) for cell in table["cells"]
                       if cell["count"] != SUPPRESSED and value.get(cell["key"], 0) > 0)
        if not shown:
            table["total"] = SUPPRESSED
            return True
        _hide(table, shown[0][1])
        changed = True


def shown_rate(items: int, done: int) -> float | str | None:
    """The share `done/items`, or "<5" where either side rests on 1 to 4 items."""
    if items == 0:
        return None
    if items < MIN_CELL or 0 < done < MIN_CELL or 0 < items - done < MIN_CELL:
        return SUPPRESSED
    return round(done / items, 3)


def shown_median_days(seconds: list[int]) -> float | str | None:
    """The median of some waits in days (one decimal), or "<5" for 1 to 4 of them."""
    if not seconds:
        return None
    if len(seconds) < MIN_CELL:
        return SUPPRESSED
    return round(median(seconds) / 86400, 1)


# -- what a table is -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    id: str
    title: Any  # a lazy string
    unit: str  # "members", "projects", "requests" or "responses"
    kind: str  # BARS, MONTHLY or RATES
    counts: Callable[[int | None], dict[Any, Any]]  # scope (a region id or None) -> cells
    labels: Callable[[list[Any], int | None], dict[Any, Texts]]
    additive: bool = True  # the cells add up to the total
    note: Any = None  # a lazy string shown under the chart
    map_of: str | None = None  # "places": the cells are regions or districts
    # The country's and every region's counts from one scan (tables of a million members):
    # region ids -> {None: the country's counts, region id: its counts}.
    per_region: Callable[[list[int]], dict[int | None, dict[Any, Any]]] | None = None


# -- members -------------------------------------------------------------------------------------


def _members(region_id: int | None, *columns: Any) -> Any:
    """Diaspora members who have an account now (not authorities, staff, erased accounts)."""
    query = (select(func.count(User.id), *columns).select_from(User)
             .outerjoin(Profile, Profile.user_id == User.id)
             .where(User.role == "member", User.active.is_(True), User.deleted_at.is_(None)))
    if region_id is not None:
        query = query.join(Place, Place.id == Profile.home_place_id).where(
            Place.region_id == region_id)
    return query


def _grouped(query: Any, column: Any, keys: Mapping[str, Any] | None = None) -> dict[Any, int]:
    """{value: count} of `query` grouped by `column`; values outside `keys` count as UNKNOWN."""
    counts: dict[Any, int] = dict.fromkeys(keys, 0) if keys is not None else {}
    for n, value in db.session.execute(query.group_by(column)).all():
        key = value if value is not None and (keys is None or value in keys) else UNKNOWN
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def members_by_country(region_id: int | None) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for key, n in _grouped(_members(region_id, Profile.country_code),
                           Profile.country_code).items():
        key = key.upper() if key != UNKNOWN else key
        counts[key] = counts.get(key, 0) + n
    return counts


def members_by_place(region_id: int | None) -> dict[Any, int]:
    """By home region, or, within a region, by home district (every one listed, 0 included)."""
    if region_id is None:
        query = _members(None, Place.region_id).outerjoin(
            Place, Place.id == Profile.home_place_id)
        column, places = Place.region_id, _region_ids()
    else:
        query = _members(region_id, Place.district_id)
        column, places = Place.district_id, _district_ids(region_id)
    counts: dict[Any, int] = {str(place_id): 0 for place_id in places}
    for n, place_id in db.session.execute(query.group_by(column)).all():
        # A member whose home is a region or a city without districts names no district.
        key = str(place_id) if place_id is not None else UNKNOWN
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def members_by_return_plan(region_id: int | None) -> dict[Any, int]:
    return _grouped(_members(region_id, Profile.return_plan), Profile.return_plan, RETURN_PLANS)


def members_by_remittances(region_id: int | None) -> dict[Any, int]:
    return _grouped(_members(region_id, Profile.remittances), Profile.remittances, REMITTANCES)


def investors_by_sector(region_id: int | None) -> dict[Any, int]:
    """Members who want to invest at home, by the sectors they named (several each)."""
    sector = _sectors()
    query = (_members(region_id, sector.c.value).join(sector, sector.c.value.is_not(None))
             .where(Profile.wants_to_invest.is_(True)))
    query = query.with_only_columns(func.count(User.id.distinct()), sector.c.value)
    counts: dict[Any, int] = dict.fromkeys(INTEREST_SECTORS, 0)
    for n, value in db.session.execute(query.group_by(sector.c.value)):
        if value in counts:
            counts[value] += int(n)
    return counts


def _sectors() -> Any:
    """The sectors of a member's JSON list as rows: unnested in SQL, so a million members'
    lists never travel to Python."""
    unnest = (func.json_array_elements_text if db.engine.dialect.name == "postgresql"
              else func.json_each)
    return unnest(Profile.interest_sectors).table_valued("value").alias("sector")


def _region_ids() -> list[int]:
    return list(db.session.scalars(
        select(Place.id).where(Place.level == LEVEL_REGION).order_by(Place.code)))


def _district_ids(region_id: int) -> list[int]:
    return list(db.session.scalars(
        select(Place.id).where(Place.level == LEVEL_DISTRICT, Place.parent_id == region_id)
        .order_by(Place.code)))


def _with_region(query: Any) -> Any:
    """`_members(None, ...)` with the member's home region as a column (None: no home)."""
    return query.outerjoin(Place, Place.id == Profile.home_place_id).add_columns(
        Place.region_id)


def _split(rows: Any, region_ids: list[int], empty: Callable[[int | None], dict[Any, int]],
           key_of: Callable[[Any], Any]) -> dict[int | None, dict[Any, int]]:
    """Rows (count, value, region id) of one scan, as the country's counts (None) and each
    region's: a member counts in the country and in their home region."""
    scopes = {scope: empty(scope) for scope in (None, *region_ids)}
    for n, value, region_id in rows:
        key = key_of(value)
        for scope in (None, region_id) if region_id in scopes and region_id else (None,):
            scopes[scope][key] = scopes[scope].get(key, 0) + int(n)
    return scopes


def _per_region(column: Any, keys: Mapping[str, Any] | None = None,
                key_of: Callable[[Any], Any] | None = None
                ) -> Callable[[list[int]], dict[int | None, dict[Any, int]]]:
    """A member table counted for the country and every region in one scan of the members
    (a million rows scanned once, not once a scope)."""
    def normal(value: Any) -> Any:
        return value if value is not None and (keys is None or value in keys) else UNKNOWN

    def counts(region_ids: list[int]) -> dict[int | None, dict[Any, int]]:
        query = _with_region(_members(None, column))
        rows = db.session.execute(query.group_by(column, Place.region_id))
        return _split(rows, region_ids,
                      lambda _scope: dict.fromkeys(keys, 0) if keys is not None else {},
                      key_of or normal)
    return counts


def _country_key(value: Any) -> Any:
    return value.upper() if value else UNKNOWN


def members_by_place_per_region(region_ids: list[int]) -> dict[int | None, dict[Any, int]]:
    """`members_by_place` of the country (by region) and of every region (by district), from
    one scan grouped by home district."""
    scopes: dict[int | None, dict[Any, int]] = {None: {str(rid): 0 for rid in _region_ids()}}
    for region_id in region_ids:
        scopes[region_id] = {str(did): 0 for did in _district_ids(region_id)}
    query = _with_region(_members(None, Place.district_id))
    for n, district_id, region_id in db.session.execute(
            query.group_by(Place.district_id, Place.region_id)):
        country = scopes[None]
        key = str(region_id) if region_id is not None else UNKNOWN
        country[key] = country.get(key, 0) + int(n)
        if region_id in scopes and region_id is not None:
            key = str(district_id) if district_id is not None else UNKNOWN
            scopes[region_id][key] = scopes[region_id].get(key, 0) + int(n)
    return scopes


def investors_per_region(region_ids: list[int]) -> dict[int | None, dict[Any, int]]:
    sector = _sectors()
    query = (_with_region(_members(None, sector.c.value)).join(sector,
                                                                sector.c.value.is_not(None))
             .where(Profile.wants_to_invest.is_(True)))
    query = query.with_only_columns(func.count(User.id.distinct()), sector.c.value,
                                    Place.region_id)
    rows = [(n, value, region_id) for n, value, region_id in db.session.execute(
        query.group_by(sector.c.value, Place.region_id)) if value in INTEREST_SECTORS]
    return _split(rows, region_ids, lambda _scope: dict.fromkeys(INTEREST_SECTORS, 0),
                  lambda value: value)


def joined_per_region(region_ids: list[int]) -> dict[int | None, dict[Any, int]]:
    month, first = _month_column(User.created_at)
    query = _with_region(_members(None, month)).where(User.created_at >= first)
    keys = month_keys()
    rows = [(n, key, region_id) for n, key, region_id in db.session.execute(
        query.group_by(month, Place.region_id)) if key in keys]
    return _split(rows, region_ids, lambda _scope: dict.fromkeys(keys, 0), lambda key: key)


# -- projects ------------------------------------------------------------------------------------


def _public_projects(region_id: int | None, column: Any) -> Any:
    query = select(func.count(Project.id), column).where(Project.status.in_(PUBLIC_STATES))
    return query if region_id is None else query.where(Project.region_id == region_id)


def projects_by_sector(region_id: int | None) -> dict[Any, int]:
    return _grouped(_public_projects(region_id, Project.sector), Project.sector,
                    INTEREST_SECTORS)


def projects_by_status(region_id: int | None) -> dict[Any, int]:
    counts: dict[Any, int] = dict.fromkeys(PUBLIC_STATES, 0)
    counts.update(_grouped(_public_projects(region_id, Project.status), Project.status))
    return counts


def project_answers(region_id: int | None) -> dict[Any, dict[str, Any]]:
    """Per region (or district of a region): members' published proposals, how many the
    authorities answered, and their answer times."""
    place = Project.region_id if region_id is None else Project.district_id
    query = select(place, Project.answer_seconds).where(
        Project.origin == MEMBER, Project.published_at.is_not(None),
        Project.status.in_(PUBLIC_STATES))
    if region_id is not None:
        query = query.where(Project.region_id == region_id)
    places = _region_ids() if region_id is None else _district_ids(region_id)
    return _answer_rows(db.session.execute(query).all(),
                        [str(place_id) for place_id in places])


def _answer_rows(rows: list[Any], keys: list[str]) -> dict[Any, dict[str, Any]]:
    """{key: {"items": n, "answered": n, "seconds": [...]}} from (key, seconds or None) rows."""
    table: dict[Any, dict[str, Any]] = {key: {"items": 0, "answered": 0, "seconds": []}
                                        for key in keys}
    for key, seconds in rows:
        cell = table.setdefault(str(key) if key is not None else UNKNOWN,
                                {"items": 0, "answered": 0, "seconds": []})
        cell["items"] += 1
        if seconds is not None:
            cell["answered"] += 1
            cell["seconds"].append(int(seconds))
    return table


# -- support requests ----------------------------------------------------------------------------


def _requests(region_id: int | None, *columns: Any) -> Any:
    query = select(func.count(SupportRequest.id), *columns)
    return query if region_id is None else query.where(SupportRequest.region_id == region_id)


def requests_by_kind(region_id: int | None) -> dict[Any, int]:
    return _grouped(_requests(region_id, SupportRequest.kind), SupportRequest.kind,
                    SUPPORT_KINDS)


def requests_by_place(region_id: int | None) -> dict[Any, int]:
    column = SupportRequest.region_id if region_id is None else SupportRequest.district_id
    places = _region_ids() if region_id is None else _district_ids(region_id)
    counts: dict[Any, int] = {str(place_id): 0 for place_id in places}
    for n, place_id in db.session.execute(_requests(region_id, column).group_by(column)):
        key = str(place_id) if place_id is not None else UNKNOWN
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def request_answers(region_id: int | None) -> dict[Any, dict[str, Any]]:
    """Per kind: requests, how many the authorities answered, and how long the first answer
    took."""
    query = select(SupportRequest.kind, SupportRequest.created_at,
                   SupportRequest.first_answered_at)
    if region_id is not None:
        query = query.where(SupportRequest.region_id == region_id)
    rows = [(kind if kind in SUPPORT_KINDS else UNKNOWN,
             None if answered is None else max(0, int((answered - created).total_seconds())))
            for kind, created, answered in db.session.execute(query)]
    return _answer_rows(rows, list(SUPPORT_KINDS))


# -- surveys -------------------------------------------------------------------------------------


def survey_participation(region_id: int | None) -> dict[Any, int]:
    """Responses to each survey that has opened (the latest 12)."""
    surveys = list(db.session.scalars(
        select(Survey.id).where(Survey.status != SURVEY_DRAFT)
        .order_by(Survey.opened_at.desc().nulls_last(), Survey.id.desc()).limit(12)))
    counts: dict[Any, int] = {str(survey_id): 0 for survey_id in surveys}
    query = (select(func.count(SurveyResponse.id), SurveyResponse.survey_id)
             .where(SurveyResponse.survey_id.in_(surveys or [-1])))
    if region_id is not None:
        query = query.where(SurveyResponse.home_region_id == region_id)
    for n, survey_id in db.session.execute(query.group_by(SurveyResponse.survey_id)):
        counts[str(survey_id)] = int(n)
    return counts


# -- month by month ------------------------------------------------------------------------------


def month_keys(now: datetime | None = None) -> list[str]:
    """The last MONTHS months as "YYYY-MM", oldest first, this one last."""
    now = now or utcnow()
    year, month = now.year, now.month
    keys = []
    for _ in range(MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def _month_column(column: Any) -> tuple[Any, datetime]:
    """("YYYY-MM" of `column` in SQL, the first day of the oldest month counted)."""
    first = datetime.strptime(month_keys()[0] + "-01", "%Y-%m-%d")
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM"), first
    return func.strftime("%Y-%m", column), first


def _by_month(query: Any, column: Any) -> dict[Any, int]:
    keys = month_keys()
    month, first = _month_column(column)
    counts = dict.fromkeys(keys, 0)
    rows = db.session.execute(query.add_columns(month).where(column >= first).group_by(month))
    for n, key in rows:
        if key in counts:
            counts[key] = int(n)
    return counts


def members_joined_by_month(region_id: int | None) -> dict[Any, int]:
    return _by_month(_members(region_id), User.created_at)


def proposals_by_month(region_id: int | None) -> dict[Any, int]:
    query = select(func.count(Project.id)).where(Project.origin == MEMBER,
                                                 Project.published_at.is_not(None))
    if region_id is not None:
        query = query.where(Project.region_id == region_id)
    return _by_month(query, Project.published_at)


def requests_by_month(region_id: int | None) -> dict[Any, int]:
    return _by_month(_requests(region_id), SupportRequest.created_at)


def responses_by_month(region_id: int | None) -> dict[Any, int]:
    query = select(func.count(SurveyResponse.id))
    if region_id is not None:
        query = query.where(SurveyResponse.home_region_id == region_id)
    return _by_month(query, SurveyResponse.submitted_on)


# -- labels --------------------------------------------------------------------------------------


def _unknown() -> Texts:
    return in_every_language(_l("Not stated"))


def _choice_labels(choices: Mapping[str, Any]) -> Callable[[list[Any], int | None],
                                                           dict[Any, Texts]]:
    def labels(keys: list[Any], _region_id: int | None) -> dict[Any, Texts]:
        return {key: in_every_language(choices[key]) if key in choices else _unknown()
                for key in keys}
    return labels


def _country_labels(keys: list[Any], _region_id: int | None) -> dict[Any, Texts]:
    return {key: _unknown() if key == UNKNOWN
            else {code: country_name(key, code) for code in SUPPORTED_LOCALES} for key in keys}


def place_labels(keys: list[Any], _region_id: int | None = None) -> dict[Any, Texts]:
    ids = [int(key) for key in keys if key != UNKNOWN]
    names = {str(place_id): dict(name) for place_id, name in db.session.execute(
        select(Place.id, Place.name).where(Place.id.in_(ids or [-1])))}
    return {key: _unknown() if key == UNKNOWN else names.get(key, {}) for key in keys}


def _survey_labels(keys: list[Any], _region_id: int | None) -> dict[Any, Texts]:
    titles = {str(survey_id): dict(title or {}) for survey_id, title in db.session.execute(
        select(Survey.id, Survey.title).where(Survey.id.in_([int(k) for k in keys] or [-1])))}
    return {key: titles.get(key, {}) for key in keys}


def _month_labels(keys: list[Any], _region_id: int | None) -> dict[Any, Texts]:
    return {key: dict.fromkeys(SUPPORTED_LOCALES, key) for key in keys}


# -- the list ------------------------------------------------------------------------------------


TABLES: dict[str, Table] = {table.id: table for table in (
    Table("members-by-country", _l("Members by country of residence"), "members", BARS,
          members_by_country, _country_labels,
          per_region=_per_region(Profile.country_code, key_of=_country_key)),
    Table("members-by-region", _l("Members by home region or district"), "members", BARS,
          members_by_place, place_labels, map_of="places",
          per_region=members_by_place_per_region),
    Table("members-by-return-plan", _l("Plans to return home, and when"), "members", BARS,
          members_by_return_plan, _choice_labels(RETURN_PLANS),
          per_region=_per_region(Profile.return_plan, RETURN_PLANS)),
    Table("members-by-remittances", _l("Sending money home"), "members", BARS,
          members_by_remittances, _choice_labels(REMITTANCES),
          per_region=_per_region(Profile.remittances, REMITTANCES)),
    Table("investors-by-sector", _l("Members who want to invest at home, by sector"),
          "members", BARS, investors_by_sector, _choice_labels(INTEREST_SECTORS),
          additive=False,
          note=_l("A member may name several sectors, so the sectors add up to more than "
                  "the members."), per_region=investors_per_region),
    Table("members-by-month", _l("Members who joined, month by month"), "members", MONTHLY,
          members_joined_by_month, _month_labels, per_region=joined_per_region),
    Table("projects-by-sector", _l("Published projects by sector"), "projects", BARS,
          projects_by_sector, _choice_labels(INTEREST_SECTORS)),
    Table("projects-by-status", _l("Published projects by status"), "projects", BARS,
          projects_by_status, _choice_labels(STATE_LABELS)),
    Table("project-answers", _l("Authorities' answers to members' proposals"), "projects",
          RATES, project_answers, place_labels,
          note=_l("Share of published proposals the local authorities answered, and the "
                  "median days from publication to the answer.")),
    Table("proposals-by-month", _l("Proposals published, month by month"), "projects",
          MONTHLY, proposals_by_month, _month_labels),
    Table("survey-participation", _l("Survey participation"), "responses", BARS,
          survey_participation, _survey_labels, additive=False),
    Table("responses-by-month", _l("Survey answers, month by month"), "responses", MONTHLY,
          responses_by_month, _month_labels),
    Table("requests-by-kind", _l("Support requests by kind"), "requests", BARS,
          requests_by_kind, _choice_labels(SUPPORT_KINDS)),
    Table("requests-by-place", _l("Support requests by region or district"), "requests", BARS,
          requests_by_place, place_labels, map_of="places"),
    Table("request-answers", _l("How fast support requests are answered"), "requests", RATES,
          request_answers, _choice_labels(SUPPORT_KINDS),
          note=_l("Share of requests the local authorities answered, and the median days to "
                  "the first answer.")),
    Table("requests-by-month", _l("Support requests, month by month"), "requests", MONTHLY,
          requests_by_month, _month_labels),
)}


def table_data(table: Table, region_id: int | None = None, *,
               national: Mapping[Any, Any] | None = None, hide: Collection[Any] = (),
               hide_total: bool = False, counts: dict[Any, Any] | None = None
               ) -> tuple[dict[str, Any], Any]:
    """(the table as pages, downloads and the API show it, suppressed; its raw counts, which
    a region's table is checked against). For a region: `national`, the country's raw counts
    of the same table, `hide` the keys it hides, `hide_total` (see `suppress`). `counts`:
    the table's counts for the scope when already counted (`Table.per_region`)."""
    if counts is None:
        counts = table.counts(region_id)
    guard = {"national": national, "hide": hide, "hide_total": hide_total}
    if table.kind == RATES:
        items = {key: row["items"] for key, row in counts.items()}
        if national is not None:
            guard["national"] = {key: row["items"] for key, row in national.items()}
        total, shown, suppressed = suppress(items, **guard)
        cells: dict[Any, dict[str, Any]] = {}
        for key, row in counts.items():
            hidden = shown[key] == SUPPRESSED
            cells[key] = {"count": shown[key],
                          "rate": SUPPRESSED if hidden else shown_rate(row["items"],
                                                                        row["answered"]),
                          "median_days": SUPPRESSED if hidden and row["answered"]
                          else shown_median_days(row["seconds"])}
        suppressed = suppressed or any(SUPPRESSED in (cell["rate"], cell["median_days"])
                                       for cell in cells.values())
    else:
        total, plain, suppressed = suppress(counts, additive=table.additive, **guard)
        cells = {key: {"count": n} for key, n in plain.items()}
    labels = table.labels(list(counts), region_id)
    order = list(counts) if table.kind == MONTHLY else _largest_first(counts, cells, table)
    data = {
        "id": table.id,
        "title": in_every_language(table.title),
        "unit": table.unit,
        "kind": table.kind,
        "min_cell": MIN_CELL,
        "suppressed": suppressed,
        "total": total,
        "cells": [{"key": str(key), "label": labels.get(key, {}), **cells[key]}
                  for key in order],
    }
    return data, counts


def _largest_first(counts: Mapping[Any, Any], cells: Mapping[Any, dict], table: Table
                   ) -> list[Any]:
    """Largest first, hidden ones after the shown, "not stated" last among equals, then by
    key: a stable order that doesn't sort a hidden cell by its real size. Places and rates
    keep the gazetteer's order."""
    if table.map_of or table.kind == RATES:
        return sorted(counts, key=lambda key: key == UNKNOWN)

    def order(key: Any) -> tuple:
        n = cells[key]["count"]
        return (n == SUPPRESSED, -(n if n != SUPPRESSED else 0), key == UNKNOWN, str(key))
    return sorted(counts, key=order)

"""Open-data aggregates: members by country of residence and by home region, public projects
by sector and by status, with small cells suppressed.

Each aggregate is one table of counts whose cells add up to its total. Suppression is the
survey results' (surveys/results.py `hidden_cells`, one implementation for the whole site):

- a count of 1 to 4 shows as the string "<5" (SUPPRESSED), never as a number;
- if the hidden cells of a table add up to 1..4, the smallest shown cells are hidden too,
  until the hidden ones together are 0 or at least 5, so "total minus the other cells"
  can't reveal a small one (complementary suppression);
- a total below 5 shows as "<5" and so does every non-zero cell;
- zero is shown as 0: an empty cell singles nobody out.

A project is counted like a person (its supporters and proposer are people), so project
tables are suppressed the same way. Each table has its own total and no table crosses two
dimensions, so no two tables can be subtracted from each other to reach a hidden cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.accounts.models import Profile, User
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.places.countries import country_name
from diaspora.places.models import LEVEL_REGION, Place
from diaspora.projects.lifecycle import STATE_LABELS
from diaspora.projects.models import PUBLIC_STATES, Project
from diaspora.surveys.results import MIN_CELL, SUPPRESSED, hidden_cells

UNKNOWN = "unknown"  # the cell of those who did not say (no country, no home place, no sector)
Count = int | str  # a number, or SUPPRESSED


def in_every_language(text: Any) -> dict[str, str]:
    """A lazy string (or a function of the locale) as {"ky": ..., "ru": ..., "en": ...}."""
    names = {}
    for code in SUPPORTED_LOCALES:
        with force_locale(code):
            names[code] = text(code) if callable(text) else str(text)
    return names


@dataclass(frozen=True)
class Aggregate:
    id: str
    title: Any  # a lazy string
    unit: str  # "members" or "projects"
    counts: Callable[[], dict[Any, int]]  # cell key -> count (keys with zero included)
    labels: Callable[[list[Any]], dict[Any, dict[str, str]]]


def suppress(counts: Mapping[Any, int]) -> tuple[Count, dict[Any, Count], bool]:
    """(total, cells, whether anything is hidden), small cells as "<5"."""
    total = sum(counts.values())
    hidden = hidden_cells({key: n for key, n in counts.items() if n > 0})
    cells: dict[Any, Count] = {key: SUPPRESSED if key in hidden else n
                               for key, n in counts.items()}
    shown_total: Count = total if total == 0 or total >= MIN_CELL else SUPPRESSED
    return shown_total, cells, bool(hidden) or shown_total == SUPPRESSED


# -- members -------------------------------------------------------------------------------------


def _members() -> Any:
    """Diaspora members who have an account now (not authorities, staff, erased accounts)."""
    return (select(func.count(User.id)).select_from(User)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.role == "member", User.active.is_(True), User.deleted_at.is_(None)))


def members_by_country() -> dict[Any, int]:
    rows = db.session.execute(
        _members().add_columns(Profile.country_code).group_by(Profile.country_code)).all()
    counts: dict[Any, int] = {}
    for n, code in rows:
        key = code.upper() if code else UNKNOWN
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def members_by_region() -> dict[Any, int]:
    # A region's own row names itself as its region, so one column serves every level.
    rows = db.session.execute(
        _members().add_columns(Place.region_id)
        .outerjoin(Place, Place.id == Profile.home_place_id).group_by(Place.region_id)).all()
    counts: dict[Any, int] = {str(pid): 0 for pid in _region_ids()}
    for n, region_id in rows:
        key = str(region_id) if region_id is not None else UNKNOWN
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def _region_ids() -> list[int]:
    return list(db.session.scalars(
        select(Place.id).where(Place.level == LEVEL_REGION).order_by(Place.code)))


def _country_labels(keys: list[Any]) -> dict[Any, dict[str, str]]:
    return {key: _unknown() if key == UNKNOWN
            else {code: country_name(key, code) for code in SUPPORTED_LOCALES} for key in keys}


def _region_labels(keys: list[Any]) -> dict[Any, dict[str, str]]:
    ids = [int(key) for key in keys if key != UNKNOWN]
    names = {str(place_id): dict(name) for place_id, name in db.session.execute(
        select(Place.id, Place.name).where(Place.id.in_(ids or [-1])))}
    return {key: _unknown() if key == UNKNOWN else names.get(key, {}) for key in keys}


def _unknown() -> dict[str, str]:
    return in_every_language(_l("Not stated"))


# -- projects ------------------------------------------------------------------------------------


def _public_projects(column: Any) -> dict[Any, int]:
    return {key: int(n) for key, n in db.session.execute(
        select(column, func.count(Project.id)).where(Project.status.in_(PUBLIC_STATES))
        .group_by(column))}


def projects_by_sector() -> dict[Any, int]:
    counts: dict[Any, int] = dict.fromkeys(INTEREST_SECTORS, 0)
    for sector, n in _public_projects(Project.sector).items():
        key = sector if sector in INTEREST_SECTORS else UNKNOWN
        counts[key] = counts.get(key, 0) + n
    return counts


def projects_by_status() -> dict[Any, int]:
    counts: dict[Any, int] = dict.fromkeys(PUBLIC_STATES, 0)
    counts.update(_public_projects(Project.status))
    return counts


def _sector_labels(keys: list[Any]) -> dict[Any, dict[str, str]]:
    return {key: in_every_language(INTEREST_SECTORS.get(key, _l("Not stated"))) for key in keys}


def _status_labels(keys: list[Any]) -> dict[Any, dict[str, str]]:
    return {key: in_every_language(STATE_LABELS[key]) for key in keys}


AGGREGATES: dict[str, Aggregate] = {agg.id: agg for agg in (
    Aggregate("members-by-country", _l("Members by country of residence"), "members",
              members_by_country, _country_labels),
    Aggregate("members-by-region", _l("Members by home region"), "members",
              members_by_region, _region_labels),
    Aggregate("projects-by-sector", _l("Published projects by sector"), "projects",
              projects_by_sector, _sector_labels),
    Aggregate("projects-by-status", _l("Published projects by status"), "projects",
              projects_by_status, _status_labels),
)}


def aggregate_data(aggregate: Aggregate) -> dict[str, Any]:
    """One aggregate as the API answers it, suppressed."""
    counts = aggregate.counts()
    total, cells, suppressed = suppress(counts)
    labels = aggregate.labels(list(counts))
    # Largest first (hidden ones after the shown), then by key: a stable order.
    order = sorted(counts, key=lambda key: (cells[key] == SUPPRESSED,
                                            -(cells[key] if cells[key] != SUPPRESSED else 0),
                                            key == UNKNOWN, str(key)))
    return {
        "id": aggregate.id,
        "title": in_every_language(aggregate.title),
        "unit": aggregate.unit,
        "min_cell": MIN_CELL,
        "suppressed": suppressed,
        "total": total,
        "cells": [{"key": str(key), "label": labels[key], "count": cells[key]}
                  for key in order],
    }

"""Insights: who may see which scope, the precomputed tables, and their downloads.

The tables are counted by `refresh` (housekeeping, every INSIGHTS_REFRESH_SECONDS, or
`flask insights-refresh`) for the whole country and for every region, suppressed, and stored
(models.py); pages, downloads and the API read the stored rows, so what they show is the same
everywhere and a page never counts a million members. The country is counted first: each
region's tables are suppressed against it (tables.py `suppress`).
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text

from diaspora.accounts.permissions import can, is_staff, verified_places
from diaspora.extensions import db
from diaspora.i18n import localized_text
from diaspora.insights.models import COUNTRY, InsightSnapshot, region_scope
from diaspora.insights.tables import (
    SUPPRESSED,
    TABLES,
    Table,
    in_every_language,
    suppress_across,
    table_data,
)
from diaspora.models import utcnow
from diaspora.places.models import LEVEL_REGION, Place
from diaspora.surveys.export import BOM, guard

# A region's total in a unit is its own cell in the country's table by place of that unit.
BY_PLACE = {"members": "members-by-region", "requests": "requests-by-place"}


@dataclass(frozen=True)
class Insights:
    """One scope's tables as stored: {table id: table} and when they were counted."""

    region: Place | None
    tables: dict[str, dict[str, Any]]
    computed_at: datetime

    def table(self, table_id: str) -> dict[str, Any] | None:
        return self.tables.get(table_id)


# -- counting ------------------------------------------------------------------------------------


def _count_country(counted: dict[str, dict[int | None, dict]]
                   ) -> tuple[dict[str, dict], dict[str, Any]]:
    shown, raw = {}, {}
    for table in TABLES.values():
        shown[table.id], raw[table.id] = table_data(
            table, counts=counted[table.id][None] if table.id in counted else None)
    return shown, raw


def _count_region(region_id: int, national: dict[str, dict], national_raw: dict[str, Any],
                  counted: dict[str, dict[int | None, dict]]
                  ) -> tuple[dict[str, dict], dict[str, Any]]:
    shown, raw_counts = {}, {}
    for table in TABLES.values():
        hidden_nationally = {cell["key"] for cell in national[table.id]["cells"]
                             if cell["count"] == SUPPRESSED}
        by_place = BY_PLACE.get(table.unit)
        hide_total = by_place is not None and any(
            cell["key"] == str(region_id) and cell["count"] == SUPPRESSED
            for cell in national[by_place]["cells"])
        raw = national_raw[table.id]
        keyed = {str(key): value for key, value in raw.items()}
        shown[table.id], raw_counts[table.id] = table_data(
            table, region_id, national=keyed, hide=hidden_nationally, hide_total=hide_total,
            counts=counted[table.id][region_id] if table.id in counted else None)
    return shown, raw_counts


def count_scopes(*, every_region: bool) -> dict[str, dict[str, dict]]:
    """The country's tables, and with `every_region` those of every region, suppressed, each
    region also against the others (`suppress_across`)."""
    if db.engine.dialect.name == "postgresql":
        # PostgreSQL guesses 100 sectors a profile from json_array_elements_text, so the
        # sector count looks costly enough to JIT-compile, and compiling took longer than
        # running it (1-2 of its 2-4 s a scope with 1,000,000 members, bench/insights.py).
        # For this transaction only: the counting is a few large scans, where JIT gains little.
        db.session.execute(text("SET LOCAL jit = off"))
    region_ids = list(db.session.scalars(select(Place.id).where(
        Place.level == LEVEL_REGION))) if every_region else []
    # The member tables: one scan each for the country and every region at once.
    counted = {table.id: table.per_region(region_ids) for table in TABLES.values()
               if table.per_region is not None}
    national, national_raw = _count_country(counted)
    scopes = {COUNTRY: national}
    regions = {rid: _count_region(rid, national, national_raw, counted) for rid in region_ids}
    for table_id in TABLES:
        suppress_across(national[table_id], national_raw[table_id],
                        {rid: (shown[table_id], raw[table_id])
                         for rid, (shown, raw) in regions.items()})
    for rid, (shown, _raw) in regions.items():
        scopes[region_scope(rid)] = shown
    return scopes


def refresh() -> int:
    """Count every scope again and store it; the number of scopes stored."""
    started = time.perf_counter()
    scopes = count_scopes(every_region=True)
    seconds = time.perf_counter() - started
    now = utcnow()
    existing = {row.scope: row for row in db.session.scalars(select(InsightSnapshot))}
    for scope, tables in scopes.items():
        row = existing.pop(scope, None) or InsightSnapshot(scope=scope)
        row.tables, row.computed_at, row.seconds = tables, now, seconds
        db.session.add(row)
    for gone in existing.values():  # a region no longer in the gazetteer
        db.session.delete(gone)
    db.session.commit()
    forget_unstored()
    return len(scopes)


def refresh_if_due() -> bool:
    """Housekeeping: count again when the stored tables are older than the setting."""
    every = timedelta(seconds=current_app.config.get("INSIGHTS_REFRESH_SECONDS", 900))
    newest = db.session.scalar(select(InsightSnapshot.computed_at)
                               .where(InsightSnapshot.scope == COUNTRY))
    if newest is not None and utcnow() - newest < every:
        return False
    refresh()
    return True


# -- reading -------------------------------------------------------------------------------------


def region_or_none(region_id: int) -> Place | None:
    if not 0 < region_id < 2**31:
        return None
    return db.session.scalar(select(Place).where(Place.id == region_id,
                                                 Place.level == LEVEL_REGION))


def insights(region: Place | None = None) -> Insights:
    """A scope's stored tables. The caller has checked `can(user, "insights.region", region)`
    for a region. Before housekeeping has stored any (a new site), they are counted here and
    kept in this process for INSIGHTS_REFRESH_SECONDS (`_counted_unstored`): a page never
    writes, and a burst of visitors to a new site doesn't count a million members each."""
    scope = COUNTRY if region is None else region_scope(region.id)
    # The tables (tens of KB of JSON) are read and parsed once a count in each process: a
    # page asks only when its scope was last counted.
    by_scope = InsightSnapshot.scope == scope
    computed_at = db.session.scalar(select(InsightSnapshot.computed_at).where(by_scope))
    if computed_at is None:
        computed_at, scopes = _counted_unstored(every_region=region is not None)
        return Insights(region, scopes.get(scope, {}), computed_at)
    kept = current_app.extensions.setdefault(_STORED, {})
    if (scope, computed_at) not in kept:
        if len(kept) > 100:  # counts of earlier refreshes
            kept.clear()
        row = db.session.execute(
            select(InsightSnapshot.computed_at, InsightSnapshot.tables).where(by_scope)).one()
        kept[(scope, row.computed_at)] = _retitled(row.tables)
        computed_at = row.computed_at  # a refresh between the two reads: its tables
    return Insights(region, kept[(scope, computed_at)], computed_at)


_STORED = "mekendesh.insights_stored"


_UNSTORED = "mekendesh.insights_unstored"


def _counted_unstored(*, every_region: bool) -> tuple[datetime, dict[str, dict]]:
    kept = current_app.extensions.setdefault(_UNSTORED, {})
    fresh_for = current_app.config.get("INSIGHTS_REFRESH_SECONDS", 900)
    key = "regions" if every_region else COUNTRY
    if key in kept and time.monotonic() - kept[key][0] < fresh_for:
        return kept[key][1], kept[key][2]
    # A region is suppressed against the others too, so it needs them all counted.
    scopes = count_scopes(every_region=every_region)
    kept[key] = (time.monotonic(), utcnow(), scopes)
    return kept[key][1], scopes


def forget_unstored() -> None:
    """Drop the counts kept in this process (refresh stored newer ones; tests empty the
    database)."""
    current_app.extensions.pop(_UNSTORED, None)
    current_app.extensions.pop("mekendesh.insights_rendered", None)  # views.py
    current_app.extensions.pop(_STORED, None)


def _retitled(tables: dict[str, dict]) -> dict[str, dict]:
    """Stored tables with their titles from today's catalogs (a catalog update shows at once,
    not at the next count)."""
    return {table_id: {**table, "title": in_every_language(TABLES[table_id].title)}
            if table_id in TABLES else table for table_id, table in tables.items()}


def regions_for(user: Any) -> list[Place]:
    """The regions whose own view `user` may open: staff every one, an authority those its
    verified places lie in; nobody else any."""
    if is_staff(user):
        ids = None
    else:
        ids = {place.region_id or place.id for place in verified_places(user)}
        if not ids:
            return []
    query = select(Place).where(Place.level == LEVEL_REGION).order_by(Place.code)
    if ids is not None:
        query = query.where(Place.id.in_(ids))
    return [region for region in db.session.scalars(query) if can(user, "insights.region",
                                                                  region)]


def table_by_id(table_id: str) -> Table | None:
    return TABLES.get(table_id)


# -- downloads -----------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def as_csv(table: dict[str, Any], locale: str) -> str:
    """One table as CSV in `locale`: a header, a row a cell, the total last; "<5" kept as text.
    UTF-8 with a byte order mark, so spreadsheets read Kyrgyz letters right."""
    out = io.StringIO()
    writer = csv.writer(out)
    rates = table["kind"] == "rates"
    header = [_("Key"), _("Label"), _("Count")]
    if rates:
        header += [_("Share answered"), _("Median days to answer")]
    writer.writerow(header)
    for cell in table["cells"]:
        row = [cell["key"], guard(localized_text(cell["label"], locale)), _shown(cell["count"])]
        if rates:
            row += [_shown(cell.get("rate")), _shown(cell.get("median_days"))]
        writer.writerow(row)
    if table["total"] is not None:
        writer.writerow(["total", _("Total"), _shown(table["total"])])
    return BOM + out.getvalue()


def as_json(insights_: Insights, table_ids: list[str]) -> str:
    return json.dumps({
        "region": None if insights_.region is None else {
            "id": insights_.region.id, "name": dict(insights_.region.name)},
        "computed_at": insights_.computed_at.isoformat(),
        "tables": [insights_.tables[table_id] for table_id in table_ids
                   if table_id in insights_.tables],
    }, ensure_ascii=False, indent=1)

"""Insights pages: the country's (public), a region's (its authorities and staff), and each
table as CSV or JSON. Views parse and render; the service decides (permissions via can())."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from diaspora.accounts.permissions import can
from diaspora.extensions import db
from diaspora.insights import charts
from diaspora.insights import service as insights
from diaspora.insights.tables import MONTHLY
from diaspora.main.templating import current_locale
from diaspora.places.models import Place

bp = Blueprint("insights", __name__, url_prefix="/insights")
MAPS = ("members-by-region", "requests-by-place")  # drawn as the map of regions or districts

# The page's sections and their tables, in reading order.
SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_l("Members"), ("members-by-region", "members-by-country", "members-by-return-plan",
                     "members-by-remittances", "investors-by-sector", "members-by-month")),
    (_l("Projects"), ("projects-by-sector", "projects-by-status", "project-answers",
                      "proposals-by-month")),
    (_l("Surveys"), ("survey-participation", "responses-by-month")),
    (_l("Help on return"), ("requests-by-kind", "requests-by-place", "request-answers",
                            "requests-by-month")),
)


def _region_or_404(region_id: int | None) -> Place | None:
    if region_id is None:
        return None
    region = insights.region_or_none(region_id)
    if region is None:
        abort(404)
    if not can(current_user, "insights.region", region):
        abort(403)
    return region


def _chart(table: dict[str, Any], locale: str, codes: dict[str, str]) -> Any:
    if table["kind"] == MONTHLY:
        return charts.months(table, locale)
    if table["id"] in MAPS:
        return charts.tile_map(table, locale, codes)
    return charts.bars(table, locale)


def _codes(stored: insights.Insights) -> dict[str, str]:
    keys = {int(cell["key"]) for table_id in MAPS
            for cell in (stored.table(table_id) or {"cells": []})["cells"]
            if cell["key"].isdigit()}
    return {str(place_id): code for place_id, code in db.session.execute(
        select(Place.id, Place.code).where(Place.id.in_(keys or [-1])))}


def _render(region: Place | None) -> ResponseReturnValue:
    stored = insights.insights(region)
    return render_template("insights/index.html", region=region,
                           sections_html=_sections_html(region, stored, current_locale()),
                           computed_at=stored.computed_at,
                           regions=insights.regions_for(current_user))


_RENDERED = "mekendesh.insights_rendered"


def _sections_html(region: Place | None, stored: insights.Insights, locale: str) -> Markup:
    """The charts and tables of a scope, the same for everyone who may see it: drawn once a
    language and count, then kept in this process (a count replaces them, as its time is in
    the key), so a page costs a template around them, not 16 charts."""
    kept = current_app.extensions.setdefault(_RENDERED, {})
    key = (region.id if region else None, locale, stored.computed_at.isoformat())
    if key not in kept:
        if len(kept) > 100:  # counts of earlier refreshes
            kept.clear()
        codes = _codes(stored)
        sections = []
        for title, table_ids in SECTIONS:
            entries = [{"table": stored.table(table_id),
                        "chart": _chart(stored.table(table_id), locale, codes),
                        "definition": insights.table_by_id(table_id), "wide": table_id in MAPS}
                       for table_id in table_ids if stored.table(table_id) is not None]
            sections.append({"title": title, "entries": entries})
        kept[key] = Markup(render_template(  # noqa: S704  (a Jinja template, autoescaped)
            "insights/_sections.html", region=region, sections=sections, charts=charts))
    return kept[key]


@bp.get("/")
def index() -> ResponseReturnValue:
    return _render(None)


@bp.get("/region/<int:region_id>")
@login_required
def region(region_id: int) -> ResponseReturnValue:
    return _render(_region_or_404(region_id))


@bp.get("/download/<table_id>.<any(csv, json):fmt>")
def download(table_id: str, fmt: str) -> ResponseReturnValue:
    """One table (or `all`, JSON only) of the country, or of `?region=` for those allowed."""
    raw_region = request.args.get("region")
    region_id = None
    if raw_region is not None:
        if not raw_region.isdigit() or len(raw_region) > 10:
            abort(404)
        if not current_user.is_authenticated:
            abort(403)
        region_id = int(raw_region)
    region = _region_or_404(region_id)
    stored = insights.insights(region)
    scope = "" if region is None else f"-region-{region.id}"
    if table_id == "all" and fmt == "json":
        ids = list(stored.tables)
    elif stored.table(table_id) is not None:
        ids = [table_id]
    else:
        abort(404)
    if fmt == "csv":
        body = insights.as_csv(stored.tables[table_id], current_locale())
        mimetype = "text/csv; charset=utf-8"
    else:
        body = insights.as_json(stored, ids)
        mimetype = "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="mekendesh-{table_id}{scope}.{fmt}"')
    return response

"""The open-data API, /api/v1/: read-only JSON for anyone, described by /api/v1/openapi.json.

Every answer is public: `Cache-Control: public, max-age=60`, a strong ETag of the body
(`If-None-Match` -> 304), CORS open to every origin. Requests are rate limited per address
(API_RATE_LIMIT, 60 a minute by default). Errors are JSON (errors.py)."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.api import service
from diaspora.api.errors import (
    BAD_PARAMETER,
    ApiError,
    api_locale,
    render_api_error,
    render_status,
)
from diaspora.api.openapi import document
from diaspora.extensions import limiter
from diaspora.insights import service as insights
from diaspora.insights.tables import TABLES, in_every_language
from diaspora.places.models import LEVEL_COMMUNITY, LEVEL_REGION
from diaspora.projects.models import PUBLIC_STATES

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PREFIX = "/api/"
CACHE_CONTROL = "public, max-age=60"
EXPOSED_HEADERS = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
DEFAULT_RATE_LIMIT = "60 per minute"
_NUMBER = re.compile(r"[0-9]{1,9}")
TAG_MAX = 30  # news_tags.tag


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT


# One limit for the whole API, per client address (behind a proxy: PROXY_FIX_TRUSTED).
limiter.limit(_rate_limit, methods=["GET", "HEAD"])(bp)
bp.register_error_handler(ApiError, render_api_error)


@bp.before_request
def _language_of_this_answer() -> None:
    # Chosen from the request alone (errors.api_locale): Babel's selector would otherwise
    # read the session and load the signed-in member, for an answer that is the same for all.
    g.forced_locale = api_locale()


@bp.after_request
def _open_data_headers(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match, Accept-Language"
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    if response.status_code == 200 and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = CACHE_CONTROL
        # Strong: the same bytes, the same tag (JSON keys are sorted, so equal data gives
        # equal bytes).
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:40])
        response.make_conditional(request)
    return response


# -- parameters ----------------------------------------------------------------------------------


def _bad(name: str, message: Any) -> ApiError:
    return ApiError(400, BAD_PARAMETER, message, parameter=name)


def _number(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise _bad(name, _l("The parameter “%(name)s” must be a whole number from %(low)s to "
                            "%(high)s.", name=name, low=low, high=high))
    return int(raw)


def _choice(name: str, values: Any) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if raw not in values:
        raise _bad(name, _l("The parameter “%(name)s” must be one of: %(values)s.",
                            name=name, values=", ".join(values)))
    return raw


def _paging() -> tuple[int, int]:
    page = _number("page", 1, 1, 1_000_000) or 1
    per_page = _number("per_page", service.DEFAULT_PER_PAGE, 1, service.MAX_PER_PAGE)
    return page, per_page or service.DEFAULT_PER_PAGE


def _page_url(page: int) -> str:
    """The same query with another page. Built with urlencode, not url_for's keywords: a
    parameter named `_external`, `_anchor` or `endpoint` is the asker's text, not ours."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
    base = url_for(request.endpoint or "", **(request.view_args or {}), _external=True)
    return f"{base}?{urlencode([*args, ('page', str(page))])}"


def _list(page: service.Page) -> ResponseReturnValue:
    last = page.pages
    return jsonify({
        "data": page.items,
        "links": {
            "self": _page_url(page.page),
            "first": _page_url(1),
            "last": _page_url(last),
            "prev": _page_url(page.page - 1) if page.page > 1 else None,
            "next": _page_url(page.page + 1) if page.page < last else None,
        },
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total,
                 "pages": last},
    })


def _one(data: dict | None) -> ResponseReturnValue:
    if data is None:
        return render_status(404)
    return jsonify({"data": data})


def _region() -> int | None:
    return _number("region", None, 1, 2_147_483_647)


# -- routes --------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document(url_for("api.openapi", _external=True).rsplit("/", 1)[0]))


@bp.get("/news")
def news_list() -> ResponseReturnValue:
    page, per_page = _paging()
    tag = request.args.get("tag", "").strip() or None
    if tag and len(tag) > TAG_MAX:
        raise _bad("tag", _l("The parameter “%(name)s” is longer than %(max)s characters.",
                             name="tag", max=TAG_MAX))
    return _list(service.news_page(page, per_page, tag=tag, region_id=_region()))


@bp.get("/news/<int:post_id>")
def news_item(post_id: int) -> ResponseReturnValue:
    return _one(service.news_post(post_id))


@bp.get("/projects")
def projects_list() -> ResponseReturnValue:
    page, per_page = _paging()
    return _list(service.projects_page(
        page, per_page, status=_choice("status", PUBLIC_STATES),
        sector=_choice("sector", tuple(INTEREST_SECTORS)), region_id=_region()))


@bp.get("/projects/<int:project_id>")
def project_item(project_id: int) -> ResponseReturnValue:
    return _one(service.project(project_id))


@bp.get("/surveys")
def surveys_list() -> ResponseReturnValue:
    page, per_page = _paging()
    return _list(service.surveys_page(page, per_page))


@bp.get("/surveys/<int:survey_id>")
def survey_item(survey_id: int) -> ResponseReturnValue:
    return _one(service.survey(survey_id))


@bp.get("/places")
def places_list() -> ResponseReturnValue:
    page, per_page = _paging()
    return _list(service.places_page(
        page, per_page, level=_number("level", None, LEVEL_REGION, LEVEL_COMMUNITY),
        parent_id=_number("parent", None, 1, 2_147_483_647)))


@bp.get("/places/<int:place_id>")
def place_item(place_id: int) -> ResponseReturnValue:
    return _one(service.place(place_id))


@bp.get("/insights")
def insights_list() -> ResponseReturnValue:
    return jsonify({"data": [
        {"id": table.id, "title": in_every_language(table.title), "unit": table.unit,
         "url": url_for("api.insight", aggregate_id=table.id, _external=True)}
        for table in TABLES.values()]})


@bp.get("/insights/<aggregate_id>")
def insight(aggregate_id: str) -> ResponseReturnValue:
    """The country's table as the insights page shows it (stored by housekeeping)."""
    table = insights.insights().table(aggregate_id)
    if table is None:
        return render_status(404)
    return jsonify({"data": table})

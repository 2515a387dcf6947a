"""What the open-data API reads, as plain JSON-ready data. Only what the web shows anyone
who is not logged in, and never a person: no e-mail, no account id, no member's name, no
author of a post, no proposer of a project (only whether a compatriot or the local
authority posted it, as the project page says), no survey answer.

Each list is a page of an ordered, indexed query; the rows a page needs beyond its own
table (places, question counts) are read in one query for the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import defer, lazyload, undefer

from diaspora.delivery.audience import EVERYONE
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.models import utcnow
from diaspora.news.models import PUBLISHED as POST_PUBLISHED
from diaspora.news.models import NewsPost, NewsTag
from diaspora.places.models import Place
from diaspora.projects.models import PUBLIC_STATES, Project
from diaspora.surveys.models import Survey, SurveyQuestion
from diaspora.surveys.results import MIN_CELL, SUPPRESSED
from diaspora.surveys.service import _live_condition

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass
class Page:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def texts(value: Mapping[str, str] | None) -> dict[str, str]:
    """A translatable field, its languages only (no stray keys), empty ones left out."""
    value = value or {}
    return {code: value[code] for code in SUPPORTED_LOCALES
            if isinstance(value.get(code), str) and value[code].strip()}


def when(moment: datetime | None) -> str | None:
    """UTC, ISO 8601 with a Z."""
    if moment is None:
        return None
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def small(n: int) -> int | str:
    """A count of people: "<5" for 1 to 4."""
    return SUPPRESSED if 0 < n < MIN_CELL else n


def _paginate(query: Any, page: int, per_page: int) -> tuple[list, int]:
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return list(result.items), int(result.total or 0)


def _place_refs(ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    wanted = {pid for pid in ids if pid}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Place.id, Place.level, Place.name).where(Place.id.in_(wanted))).all()
    return {pid: {"id": pid, "level": level, "name": texts(name)} for pid, level, name in rows}


# -- news ----------------------------------------------------------------------------------------


def _news_query() -> Any:
    return (select(NewsPost).where(NewsPost.status == POST_PUBLISHED)
            .options(defer(NewsPost.body), lazyload(NewsPost.author), lazyload(NewsPost.place),
                     lazyload(NewsPost.audience_places), lazyload(NewsPost.audience_countries))
            .order_by(NewsPost.published_at.desc(), NewsPost.id.desc()))


def _news_data(post: NewsPost, places: Mapping[int, dict], *, full: bool = False) -> dict:
    data = {
        "id": post.id,
        "title": texts(post.title),
        "summary": texts(post.body_summary),
        "tags": post.tags,
        "place": places.get(post.place_id) if post.place_id else None,
        "published_at": when(post.published_at),
        "image_url": url_for("news.image", image_id=post.image_id, _external=True)
        if post.image_id else None,
        "url": url_for("news.show", post_id=post.id, _external=True),
    }
    if full:
        data["body_html"] = texts(post.body_html)
    return data


def news_page(page: int, per_page: int, *, tag: str | None = None,
              region_id: int | None = None) -> Page:
    query = _news_query()
    if tag:
        query = query.where(exists().where(NewsTag.post_id == NewsPost.id, NewsTag.tag == tag))
    if region_id:
        query = query.where(NewsPost.place_id.in_(
            select(Place.id).where(or_(Place.id == region_id, Place.region_id == region_id))))
    posts, total = _paginate(query, page, per_page)
    places = _place_refs(post.place_id for post in posts)
    return Page([_news_data(post, places) for post in posts], page, per_page, total)


def news_post(post_id: int) -> dict | None:
    post = db.session.scalar(_news_query().where(NewsPost.id == post_id)
                             .options(undefer(NewsPost.body_html)))
    if post is None:
        return None
    return _news_data(post, _place_refs([post.place_id]), full=True)


# -- projects ------------------------------------------------------------------------------------


def _projects_query() -> Any:
    return (select(Project).where(Project.status.in_(PUBLIC_STATES))
            .options(lazyload(Project.proposer), lazyload(Project.place),
                     lazyload(Project.budget_items), lazyload(Project.photos))
            .order_by(Project.published_at.desc(), Project.id.desc()))


def _project_data(project: Project, places: Mapping[int, dict], *, full: bool = False) -> dict:
    data = {
        "id": project.id,
        "title": project.title,
        "summary": project.summary,
        "language": project.language,
        "sector": project.sector,
        "status": project.status,
        # Who posted it, as the project page says it: never which member.
        "origin": project.origin,
        "place": places.get(project.place_id),
        "region_id": project.region_id,
        "supporters": small(project.supporters or 0),
        "published_at": when(project.published_at),
        "url": url_for("projects.show", project_id=project.id, _external=True),
    }
    if full:
        data.update({
            "description_html": project.description_html or "",
            "contributions": list(project.contributions or []),
            "budget_som": project.budget_total,
            "raised_som": project.raised_som,
            "spent_som": project.spent_som,
            "photo_urls": [url_for("projects.photo", photo_id=photo.id, _external=True)
                           for photo in project.photos],
        })
    return data


def projects_page(page: int, per_page: int, *, status: str | None = None,
                  sector: str | None = None, region_id: int | None = None) -> Page:
    query = _projects_query()
    if status:
        query = query.where(Project.status == status)
    if sector:
        query = query.where(Project.sector == sector)
    if region_id:
        query = query.where(Project.region_id == region_id)
    projects, total = _paginate(query, page, per_page)
    places = _place_refs(project.place_id for project in projects)
    return Page([_project_data(project, places) for project in projects], page, per_page, total)


def project(project_id: int) -> dict | None:
    found = db.session.scalar(_projects_query().where(Project.id == project_id))
    if found is None:
        return None
    return _project_data(found, _place_refs([found.place_id]), full=True)


# -- surveys -------------------------------------------------------------------------------------


def _surveys_query() -> Any:
    """Surveys open now and meant for everyone: what a visitor sees on /surveys/."""
    return (select(Survey).where(_live_condition(utcnow()), Survey.audience == EVERYONE)
            .options(lazyload(Survey.questions), lazyload(Survey.audience_places),
                     lazyload(Survey.audience_countries))
            .order_by(func.coalesce(Survey.opens_at, Survey.opened_at).desc(), Survey.id.desc()))


def _question_counts(ids: list[int]) -> dict[int, int]:
    return {sid: int(n) for sid, n in db.session.execute(
        select(SurveyQuestion.survey_id, func.count(SurveyQuestion.id))
        .where(SurveyQuestion.survey_id.in_(ids or [-1])).group_by(SurveyQuestion.survey_id))}


def _survey_data(survey: Survey, counts: Mapping[int, int]) -> dict:
    return {
        "id": survey.id,
        "title": texts(survey.title),
        "intro": texts(survey.intro),
        "anonymous": bool(survey.anonymous),
        "opens_at": when(survey.opens_at or survey.opened_at),
        "closes_at": when(survey.closes_at),
        "question_count": counts.get(survey.id, 0),
        "url": url_for("surveys.answer", survey_id=survey.id, _external=True),
    }


def surveys_page(page: int, per_page: int) -> Page:
    surveys, total = _paginate(_surveys_query(), page, per_page)
    counts = _question_counts([survey.id for survey in surveys])
    return Page([_survey_data(survey, counts) for survey in surveys], page, per_page, total)


def survey(survey_id: int) -> dict | None:
    found = db.session.scalar(_surveys_query().where(Survey.id == survey_id))
    if found is None:
        return None
    return _survey_data(found, _question_counts([found.id]))


# -- places --------------------------------------------------------------------------------------


def _place_data(place: Place) -> dict:
    return {
        "id": place.id,
        "code": place.code,
        "soate": place.soate,
        "level": place.level,
        "kind": place.kind,
        "name": texts(place.name),
        "former_name": texts(place.former) if place.former else None,
        "parent_id": place.parent_id,
        "region_id": place.region_id,
        "district_id": place.district_id,
    }


def _places_query() -> Any:
    return select(Place).options(lazyload(Place.parent)).order_by(Place.level, Place.code)


def places_page(page: int, per_page: int, *, level: int | None = None,
                parent_id: int | None = None) -> Page:
    query = _places_query()
    if level:
        query = query.where(Place.level == level)
    if parent_id:
        query = query.where(Place.parent_id == parent_id)
    places, total = _paginate(query, page, per_page)
    return Page([_place_data(place) for place in places], page, per_page, total)


def place(place_id: int) -> dict | None:
    found = db.session.scalar(_places_query().where(Place.id == place_id))
    return None if found is None else _place_data(found)

"""Audiences: who an item (a news post, a survey, a project, ...) is for — written once,
used in both directions.

An audience is one kind and its parameters:

* everyone;
* home places: natives of the listed regions, districts or communities (a region covers
  its districts and communities, a district its communities);
* countries: members living in the listed countries;
* returning: members who plan to come back (within a year, or later);
* authorities: the verified authorities of the listed places.

`_matching` states, per kind, what a member (User, Profile and their home place) must be.
From that one definition:

* `members(audience)` — SELECT of the ids of the reachable members an item reaches, for the
  outbox's set-based `INSERT ... SELECT` (`count_members` counts them);
* `visible_to(member, columns)` — a filter over the items of a table that stores its
  audience as a kind column plus place and country link tables (`AudienceColumns`): the
  items meant for `member`, e.g. the bot's news feed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import aliased

from diaspora.accounts.models import AuthorityPlace, Profile, User
from diaspora.delivery.states import reachable_sql
from diaspora.extensions import db
from diaspora.places.models import Place

EVERYONE, HOME, COUNTRY, RETURNING, AUTHORITIES = (
    "everyone", "home", "country", "return", "authorities",
)
AUDIENCE_KINDS = (EVERYONE, HOME, COUNTRY, RETURNING, AUTHORITIES)


class AudienceLinks:
    """For a model that keeps its audience's places and countries in link tables (its
    `audience_places` and `audience_countries` relationships): the ids and codes forms and
    `visible_to` read."""

    @property
    def place_ids(self) -> list[int]:
        return [row.place_id for row in self.audience_places]  # type: ignore[attr-defined]

    @property
    def country_codes(self) -> list[str]:
        return [row.country_code for row in self.audience_countries]  # type: ignore[attr-defined]
RETURNING_PLANS = ("within_year", "later")

# The member's home place. Its region_id and district_id are denormalised, so "home in
# place P" is `P in (home.id, home.district_id, home.region_id)`.
HomePlace = aliased(Place, name="home_place")


@dataclass(frozen=True)
class Audience:
    """Who an item is for. `place_ids` matter for HOME and AUTHORITIES, `country_codes` for
    COUNTRY."""

    kind: str = EVERYONE
    place_ids: tuple[int, ...] = field(default=())
    country_codes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in AUDIENCE_KINDS:
            raise ValueError(f"unknown audience kind {self.kind!r}")
        object.__setattr__(self, "place_ids", tuple(self.place_ids))
        object.__setattr__(self, "country_codes", tuple(self.country_codes))


@dataclass(frozen=True)
class AudienceColumns:
    """Where a table of items keeps its audience: a kind column, and link tables holding
    the places (item id, place id) and the countries (item id, country code)."""

    item_id: Any
    kind: Any
    place_item_id: Any
    place_id: Any
    country_item_id: Any
    country_code: Any


PlaceTest = Callable[[list[Any]], ColumnElement[bool]]
CountryTest = Callable[[Any], ColumnElement[bool]]


def _matching(places_include: PlaceTest, countries_include: CountryTest
              ) -> dict[str, ColumnElement[bool]]:
    """For each kind, the condition on (User, Profile, HomePlace) of a member it reaches.

    `places_include(exprs)` is true when the audience's places include any of `exprs`;
    `countries_include(expr)` when its countries include `expr`."""
    return {
        EVERYONE: true(),
        HOME: places_include([HomePlace.id, HomePlace.district_id, HomePlace.region_id]),
        COUNTRY: countries_include(Profile.country_code),
        RETURNING: Profile.return_plan.in_(RETURNING_PLANS),
        AUTHORITIES: exists().where(
            AuthorityPlace.user_id == User.id,
            AuthorityPlace.verified_at.is_not(None),
            places_include([AuthorityPlace.place_id]),
        ),
    }


def _members_with_places() -> Select:
    return (
        select(User.id)
        .select_from(User)
        .outerjoin(Profile, Profile.user_id == User.id)
        .outerjoin(HomePlace, HomePlace.id == Profile.home_place_id)
    )


# -- the members an item reaches ---------------------------------------------------------------


def condition(audience: Audience) -> ColumnElement[bool]:
    """The condition on (User, Profile, HomePlace) of the members `audience` reaches."""
    place_ids = list(audience.place_ids)
    codes = list(audience.country_codes)

    def places_include(exprs: list[Any]) -> ColumnElement[bool]:
        return or_(*(expr.in_(place_ids) for expr in exprs)) if place_ids else false()

    def countries_include(expr: Any) -> ColumnElement[bool]:
        return expr.in_(codes) if codes else false()

    return _matching(places_include, countries_include)[audience.kind]


def members(audience: Audience, *conditions: ColumnElement[bool],
            broadcast: bool = True) -> Select:
    """SELECT users.id of the reachable members `audience` reaches (and `conditions`, e.g. a
    feature's notification preference on Profile): the source of the outbox's
    `INSERT ... SELECT`. `broadcast=False` keeps members who paused broadcasts."""
    return _members_with_places().where(
        *reachable_sql(broadcast=broadcast), condition(audience), *conditions
    )


def count_members(audience: Audience, *conditions: ColumnElement[bool]) -> int:
    subquery = members(audience, *conditions).subquery()
    return db.session.scalar(select(func.count()).select_from(subquery)) or 0


# -- the items a member should see -------------------------------------------------------------


def visible_to(member: Any, columns: AudienceColumns) -> ColumnElement[bool]:
    """A condition on the items of `columns`' table: those whose audience includes `member`
    (a User; None or an anonymous visitor sees the items for everyone)."""
    member_id = getattr(member, "id", None)
    if member_id is None:
        return columns.kind == EVERYONE

    # The link tables are the only FROMs of their EXISTS: the item and the member come
    # from the enclosing queries, however deeply nested.
    def places_include(exprs: list[Any]) -> ColumnElement[bool]:
        return exists().where(columns.place_item_id == columns.item_id,
                              columns.place_id.in_(exprs)
                              ).correlate_except(columns.place_item_id.table)

    def countries_include(expr: Any) -> ColumnElement[bool]:
        return exists().where(columns.country_item_id == columns.item_id,
                              columns.country_code == expr
                              ).correlate_except(columns.country_item_id.table)

    matching = _matching(places_include, countries_include)
    by_kind = or_(*(and_(columns.kind == kind, test) for kind, test in matching.items()))
    return or_(
        columns.kind == EVERYONE,
        _members_with_places().where(User.id == member_id, by_kind).exists(),
    )


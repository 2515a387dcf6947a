"""Gazetteer operations: loading the shipped data, listing, moderators adding communities."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import lazyload

from diaspora.accounts.permissions import require
from diaspora.errors import ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.moderation import audit
from diaspora.places.models import Place, display_name
from diaspora.places.names import fold, name_key

if TYPE_CHECKING:
    from diaspora.accounts.models import User

GAZETTEER_FILE = Path(__file__).parent / "data" / "gazetteer.json"


def load_gazetteer(path: Path = GAZETTEER_FILE) -> dict[str, int]:
    """Insert or update the shipped gazetteer in place. Running it again changes nothing.

    A row is found by its code, or else by its SOATE code (a place the data renamed keeps
    its row): ids stay, so profiles, authorities and audiences keep their places. Rows the
    data no longer lists, and communities moderators added, are left as they are."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = list(db.session.scalars(select(Place)))
    by_code = {place.code: place for place in rows}
    by_soate = {place.soate: place for place in rows if place.soate}
    counts = {"created": 0, "updated": 0}

    def upsert(node: dict, parent: Place | None) -> Place:
        # The depth decides the level: a "city" may be a region (Bishkek) or a district (Karakol).
        level = 1 if parent is None else parent.level + 1
        soate = node.get("soate") or None
        former = dict(node["former"]) if node.get("former") else None
        place = by_code.get(node["code"]) or (by_soate.get(soate) if soate else None)
        if place is None:
            place = Place(code=node["code"])
            db.session.add(place)
            counts["created"] += 1
        elif (place.code, place.name, place.kind, place.level, place.soate, place.former,
              place.parent_id) != (node["code"], node["name"], node["kind"], level, soate,
                                   former, parent.id if parent else None):
            counts["updated"] += 1
        by_code[node["code"]] = place
        place.code = node["code"]
        place.kind = node["kind"]
        place.level = level
        place.name = dict(node["name"])
        place.soate = soate
        place.former = former
        place.parent = parent
        if place.id is None:
            db.session.flush()
        _set_ancestors(place, parent)
        return place

    for region_node in data["regions"]:
        region = upsert(region_node, None)
        for district_node in region_node.get("districts", []):
            district = upsert(district_node, region)
            for community_node in district_node.get("communities", []):
                upsert(community_node, district)
    db.session.commit()
    return counts


def _set_ancestors(place: Place, parent: Place | None) -> None:
    place.parent_id = parent.id if parent else None
    if place.level == 1:
        place.region_id, place.district_id = place.id, None
    elif place.level == 2:
        place.region_id, place.district_id = parent.region_id, place.id
    else:
        place.region_id, place.district_id = parent.region_id, parent.district_id


def get_place(place_id: int | None) -> Place | None:
    if not place_id:
        return None
    return db.session.get(Place, place_id)


def regions() -> list[Place]:
    # A region has no parent: no join to load one (the relationship's default).
    return list(db.session.scalars(
        select(Place).options(lazyload(Place.parent)).where(Place.level == 1)
        .order_by(Place.code)))


def children(place: Place) -> list[Place]:
    # Their parent is `place`, already loaded: no join to load it again for each child.
    return list(db.session.scalars(
        select(Place).options(lazyload(Place.parent)).where(Place.parent_id == place.id)
        .order_by(Place.code)))


PlaceGroups = list[tuple[str, list[tuple[int, str]]]]

# The grouped choices and their rendered <optgroup>s, per locale, built once per version of
# the gazetteer in each worker process: building them loads and sorts every place (tens of
# milliseconds a request, most of the survey answer form's cost).
_choices_cache: dict[tuple[str, int], PlaceGroups] = {}
_options_html_cache: dict[tuple[str, int], str] = {}


def _gazetteer_rows() -> tuple[int, list[tuple[int, int | None, str, str | None]]]:
    """Every place's id, parent and names as their stored JSON text, and a fingerprint of
    them all. The JSON stays text (not decoded, no ORM objects): reading it is well under a
    millisecond, so every request can tell whether a community was added, a place renamed or
    moved, in whichever worker or process it happened."""
    rows = [tuple(row) for row in db.session.execute(
        select(Place.id, Place.parent_id, cast(Place.name, Text), cast(Place.former, Text))
        .order_by(Place.id))]
    # hash(), not a digest: the version only ever meets versions of the same process.
    return hash(tuple(rows)), rows


def _build_groups(rows: list[tuple[int, int | None, str, str | None]],
                  locale: str) -> PlaceGroups:
    names: dict[int, str] = {}
    by_parent: dict[int | None, list[int]] = {}
    for place_id, parent_id, name, former in rows:
        names[place_id] = display_name(json.loads(name), json.loads(former) if former
                                       else None, locale)
        by_parent.setdefault(parent_id, []).append(place_id)

    def sorted_ids(parent_id: int | None) -> list[int]:
        # Ties keep the ids' order, as the ORM query (ordered by level, id) did.
        return sorted(by_parent.get(parent_id, []), key=lambda pid: names[pid].casefold())

    groups = []
    for region in sorted_ids(None):
        options = [(region, names[region])]
        for district in sorted_ids(region):
            options.append((district, "— " + names[district]))
            for community in sorted_ids(district):
                options.append((community, "—— " + names[community]))
        groups.append((names[region], options))
    return groups


def _cached_groups(locale: str) -> tuple[int, PlaceGroups]:
    version, rows = _gazetteer_rows()
    key = (locale, version)
    groups = _choices_cache.get(key)
    if groups is None:
        groups = _build_groups(rows, locale)
        # A new version makes the older ones useless: keep only the current one.
        for old in [k for k in _choices_cache if k[1] != version]:
            _choices_cache.pop(old, None)
        _choices_cache[key] = groups
    return version, groups


def grouped_place_choices(locale: str) -> PlaceGroups:
    """Every place, grouped by region, for one <select> that works without JavaScript.

    Shared between requests: callers must not change the lists."""
    return _cached_groups(locale)[1]


def place_options_html(locale: str, selected: object = None) -> Markup:
    """The <optgroup>s of grouped_place_choices as HTML, `selected` (a place id) marked.

    Rendered once per locale and gazetteer version; marking the one chosen place is a string
    replacement of its unique `value="<id>">`."""
    version, groups = _cached_groups(locale)
    key = (locale, version)
    html = _options_html_cache.get(key)
    if html is None:
        html = "".join(
            f'<optgroup label="{escape(group)}">'
            + "".join(f'<option value="{value}">{escape(label)}</option>'
                      for value, label in options)
            + "</optgroup>"
            for group, options in groups)
        for old in [k for k in _options_html_cache if k[1] != version]:
            _options_html_cache.pop(old, None)
        _options_html_cache[key] = html
    chosen = str(selected) if selected is not None else ""
    if chosen.isdigit():
        html = html.replace(f'<option value="{chosen}">', f'<option value="{chosen}" selected>',
                            1)
    return Markup(html)  # noqa: S704 - every text in it went through escape()


MIN_SEARCH = 2
MAX_SEARCH = 60


def search_places(text: str, *, limit: int = 10, min_level: int = 1) -> list[Place]:
    """Places whose name, in any language and former names included, matches what a member
    typed: the whole name first, then names a word of which starts with it, then the rest."""
    query = name_key(text[:MAX_SEARCH])
    if len(query) < MIN_SEARCH:
        return []
    # The database finds the rows whose stored keys contain the query (a scan of one short
    # text column); only those are ranked here.
    rows = db.session.execute(
        select(Place.id, Place.level, Place.search_key).where(
            Place.level >= min_level,
            Place.search_key.like(f"%{_like(query)}%", escape="\\"),
        )
    )
    ranked: list[tuple[int, int, int]] = []
    for place_id, level, stored in rows:
        best = None
        for key in (stored or "").split("\n"):
            if key == query:
                rank = 0
            elif key.startswith(query) or f" {query}" in f" {key}":
                rank = 1
            elif query in key:
                rank = 2
            else:
                continue
            best = rank if best is None else min(best, rank)
        if best is not None:
            ranked.append((best, -level, place_id))
    ranked.sort()
    ids = [place_id for _, _, place_id in ranked[:limit]]
    found = {p.id: p for p in db.session.scalars(select(Place).where(Place.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "place"


def add_community(actor: User, district: Place, names: dict[str, str]) -> Place:
    """A moderator adds a community (aiyl aimak, village, town) below a district."""
    require(actor, "places.add_community")
    place = _new_community(actor, district, names)
    audit.record(actor, "place.add_community", place,
                 after={"code": place.code, "name": place.name})
    db.session.commit()
    return place


def _new_community(actor: User, district: Place | None, names: dict[str, str]) -> Place:
    if district is None or district.level != 2:
        raise ValidationError(_l("Choose the district the community belongs to."), field="district")
    clean = {code: " ".join((names.get(code) or "").split()) for code in SUPPORTED_LOCALES}
    if not any(clean.values()):
        raise ValidationError(_l("Give the community's name in at least one language."))
    if any(len(text) > MAX_NAME for text in clean.values()):
        raise ValidationError(_l("A name of a place is at most 120 characters."))
    clean = {code: text for code, text in clean.items() if text}
    base = f"{district.code}-{_slug(clean.get('en') or next(iter(clean.values())))}"
    code, n = base, 1
    while db.session.scalar(select(Place.id).where(Place.code == code)):
        n += 1
        code = f"{base}-{n}"
    place = Place(
        code=code,
        kind="community",
        level=3,
        name=clean,
        parent_id=district.id,
        region_id=district.region_id,
        district_id=district.id,
        added_by_id=actor.id,
    )
    db.session.add(place)
    db.session.flush()
    return place


MAX_NAME = 120


# -- villages members typed ------------------------------------------------------------------


@dataclass(frozen=True)
class TypedVillage:
    district: Place
    village: str  # the spelling most members typed
    key: str  # what the spellings have in common (see village_key)
    members: int


def village_key(text: str | None) -> str:
    """Spellings of one village meet: case, spaces, hyphens and ё/е ignored."""
    return fold(text or "")


def typed_villages(min_members: int = 1) -> list[TypedVillage]:
    """Villages members typed beside their home place, counted per district, most typed
    first: the moderators' list of villages that may deserve a place of their own.
    Members whose home is a region only have no district to put a village in."""
    from diaspora.accounts.models import Profile

    rows = db.session.execute(
        select(Place.district_id, Profile.home_village, func.count())
        .join(Place, Place.id == Profile.home_place_id)
        .where(Profile.home_village.is_not(None), Place.district_id.is_not(None))
        .group_by(Place.district_id, Profile.home_village)
    )
    grouped: dict[tuple[int, str], Counter[str]] = {}
    for district_id, village, count in rows:
        grouped.setdefault((district_id, village_key(village)), Counter())[village] += count
    districts = {
        d.id: d for d in db.session.scalars(
            select(Place).where(Place.id.in_({district_id for district_id, _ in grouped}))
        )
    }
    found = [
        TypedVillage(districts[district_id], spellings.most_common(1)[0][0], key,
                     sum(spellings.values()))
        for (district_id, key), spellings in grouped.items()
        if key and sum(spellings.values()) >= min_members
    ]
    found.sort(key=lambda v: (-v.members, v.village.casefold()))
    return found


def promote_village(
    actor: User, district: Place | None, village: str, names: dict[str, str]
) -> tuple[Place, int]:
    """Make a village members typed a community of the gazetteer below `district`, and move
    the home place of those members (home in that district, same village typed) to it.
    Returns the new place and how many members moved."""
    from diaspora.accounts.models import Profile

    require(actor, "places.promote_village")
    key = village_key(village)
    if not key:
        raise ValidationError(_l("Choose a village from the list."), field="village")
    place = _new_community(actor, district, names)
    in_district = select(Place.id).where(Place.district_id == district.id)
    profiles = [
        profile for profile in db.session.scalars(
            select(Profile).where(Profile.home_village.is_not(None),
                                  Profile.home_place_id.in_(in_district))
        )
        if village_key(profile.home_village) == key
    ]
    for profile in profiles:
        profile.home_place_id = place.id
    audit.record(actor, "place.promote_village", place, after={
        "code": place.code, "name": place.name, "village": village,
        "members_moved": len(profiles),
    })
    db.session.commit()
    return place, len(profiles)

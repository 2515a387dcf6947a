"""Gazetteer operations: loading the shipped data, listing, moderators adding communities."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diaspora.accounts.permissions import require
from diaspora.errors import ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.moderation import audit
from diaspora.places.models import Place

if TYPE_CHECKING:
    from diaspora.accounts.models import User

GAZETTEER_FILE = Path(__file__).parent / "data" / "gazetteer.json"


def load_gazetteer(path: Path = GAZETTEER_FILE) -> dict[str, int]:
    """Insert or update the shipped gazetteer. Running it again changes nothing."""
    data = json.loads(path.read_text(encoding="utf-8"))
    existing = {place.code: place for place in db.session.scalars(select(Place))}
    counts = {"created": 0, "updated": 0}

    def upsert(node: dict, parent: Place | None) -> Place:
        # The depth decides the level: a "city" may be a region (Bishkek) or a district (Karakol).
        level = 1 if parent is None else parent.level + 1
        place = existing.get(node["code"])
        if place is None:
            place = Place(code=node["code"])
            db.session.add(place)
            existing[node["code"]] = place
            counts["created"] += 1
        elif place.name != node["name"] or place.kind != node["kind"] or place.level != level:
            counts["updated"] += 1
        place.kind = node["kind"]
        place.level = level
        place.name = dict(node["name"])
        place.parent = parent
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
    return list(db.session.scalars(select(Place).where(Place.level == 1).order_by(Place.code)))


def children(place: Place) -> list[Place]:
    return list(
        db.session.scalars(select(Place).where(Place.parent_id == place.id).order_by(Place.code))
    )


def grouped_place_choices(locale: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Every place, grouped by region, for one <select> that works without JavaScript."""
    places = list(db.session.scalars(select(Place).order_by(Place.level, Place.id)))
    by_parent: dict[int | None, list[Place]] = {}
    for place in places:
        by_parent.setdefault(place.parent_id, []).append(place)

    def sort_key(place: Place) -> str:
        return place.display_name(locale).casefold()

    groups = []
    for region in sorted(by_parent.get(None, []), key=sort_key):
        options = [(region.id, region.display_name(locale))]
        for district in sorted(by_parent.get(region.id, []), key=sort_key):
            options.append((district.id, "— " + district.display_name(locale)))
            for community in sorted(by_parent.get(district.id, []), key=sort_key):
                options.append((community.id, "—— " + community.display_name(locale)))
        groups.append((region.display_name(locale), options))
    return groups


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "place"


def add_community(actor: User, district: Place, names: dict[str, str]) -> Place:
    """A moderator adds a community (aiyl aimak, village, town) below a district."""
    require(actor, "places.add_community")
    if district is None or district.level != 2:
        raise ValidationError(_l("Choose the district the community belongs to."), field="district")
    clean = {code: (names.get(code) or "").strip() for code in SUPPORTED_LOCALES}
    if not any(clean.values()):
        raise ValidationError(_l("Give the community's name in at least one language."))
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
    audit.record(actor, "place.add_community", place, after={"code": code, "name": clean})
    db.session.commit()
    return place

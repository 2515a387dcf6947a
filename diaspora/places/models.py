from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.i18n import localized_text
from diaspora.models import UTCDateTime, utcnow
from diaspora.places.names import search_key

# Levels: 1 region or republican city, 2 district or regional city, 3 community.
LEVEL_REGION, LEVEL_DISTRICT, LEVEL_COMMUNITY = 1, 2, 3


def display_name(name: dict | None, former: dict | None, locale: str) -> str:
    """A place's name in `locale`, with the former one for renamed places."""
    text = localized_text(name, locale)
    if not former:
        return text
    with force_locale(locale):
        return str(_l("%(name)s (formerly %(former)s)", name=text,
                      former=localized_text(former, locale)))


class Place(db.Model):
    """A place in Kyrgyzstan: a region or republican city, a district, or a community.

    `region_id` and `district_id` repeat the ancestors so that audiences ("members whose home
    is in these regions") are one join, not a walk up the tree.
    """

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[int]
    name: Mapped[dict] = mapped_column(JSON)
    # The 14-digit code of the classifier of territorial units (СОАТЕ), where it has one.
    soate: Mapped[str | None] = mapped_column(String(14), index=True)
    # The name before a renaming ({"ky": "Жалал-Абад", ...}): shown beside the name and found
    # by search, since members still say the old one.
    former: Mapped[dict | None] = mapped_column(JSON)
    # Every name folded (places.names.search_key), kept in step with `name` and `former` by
    # the events below: what search_places matches in SQL.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    # Set for communities a moderator added; gazetteer rows come from the shipped data.
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Place | None] = relationship(
        remote_side="Place.id", foreign_keys=[parent_id], lazy="joined", join_depth=2
    )

    def display_name(self, locale: str) -> str:
        """The name, with the former one for renamed places: "Манас (мурдагы Жалал-Абад)"."""
        return display_name(self.name, self.former, locale)

    def names(self) -> list[str]:
        """Every name the place is known by, in any language, former names included."""
        return [text for value in (self.name, self.former or {}) for text in value.values() if text]

    def full_name(self, locale: str) -> str:
        """ "Kochkor District, Naryn Region" — the place with its ancestors."""
        parts = [self.display_name(locale)]
        node = self.parent
        while node is not None:
            parts.append(node.display_name(locale))
            node = node.parent
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"<Place {self.code}>"


@event.listens_for(Place, "before_insert")
@event.listens_for(Place, "before_update")
def _keep_search_key(_mapper: object, _connection: object, place: Place) -> None:
    place.search_key = search_key(place.names())

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.i18n import localized_text
from diaspora.models import UTCDateTime, utcnow

# Levels: 1 region or republican city, 2 district or regional city, 3 community.
LEVEL_REGION, LEVEL_DISTRICT, LEVEL_COMMUNITY = 1, 2, 3


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
        return localized_text(self.name, locale)

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

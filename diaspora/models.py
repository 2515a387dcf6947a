"""Column helpers shared by the feature packages' models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, Integer, LargeBinary, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from diaspora.images import ProcessedImage


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# Translatable content: {"ky": ..., "ru": ..., "en": ...}
TranslatedText = JSON


class StoredImage:
    """The columns of an image kept in the database (after diaspora.images.process_image), so
    every web host can serve it: a news post's image, a project's and an update's photos. The
    bytes are loaded only when served.

    With it, its renditions 480 and 960 px wide (diaspora.images.RENDITION_WIDTHS), each
    made only when the image is wider; `renditions` lists the widths made ("" for an image
    too narrow for any), NULL for a row stored before renditions existed, until `flask
    images-renditions` makes them (pages then offer only the full image)."""

    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    data_480: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    data_960: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    renditions: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def from_processed(cls, processed: ProcessedImage, **values: Any) -> Any:
        """A row of `processed` (diaspora.images.process_image's output) with its renditions."""
        row = cls(content_type=processed.content_type, width=processed.width,
                  height=processed.height, size=len(processed.data), data=processed.data,
                  **values)
        row.set_renditions(processed.renditions)
        return row

    def set_renditions(self, renditions: dict[int, bytes]) -> None:
        self.data_480 = renditions.get(480)
        self.data_960 = renditions.get(960)
        self.renditions = ",".join(str(width) for width in sorted(renditions))

    def rendition_widths_made(self) -> list[int]:
        return [int(width) for width in (self.renditions or "").split(",") if width]

    def bytes_for(self, width: int | None) -> bytes | None:
        """The bytes to serve for `?w=width`: that rendition, or the full image when it is
        not wider (so no rendition was made) or its renditions are not made yet. Only the
        chosen column is loaded."""
        if width is not None and width in self.rendition_widths_made():
            return getattr(self, f"data_{width}")
        return self.data

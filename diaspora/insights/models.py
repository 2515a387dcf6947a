"""The insights' precomputed tables: one row a scope (the whole country, or one region),
refreshed by housekeeping, so a page reads one row instead of counting a million members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow

COUNTRY = "country"


def region_scope(region_id: int) -> str:
    return f"region:{region_id}"


class InsightSnapshot(db.Model):
    __tablename__ = "insight_snapshots"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)  # COUNTRY or region:<id>
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long the counting took
    tables: Mapped[dict] = mapped_column(JSON, default=dict)  # table id -> suppressed table

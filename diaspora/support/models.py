"""Returnees' support requests and the local services directory.

A request is a member's ask for help on return, sent to the verified authorities of its place
(and of the district and region it lies in). Its thread (`SupportMessage`) holds what the
authority answered, the services it referred the member to, the member's replies and the
closing note. Requests are personal data of the requester: only they, the authorities of the
place and staff ever see one (permissions.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow

# States of a request: waiting for an authority's (next) answer, answered, closed.
WAITING, ANSWERED, CLOSED = "waiting", "answered", "closed"
STATES = (WAITING, ANSWERED, CLOSED)

# What a message of the thread is.
ANSWER, REFERRAL, REPLY, CLOSING = "answer", "referral", "reply", "closing"

CONTACT_CHANNELS = ("telegram", "phone", "email")


class SupportService(db.Model):
    """A local service (a job centre, a legal aid office, a clinic...) of a place's directory."""

    __tablename__ = "support_services"
    __table_args__ = (Index("ix_support_services_place_kind", "place_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    languages: Mapped[list] = mapped_column(JSON, default=list)  # locale codes: ky, ru, en
    hours: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    place = relationship("Place", lazy="joined")


class SupportRequest(db.Model):
    __tablename__ = "support_requests"
    __table_args__ = (
        # The authorities' queue (by place, district, region) and the staff's (all), oldest
        # first; the 14-day flag reads the unanswered ones by age.
        Index("ix_support_requests_status_created", "status", "created_at"),
        Index("ix_support_requests_unanswered", "first_answered_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    # Denormalised from the place, so an authority's queue filters on one table.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="ky")
    contact_channel: Mapped[str] = mapped_column(String(10), default="telegram")
    contact_value: Mapped[str] = mapped_column(String(200), default="")
    women_services: Mapped[bool] = mapped_column(Boolean, default=False)
    children_services: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Since when the member waits for the authority (creation, or their latest reply);
    # None while the ball is in the member's court.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    place = relationship("Place", foreign_keys=[place_id], lazy="joined")
    requester = relationship("User", foreign_keys=[requester_id])
    messages: Mapped[list[SupportMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SupportMessage.id")


class SupportMessage(db.Model):
    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=ANSWER)
    body: Mapped[str] = mapped_column(Text, default="")
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("support_services.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="messages")
    service = relationship("SupportService", lazy="joined")
    author = relationship("User", foreign_keys=[author_id])

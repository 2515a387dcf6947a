"""Outbox rows and the broadcasts that group them.

One row is one Telegram message to one member. A broadcast's rows carry no text of their own:
the broadcast holds the template and its parameters, and the sender renders each row in the
recipient's language when it sends it. Personal notifications carry their own parameters.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow

# Row states. "sending" means claimed by a sender whose lease has not expired.
QUEUED, SENDING, SENT, FAILED, BLOCKED, SKIPPED, CANCELLED = (
    "queued", "sending", "sent", "failed", "blocked", "skipped", "cancelled",
)
ROW_STATES = (QUEUED, SENDING, SENT, FAILED, BLOCKED, SKIPPED, CANCELLED)
FINAL_STATES = (SENT, FAILED, BLOCKED, SKIPPED, CANCELLED)

# Lower is sooner: a person waiting for an answer goes before a broadcast to a million.
PRIORITY_NOTIFICATION = 0
PRIORITY_BROADCAST = 10

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits at scale.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Broadcast(db.Model):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it announces, e.g. "news:12" (the owning feature decides the format).
    subject: Mapped[str] = mapped_column(String(60), index=True)
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


_QUEUED_ONLY = text("status = 'queued'")
_SENDING_ONLY = text("status = 'sending'")
_SETTLED_ONLY = text("status NOT IN ('queued', 'sending')")


class OutboxMessage(db.Model):
    """One message to one member.

    Written a million at a time by one INSERT ... SELECT, so each row costs as little as it
    can (bench/enqueue.py): no foreign keys (PostgreSQL checks a foreign key with a trigger
    per row: two thirds of the enqueue's time went there), and only the indexes the sender
    and the progress page read, each partial so that a new queued row enters only the claim's.
    The references hold by construction: user ids come from
    the users table in the same statement, the broadcast is created in the same
    transaction, and neither is ever deleted (erasing an account anonymises its row); a row
    whose member is gone anyway is skipped by the claim (worker.claim), never stuck.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # The sender's claim: due rows by priority, oldest first. Partial: only queued rows
        # are in it, so it stays as small as the queue however long the history grows.
        Index("ix_outbox_due", "priority", "id", postgresql_where=_QUEUED_ONLY,
              sqlite_where=_QUEUED_ONLY),
        # Expired leases to take back: only rows being sent (a few hundred at most).
        Index("ix_outbox_leased", "lease_expires_at", postgresql_where=_SENDING_ONLY,
              sqlite_where=_SENDING_ONLY),
        # A broadcast's progress: counts of settled rows by state, and the recent send
        # rate. Partial: a row enters it when it is settled, never at enqueue time.
        Index("ix_outbox_settled", "broadcast_id", "status", "sent_at",
              postgresql_where=_SETTLED_ONLY, sqlite_where=_SETTLED_ONLY),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int | None] = mapped_column(Integer)  # broadcasts.id, see above
    user_id: Mapped[int] = mapped_column(Integer)  # users.id, see above
    # Set only for a message to a chat the member's account has just left (the link moved to
    # another chat); otherwise the member's current chat at sending time.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # Personal notifications only; broadcast rows use their broadcast's template and params.
    template: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict | None] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(SmallInteger, default=PRIORITY_BROADCAST)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(60))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    broadcast: Mapped[Broadcast | None] = relationship(
        primaryjoin="foreign(OutboxMessage.broadcast_id) == Broadcast.id", viewonly=True)
    user = relationship("User", primaryjoin="foreign(OutboxMessage.user_id) == User.id",
                        viewonly=True)

"""What a member was told on the site, what they switched off, and when they last had a
Telegram message of a digest kind.

A notification keeps the outbox template and parameters it was raised with, not a text: the
site list renders it in the reader's current language each time, as the sender renders the
Telegram message in the recipient's saved one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.delivery.models import BigId
from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow

# Telegram side of a notification of a digest kind (None for other kinds, and for members
# Telegram cannot reach: they have the site entry only).
TELEGRAM_SENT = "sent"  # sent at once: the member's first of the day
TELEGRAM_WAITING = "waiting"  # waits for the next digest
TELEGRAM_DIGESTED = "digested"  # went out in a digest
TELEGRAM_DROPPED = "dropped"  # the member switched the kind off before the digest

_WAITING_ONLY = text("telegram_state = 'waiting'")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # The list (newest first) and the unread count of one member.
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
        # The digest: only the waiting rows are in it, however long the history grows.
        Index("ix_notifications_waiting", "user_id", postgresql_where=_WAITING_ONLY,
              sqlite_where=_WAITING_ONLY),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # A path on this site ("/projects/12"); anything else is never followed.
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_state: Mapped[str | None] = mapped_column(String(10))


class NotificationSetting(db.Model):
    """A member's switch for one kind; no row means on."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationPace(db.Model):
    """When a member last had a Telegram message of a digest kind (an update, or a digest).

    One row per member, taken with a conditional UPDATE ("... WHERE last_telegram_at <=
    now - 24 h"): of two transactions racing for the same member only one matches, so the
    limit of one a day holds with any number of web workers and senders.
    """

    __tablename__ = "notification_pace"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    last_telegram_at: Mapped[datetime] = mapped_column(UTCDateTime)

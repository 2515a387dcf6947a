from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit_log"
    # Append-only: the database refuses UPDATE and DELETE (moderation/guard.py). The index
    # serves the log's "object" filter and a member's data download.
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User", lazy="joined")


class Report(db.Model):
    """A member's report of something they think breaks the rules: one per member and item
    (the unique constraint), whatever the item is. `subject_kind` names a kind a feature
    registered (moderation.reports.register_subject), so this table knows no feature."""

    __tablename__ = "reports"
    __table_args__ = (
        # Also the index of an item's reports (its leading columns).
        UniqueConstraint("subject_kind", "subject_id", "reporter_id",
                         name="uq_reports_subject_reporter"),
        # The open reports, oldest first: what the moderators' list reads.
        Index("ix_reports_open", "resolved_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    # NULL once the reporter erased their data: the report still counts, it is nobody's.
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A moderator's decision on the item (hidden, restored...) closes its open reports.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(30))


class QueueDecision(db.Model):
    """A moderator's decision on one entry of the queue (moderation/queue.py). The unique key
    is the lock: of two moderators deciding the same entry at once, one row is written."""

    __tablename__ = "moderation_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_key: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="joined")


class Sanction(db.Model):
    """A moderator's sanction of a member: a warning, a mute (reads, can't post) until
    `ends_at`, or a block (can't sign in or use the bot) until `ends_at` or, without one,
    until lifted. The state every check reads is kept on the users row (muted_until,
    blocked, blocked_until) by moderation/sanctions.py, so a page pays no join for it."""

    __tablename__ = "sanctions"
    # A member's history, newest first (the moderator's page, their own page, the export).
    __table_args__ = (Index("ix_sanctions_member", "member_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # warning | mute | block
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    member = relationship("User", foreign_keys=[member_id])
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    lifted_by = relationship("User", foreign_keys=[lifted_by_id])


# -- the moderators' Telegram chat (moderation/chat.py) ---------------------------------------


class ModerationChat(db.Model):
    """A Telegram group linked by staff: the bot posts the queue there with buttons."""

    __tablename__ = "moderation_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    # The language the bot writes in there: the linking moderator's (a group has no single
    # language of its own; the person who set it up knows it best).
    locale: Mapped[str] = mapped_column(String(8), default="ky")
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    linked_by = relationship("User", lazy="joined")


class ModerationChatCode(db.Model):
    """A one-time code a member of staff made on the web to link a group (only its hash)."""

    __tablename__ = "moderation_chat_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModerationChatPost(db.Model):
    """A queue entry the bot posted in a linked chat. One per chat and entry (the unique
    constraint), claimed before it is sent so it is never posted twice; `decided_at` once the
    message shows the decision (no buttons left)."""

    __tablename__ = "moderation_chat_posts"
    __table_args__ = (
        UniqueConstraint("moderation_chat_id", "item_key", name="uq_moderation_chat_posts_item"),
        Index("ix_moderation_chat_posts_open", "decided_at", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moderation_chat_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_chats.id", ondelete="CASCADE")
    )
    item_key: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The message as posted (HTML), so it can be shown again with the decision under it.
    text: Mapped[str] = mapped_column(Text, default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    chat = relationship("ModerationChat", lazy="joined")


class ModerationReasonAsk(db.Model):
    """The bot asked a moderator in the chat for the reason of a decision; their reply to
    that question (`prompt_message_id`) is the reason. Kept in the database, so a restart
    of the bot does not lose the question."""

    __tablename__ = "moderation_reason_asks"
    __table_args__ = (
        UniqueConstraint("post_id", "telegram_user_id", name="uq_moderation_reason_asks_who"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_chat_posts.id", ondelete="CASCADE")
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(30))
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post = relationship("ModerationChatPost", lazy="joined")

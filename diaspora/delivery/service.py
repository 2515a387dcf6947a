"""Putting messages into the outbox, reading a broadcast's progress, cancelling it.

Nothing here talks to Telegram: bot/sender.py sends what these functions queue. Enqueueing
happens in the caller's transaction (the "transactional outbox"): a notification commits or
rolls back with the change it announces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, insert, literal, select, update
from sqlalchemy import delete as sa_delete

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.delivery import states
from diaspora.delivery.audience import Audience
from diaspora.delivery.audience import members as audience_members
from diaspora.delivery.messages import known_template
from diaspora.delivery.models import (
    BLOCKED,
    CANCELLED,
    FAILED,
    PRIORITY_BROADCAST,
    PRIORITY_NOTIFICATION,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    Broadcast,
    OutboxMessage,
)
from diaspora.delivery.states import cancel_queued, is_reachable
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import audit

RATE_WINDOW_SECONDS = 30
EVERYONE_AUDIENCE = Audience()


def enqueue_broadcast(
    actor: Any,
    *,
    subject: str,
    template: str,
    params: Mapping[str, Any],
    audience: Audience = EVERYONE_AUDIENCE,
    conditions: Iterable[ColumnElement[bool]] = (),
) -> Broadcast:
    """Create a broadcast and one outbox row per reachable member of `audience` (who also
    meets `conditions`, e.g. a feature's notification preference on Profile).

    The rows are written by ONE `INSERT ... SELECT` over the audience, whatever its size; the
    caller commits.
    """
    if not known_template(template):
        raise ValidationError(_l("Unknown message template."))
    now = utcnow()
    broadcast = Broadcast(subject=subject, template=template, params=dict(params),
                          created_by_id=getattr(actor, "id", None), created_at=now, total=0)
    db.session.add(broadcast)
    db.session.flush()
    recipients = audience_members(audience, *conditions).add_columns(
        literal(broadcast.id).label("broadcast_id"),
        literal(PRIORITY_BROADCAST).label("priority"),
        literal(QUEUED).label("status"),
        literal(0).label("attempts"),
        literal(now, OutboxMessage.created_at.type).label("created_at"),
    )
    statement = insert(OutboxMessage).from_select(
        ["user_id", "broadcast_id", "priority", "status", "attempts", "created_at"],
        recipients,
    )
    result = db.session.execute(statement)
    total = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else None
    if total is None:
        total = db.session.scalar(
            select(func.count()).where(OutboxMessage.broadcast_id == broadcast.id)
        )
    broadcast.total = total
    return broadcast


def enqueue_notification(
    member: User, template: str, params: Mapping[str, Any] | None = None, *,
    priority: int = PRIORITY_NOTIFICATION, chat_id: int | None = None,
) -> OutboxMessage | None:
    """Queue a personal Telegram message to one member, in the caller's transaction.

    Returns None when the member cannot be reached through Telegram (no chat linked, blocked
    the bot, inactive: delivery.states.REACHABLE); `/stop` pauses broadcasts only, so a
    personal answer still goes.
    `chat_id`: a chat the member's account has just left (telling it the link moved).
    """
    if not known_template(template):
        raise ValidationError(_l("Unknown message template."))
    if member is None:
        return None
    if chat_id is None and not is_reachable(member, broadcast=False):
        return None
    row = OutboxMessage(user_id=member.id, template=template, params=dict(params or {}),
                        chat_id=chat_id,
                        priority=priority, status=QUEUED, attempts=0, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


@dataclass(frozen=True)
class Progress:
    total: int
    queued: int
    sending: int
    sent: int
    failed: int
    blocked: int
    skipped: int
    cancelled: int
    rate: float  # messages a second over the last RATE_WINDOW_SECONDS
    eta_seconds: float | None
    last_sent_at: datetime | None

    @property
    def remaining(self) -> int:
        return self.queued + self.sending

    @property
    def processed(self) -> int:
        return self.total - self.remaining

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else round(100.0 * self.processed / self.total, 1)

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "queued": self.queued, "sending": self.sending,
            "sent": self.sent, "failed": self.failed, "blocked": self.blocked,
            "skipped": self.skipped, "cancelled": self.cancelled, "rate": round(self.rate, 2),
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds),
            "percent": self.percent, "done": self.done,
        }


def _settled_counts(broadcast_id: int) -> dict[str, int]:
    """Settled rows of a broadcast by state (from ix_outbox_settled) and those being sent
    (from ix_outbox_leased); queued is what is left of the broadcast's total."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id, states.settled_sql())
            .group_by(OutboxMessage.status)
        ).all()
    )
    counts[SENDING] = db.session.scalar(
        select(func.count()).where(OutboxMessage.broadcast_id == broadcast_id,
                                   states.status_is(SENDING))) or 0
    return counts


def progress(broadcast: Broadcast) -> Progress:
    """Counts straight from the rows, so they stay right whatever happened to the senders
    (a broadcast's rows are all written at once: its total never changes)."""
    counts = _settled_counts(broadcast.id)
    counts[QUEUED] = max(0, (broadcast.total or 0) - sum(counts.values()))
    since = utcnow() - timedelta(seconds=RATE_WINDOW_SECONDS)
    recent, last_sent_at = db.session.execute(
        select(func.count(), func.max(OutboxMessage.sent_at)).where(
            OutboxMessage.broadcast_id == broadcast.id,
            states.status_is(SENT),
            OutboxMessage.sent_at >= since,
        )
    ).one()
    rate = recent / RATE_WINDOW_SECONDS
    remaining = counts.get(QUEUED, 0) + counts.get(SENDING, 0)
    eta = remaining / rate if rate > 0 and remaining else (0.0 if not remaining else None)
    if isinstance(last_sent_at, datetime) and last_sent_at.tzinfo is None:
        last_sent_at = last_sent_at.replace(tzinfo=since.tzinfo)
    return Progress(
        total=sum(counts.values()), queued=counts.get(QUEUED, 0),
        sending=counts.get(SENDING, 0), sent=counts.get(SENT, 0),
        failed=counts.get(FAILED, 0), blocked=counts.get(BLOCKED, 0),
        skipped=counts.get(SKIPPED, 0), cancelled=counts.get(CANCELLED, 0),
        rate=rate, eta_seconds=eta, last_sent_at=last_sent_at,
    )


def get_broadcast(broadcast_id: int) -> Broadcast:
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(_l("This broadcast does not exist."))
    return broadcast


def list_broadcasts(page: int = 1, per_page: int = 20) -> Any:
    return db.paginate(select(Broadcast).order_by(Broadcast.id.desc()), page=page,
                       per_page=per_page, error_out=False)


def cancel_broadcast(actor: Any, broadcast: Broadcast, *, commit: bool = True) -> int:
    """Stop a broadcast: its queued rows become "cancelled" in one UPDATE (messages already
    being sent finish). Returns how many rows were cancelled."""
    require(actor, "delivery.cancel", broadcast)
    return _cancel(actor, broadcast, commit=commit)


def _cancel(actor: Any, broadcast: Broadcast, *, commit: bool) -> int:
    if broadcast.cancelled_at is not None:
        raise InvalidTransition(_l("This broadcast was already cancelled."))
    broadcast.cancelled_at = utcnow()
    broadcast.cancelled_by_id = getattr(actor, "id", None)
    rows_cancelled = cancel_queued(broadcast.id)
    audit.record(actor, "broadcast.cancel", broadcast, before={"cancelled": False},
                 after={"cancelled": True, "rows_cancelled": rows_cancelled})
    if commit:
        db.session.commit()
    return rows_cancelled


def cancel_for_subject(actor: Any, subject: str) -> int:
    """Cancel a running broadcast about `subject` (a post being unpublished); caller commits."""
    cancelled = 0
    for broadcast in db.session.scalars(
        select(Broadcast).where(Broadcast.subject == subject, Broadcast.cancelled_at.is_(None))
    ):
        if progress(broadcast).queued:
            cancelled += _cancel(actor, broadcast, commit=False)
    return cancelled


__all__ = [
    "Progress", "cancel_broadcast", "cancel_for_subject", "enqueue_broadcast",
    "enqueue_notification", "get_broadcast", "list_broadcasts", "progress", "FAILED", "SENT",
]


# -- personal data (the outbox keeps no foreign keys: accounts cannot find these rows alone) --


def export_member_messages(member: User) -> list[dict[str, Any]]:
    """The Telegram messages queued or sent to a member, for their data download."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == member.id)
        .order_by(OutboxMessage.id)
    )
    return [
        {"broadcast_id": row.broadcast_id, "template": row.template, "params": row.params,
         "status": row.status, "created_at": row.created_at.isoformat(),
         "sent_at": row.sent_at.isoformat() if row.sent_at else None}
        for row in rows
    ]


def erase_member_messages(member: User) -> None:
    """Erasure: personal notifications (their texts may name the member) go, and nothing
    queued for the member is sent any more; a broadcast's rows stay as its count."""
    db.session.execute(sa_delete(OutboxMessage).where(
        OutboxMessage.user_id == member.id, OutboxMessage.broadcast_id.is_(None)))
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == member.id, OutboxMessage.status == QUEUED)
        .values(status=CANCELLED).execution_options(synchronize_session=False))

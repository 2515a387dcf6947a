"""The database side of the sender: claim rows with a lease, record what happened.

The claim is one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`: on
PostgreSQL several senders skip each other's rows; on SQLite (which has no row locks and
ignores FOR UPDATE) the statement runs under the database's single write lock, so two
senders still never claim the same row. Claimed rows are "sending" with a lease; a sender
that dies leaves them until the lease expires, then `reclaim_expired` queues them again.
Rows already "sent" are never claimed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update

from diaspora.accounts.models import User
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import (
    BLOCKED,
    CANCELLED,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    Broadcast,
    OutboxMessage,
)
from diaspora.extensions import db
from diaspora.i18n import normalize_locale
from diaspora.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: int
    user_id: int | None
    chat_id: int | None
    broadcast_id: int | None
    attempts: int
    text: str | None = None
    # Set when the row must not be sent at all (the member blocked the bot, /stopped, ...).
    skip: str | None = None
    reason: str | None = None


@dataclass
class Outcome:
    id: int
    status: str  # SENT, FAILED, BLOCKED, SKIPPED, CANCELLED, or QUEUED (retry later)
    attempts: int
    user_id: int | None = None
    error: str | None = None
    not_before: datetime | None = None


def reclaim_expired(owner: str | None = None) -> int:
    """Queue again the rows whose sender died (lease expired) — or, with `owner`, the rows
    this very sender identity held before it was restarted."""
    condition = OutboxMessage.lease_expires_at < utcnow()
    if owner:
        condition = or_(condition, OutboxMessage.lease_owner == owner)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, condition)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:
        log.info("reclaimed %d outbox rows from expired leases", result.rowcount)
    return result.rowcount


def claim(owner: str, limit: int, lease_seconds: float) -> list[Job]:
    """Lease up to `limit` due rows to `owner` and return them ready to send (text rendered
    in each recipient's language), or marked to skip."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == QUEUED,
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    ids = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(status=SENDING, lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    if not ids:
        return []
    rows = db.session.execute(
        select(
            OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.broadcast_id,
            OutboxMessage.template, OutboxMessage.params, OutboxMessage.attempts,
            OutboxMessage.chat_id,
            User.telegram_chat_id, User.locale, User.telegram_language_code, User.active,
            User.deleted_at, User.telegram_blocked_at, User.broadcasts_paused,
        )
        .join(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.priority, OutboxMessage.id)
    ).all()
    broadcast_ids = {row.broadcast_id for row in rows if row.broadcast_id is not None}
    broadcasts = {
        b.id: (b.template, b.params, b.cancelled_at is not None)
        for b in db.session.execute(
            select(Broadcast.id, Broadcast.template, Broadcast.params, Broadcast.cancelled_at)
            .where(Broadcast.id.in_(broadcast_ids))
        )
    } if broadcast_ids else {}
    db.session.rollback()  # end the read transaction; nothing to write

    default_locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "ky")
    rendered: dict[tuple[int, str], str] = {}  # a broadcast is rendered once per language
    jobs = []
    for row in rows:
        # A row for a chat the account has left: a 403 from that chat says nothing about
        # the member's current chat, so no user is marked blocked for it (user_id None).
        job = Job(id=row.id, user_id=None if row.chat_id else row.user_id,
                  chat_id=row.chat_id or row.telegram_chat_id,
                  broadcast_id=row.broadcast_id, attempts=row.attempts)
        jobs.append(job)
        if not job.chat_id or not row.active or row.deleted_at is not None:
            job.skip, job.reason = SKIPPED, "member not reachable through Telegram"
            continue
        if row.telegram_blocked_at is not None and not row.chat_id:
            job.skip, job.reason = BLOCKED, "member blocked the bot"
            continue
        locale = (normalize_locale(row.locale) or normalize_locale(row.telegram_language_code)
                  or default_locale)
        try:
            if row.broadcast_id is not None:
                template, params, cancelled = broadcasts[row.broadcast_id]
                if cancelled:
                    job.skip = CANCELLED
                    continue
                if row.broadcasts_paused:
                    job.skip, job.reason = SKIPPED, "member paused broadcasts (/stop)"
                    continue
                key = (row.broadcast_id, locale)
                if key not in rendered:
                    rendered[key] = render_message(template, params, locale)
                job.text = rendered[key]
            else:
                job.text = render_message(row.template or "", row.params, locale)
        except Exception as error:  # noqa: BLE001  (a broken template fails its row only)
            log.exception("cannot render outbox row %s", row.id)
            job.skip, job.reason = "failed", f"render error: {error!r}"[:500]
    return jobs


def _update_own_leases(owner: str, ids: Iterable[int], **values: object) -> None:
    """Change rows this sender still holds; rows another sender reclaimed stay untouched."""
    ids = list(ids)
    if not ids:
        return
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING,
               OutboxMessage.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def extend_lease(owner: str, ids: Iterable[int], lease_seconds: float) -> None:
    _update_own_leases(owner, ids, lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))


def release(owner: str, ids: Iterable[int]) -> None:
    """Give rows back to the queue unsent (a sender stopping cleanly)."""
    _update_own_leases(owner, ids, status=QUEUED, lease_owner=None, lease_expires_at=None)


def cancelled_broadcasts(broadcast_ids: Iterable[int]) -> set[int]:
    ids = set(broadcast_ids)
    if not ids:
        return set()
    found = set(db.session.scalars(
        select(Broadcast.id).where(Broadcast.id.in_(ids), Broadcast.cancelled_at.is_not(None))
    ))
    db.session.rollback()
    return found


_table = OutboxMessage.__table__
_RECORD = (
    _table.update()
    .where(_table.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), attempts=bindparam("new_attempts"),
            error=bindparam("new_error"), not_before=bindparam("new_not_before"),
            lease_owner=None, lease_expires_at=None)
)


def record(outcomes: Iterable[Outcome]) -> None:
    """Write what happened, in one transaction: sent rows set-based, the rest one by one
    (executemany), members who blocked the bot marked unreachable."""
    outcomes = list(outcomes)
    if not outcomes:
        return
    now = utcnow()
    sent = [o.id for o in outcomes if o.status == SENT]
    if sent:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(sent))
            .values(status=SENT, sent_at=now, attempts=OutboxMessage.attempts + 1,
                    lease_owner=None, lease_expires_at=None, error=None)
            .execution_options(synchronize_session=False)
        )
    others = [
        {"row_id": o.id, "new_status": o.status, "new_attempts": o.attempts,
         "new_error": (o.error or None) and o.error[:1000], "new_not_before": o.not_before}
        for o in outcomes if o.status != SENT
    ]
    if others:
        db.session.execute(_RECORD, others)
    blocked_users = {o.user_id for o in outcomes if o.status == BLOCKED and o.user_id}
    if blocked_users:
        db.session.execute(
            update(User)
            .where(User.id.in_(blocked_users), User.telegram_blocked_at.is_(None))
            .values(telegram_blocked_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def pending_count() -> int:
    from sqlalchemy import func

    count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.status.in_((QUEUED, SENDING)))
    ) or 0
    db.session.rollback()
    return count

"""Every state change of an outbox row is decided here, and who can be reached at all.

    queued  --lease_due-->        sending
    queued  --cancel_queued-->    cancelled
    sending --record-->           sent | failed | blocked | skipped | cancelled
    sending --record (retry)-->   queued, not before a backoff
    sending --reclaim_expired-->  queued (the sender's lease ran out)
    sending --release-->          queued (a sender stopping cleanly)

A row in a final state (sent, failed, blocked, skipped, cancelled) never changes again, so a
delivered message is never sent twice. The sender decides *what happened* to a message with
the outcome builders below (`sent`, `blocked`, `failed`, `retry_or_fail`, ...); the SQL
transitions write them. Nothing else updates `outbox.status`.

"Can this member be reached through Telegram" is the list `REACHABLE`: one definition giving
both the SQL conditions for set-based enqueueing (`reachable_sql`) and the Python check for
one member or one claimed row (`unreachable`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal, or_, select, update

from diaspora.accounts.models import User
from diaspora.delivery.models import (
    BLOCKED,
    CANCELLED,
    FAILED,
    FINAL_STATES,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    OutboxMessage,
)
from diaspora.extensions import db
from diaspora.models import utcnow

log = logging.getLogger(__name__)

# The only transitions there are (source -> possible targets).
TRANSITIONS: dict[str, frozenset[str]] = {
    # queued -> sent only when a sender whose lease ran out records a message it did send.
    QUEUED: frozenset({SENDING, CANCELLED, SENT}),
    SENDING: frozenset({QUEUED, SENT, FAILED, BLOCKED, SKIPPED, CANCELLED}),
    **{state: frozenset() for state in FINAL_STATES},
}
MAX_RETRY_DELAY_SECONDS = 300.0


# -- reachability ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One thing a member needs to get a Telegram message, and what a row becomes without it."""

    column: str  # an attribute of User (and a column of a claimed row)
    need: str  # "set", "unset", "true", "false" or "current_notice"
    status_without: str
    reason: str
    broadcasts_only: bool = False

    def sql(self) -> ColumnElement[bool]:
        column = getattr(User, self.column)
        if self.need == "current_notice":
            return column == _current_notice()
        return {
            "set": column.is_not(None), "unset": column.is_(None),
            "true": column.is_(True), "false": column.is_(False),
        }[self.need]

    def holds(self, value: Any) -> bool:
        if self.need == "current_notice":
            return value == _current_notice()
        return {
            "set": value is not None, "unset": value is None,
            "true": bool(value), "false": not value,
        }[self.need]


def _current_notice() -> str:
    """The privacy notice in force ("current_notice": the member accepted this version)."""
    from diaspora.accounts.consent import current_version

    return current_version()


REACHABLE: tuple[Requirement, ...] = (
    Requirement("telegram_chat_id", "set", SKIPPED, "member has no Telegram chat"),
    Requirement("active", "true", SKIPPED, "member account is inactive"),
    Requirement("deleted_at", "unset", SKIPPED, "member deleted their account"),
    Requirement("privacy_accepted_at", "set", SKIPPED,
                "member has not accepted the privacy notice"),
    Requirement("telegram_blocked_at", "unset", BLOCKED, "member blocked the bot"),
    # A member asked to accept a changed privacy notice still gets answers about their own
    # doings, but no broadcast until they accept it (accounts.consent).
    Requirement("privacy_version", "current_notice", SKIPPED,
                "member has not accepted the current privacy notice", broadcasts_only=True),
    # /stop pauses broadcasts only: a personal answer still goes.
    Requirement("broadcasts_paused", "false", SKIPPED, "member paused broadcasts (/stop)",
                broadcasts_only=True),
)
# Columns a claimed row must carry for `unreachable` to judge it.
REACHABILITY_COLUMNS = tuple(getattr(User, r.column) for r in REACHABLE)


def _requirements(broadcast: bool) -> Iterable[Requirement]:
    return (r for r in REACHABLE if broadcast or not r.broadcasts_only)


def reachable_sql(*, broadcast: bool) -> list[ColumnElement[bool]]:
    """Conditions on User: the member can get a broadcast (or, `broadcast=False`, a personal
    notification) through Telegram."""
    return [requirement.sql() for requirement in _requirements(broadcast)]


def unreachable(member: Any, *, broadcast: bool) -> tuple[str, str] | None:
    """None when `member` (a User or a row with the same attributes) can be reached; else
    the state its outbox row takes and why."""
    if member is None:
        return SKIPPED, "no such member"
    for requirement in _requirements(broadcast):
        if not requirement.holds(getattr(member, requirement.column)):
            return requirement.status_without, requirement.reason
    return None


def is_reachable(member: Any, *, broadcast: bool) -> bool:
    return unreachable(member, broadcast=broadcast) is None


# -- what happened to a message (decided by the sender, written by `record`) ------------------


@dataclass
class Outcome:
    id: int
    status: str  # SENT, FAILED, BLOCKED, SKIPPED, CANCELLED, or QUEUED (retry later)
    attempts: int
    user_id: int | None = None
    error: str | None = None
    not_before: datetime | None = None


def before_sending(row: Any, *, broadcast_cancelled: bool = False) -> tuple[str, str | None] | None:
    """At claim time: the state a leased row takes without being sent (its broadcast was
    cancelled, or the member cannot be reached any more), or None to send it."""
    if broadcast_cancelled:
        return CANCELLED, None
    if getattr(row, "chat_id", None):
        # Addressed to a chat the account has just left (to tell it the link moved): the
        # member's own chat and its state do not concern that message.
        return None
    return unreachable(row, broadcast=getattr(row, "broadcast_id", None) is not None)


def not_sent(job: Any, status: str, reason: str | None = None) -> Outcome:
    """The row is settled without a request to Telegram (attempts unchanged)."""
    return Outcome(job.id, status, job.attempts, job.user_id, reason)


def sent(job: Any) -> Outcome:
    return Outcome(job.id, SENT, job.attempts + 1, job.user_id)


def blocked(job: Any, error: str | None = "member blocked the bot", *, attempted: bool = True
            ) -> Outcome:
    """Telegram answered 403 (or an earlier row to this chat did): the member is marked
    unreachable when recorded."""
    return Outcome(job.id, BLOCKED, job.attempts + (1 if attempted else 0), job.user_id, error)


def failed(job: Any, error: str) -> Outcome:
    """A permanent error (400: the message itself is wrong): never retried."""
    return Outcome(job.id, FAILED, job.attempts + 1, job.user_id, error)


def cancelled(job: Any) -> Outcome:
    return Outcome(job.id, CANCELLED, job.attempts, job.user_id)


def retry_or_fail(job: Any, error: str, *, max_attempts: int, retry_base: float,
                  count: bool = True, now: datetime | None = None) -> Outcome:
    """A transient error: queued again after an exponential backoff, or failed for good
    after `max_attempts`. `count=False` for Telegram's own flood control, which is not the
    message's fault."""
    attempts = job.attempts + (1 if count else 0)
    if attempts >= max_attempts:
        return Outcome(job.id, FAILED, attempts, job.user_id, error)
    delay = min(MAX_RETRY_DELAY_SECONDS, retry_base * (2 ** max(0, attempts - 1)))
    return Outcome(job.id, QUEUED, attempts, job.user_id, error,
                   not_before=(now or utcnow()) + timedelta(seconds=delay))


# -- the SQL transitions -----------------------------------------------------------------------


def status_is(status: str) -> ColumnElement[bool]:
    """`status = '<literal>'` written into the SQL, so the planner sees it matches a partial
    index (ix_outbox_due, ix_outbox_leased) even in a prepared statement's generic plan."""
    return OutboxMessage.status == literal(status, literal_execute=True)


def settled_sql() -> ColumnElement[bool]:
    """The predicate of ix_outbox_settled: rows in a final state."""
    return OutboxMessage.status.not_in([literal(QUEUED, literal_execute=True),
                                        literal(SENDING, literal_execute=True)])


def lease_due(owner: str, limit: int, lease_seconds: float) -> list[int]:
    """queued -> sending: lease up to `limit` due rows to `owner` (priority, then age).

    PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, then `UPDATE ... RETURNING` of those
    rows in the same transaction, so several senders skip each other's rows. SQLite (no row
    locks, FOR UPDATE ignored): one `UPDATE ... WHERE id IN (SELECT ...)` that runs under the
    database's single write lock, so two senders still never lease the same row. Commits."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            status_is(QUEUED),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock first, then update exactly those rows (same transaction). As one statement,
        # `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` can update more
        # than n rows when a concurrent sender makes PostgreSQL re-run the subquery: one
        # sender leased all 120 rows of a 10-row batch and the other got none.
        chosen = db.session.scalars(due).all()
        if not chosen:
            db.session.commit()
            return []
        which = OutboxMessage.id.in_(chosen)
    else:
        which = OutboxMessage.id.in_(due.scalar_subquery())
    ids = db.session.execute(
        update(OutboxMessage)
        .where(which, OutboxMessage.status == QUEUED)
        .values(status=SENDING, lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return list(ids)


def reclaim_expired(owner: str | None = None) -> int:
    """sending -> queued for rows whose sender died (lease expired) — or, with `owner`, the
    rows this very sender identity held before it was restarted. Commits."""
    condition = OutboxMessage.lease_expires_at < utcnow()
    if owner:
        condition = or_(condition, OutboxMessage.lease_owner == owner)
    result = db.session.execute(
        update(OutboxMessage)
        .where(status_is(SENDING), condition)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:
        log.info("reclaimed %d outbox rows from expired leases", result.rowcount)
    return result.rowcount


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
    """sending -> sending, for longer: the sender still works on these rows."""
    _update_own_leases(owner, ids, lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))


def release(owner: str, ids: Iterable[int]) -> None:
    """sending -> queued: rows given back unsent (a sender stopping cleanly)."""
    _update_own_leases(owner, ids, status=QUEUED, lease_owner=None, lease_expires_at=None)


def cancel_queued(broadcast_id: int) -> int:
    """queued -> cancelled for a broadcast's rows not yet leased (leased ones are cancelled
    by their sender, which checks the broadcast). The caller commits."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == QUEUED)
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


_table = OutboxMessage.__table__
_RECORD = (
    _table.update()
    .where(_table.c.id == bindparam("row_id"), _table.c.status == SENDING)
    .values(status=bindparam("new_status"), attempts=bindparam("new_attempts"),
            error=bindparam("new_error"), not_before=bindparam("new_not_before"),
            lease_owner=None, lease_expires_at=None)
)


def record(outcomes: Iterable[Outcome]) -> None:
    """sending -> the outcome's state, in one transaction: sent rows set-based, the rest
    one by one (executemany), members who blocked the bot marked unreachable.

    A sent message is recorded even if its lease had run out and the row was queued again
    (so it is not sent twice); any other outcome only changes a row still being sent.
    Final states never change."""
    outcomes = list(outcomes)
    if not outcomes:
        return
    for outcome in outcomes:
        if outcome.status not in TRANSITIONS[SENDING]:
            raise ValueError(f"no transition sending -> {outcome.status!r}")
    now = utcnow()
    sent_ids = [o.id for o in outcomes if o.status == SENT]
    if sent_ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(sent_ids),
                   OutboxMessage.status.in_((SENDING, QUEUED)))
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
    """Rows not yet settled (queued or being sent)."""
    count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(or_(status_is(QUEUED), status_is(SENDING)))  # both partial indexes
    ) or 0
    db.session.rollback()
    return count

"""The outbox's state changes (delivery/states.py) and "can this member be reached"."""

from __future__ import annotations

from datetime import timedelta
from itertools import product
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.delivery import service as delivery
from diaspora.delivery import states
from diaspora.delivery.models import (
    BLOCKED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    OutboxMessage,
)
from diaspora.extensions import db
from diaspora.models import utcnow

TEXT = {"text": {"en": "Hello"}}


def test_reachable_in_sql_and_in_python_agree(make_user):
    """Every combination of the member's flags: the set-based enqueue and the per-member
    check give the same answer (they come from one list)."""
    people = []
    for n, (chat, blocked, paused, consented, active) in enumerate(
            product([True, False], repeat=5)):
        user = make_user(telegram_chat_id=7000 + n if chat else None)
        user.telegram_blocked_at = utcnow() if blocked else None
        user.broadcasts_paused = paused
        user.privacy_accepted_at = utcnow() if consented else None
        user.active = active
        people.append(user)
    gone = make_user(telegram_chat_id=7999)
    gone.deleted_at = utcnow()
    people.append(gone)
    db.session.commit()
    for broadcast in (True, False):
        in_sql = set(db.session.scalars(
            sa.select(User.id).where(*states.reachable_sql(broadcast=broadcast))))
        in_python = {u.id for u in people if states.is_reachable(u, broadcast=broadcast)}
        assert in_sql == in_python
    # Only the fully reachable member gets broadcasts; a paused one still gets answers.
    assert len({u.id for u in people if states.is_reachable(u, broadcast=True)}) == 1
    assert len({u.id for u in people if states.is_reachable(u, broadcast=False)}) == 2


@pytest.mark.parametrize(("change", "status", "reason"), [
    ({"telegram_chat_id": None}, SKIPPED, "member has no Telegram chat"),
    ({"telegram_blocked_at": utcnow()}, BLOCKED, "member blocked the bot"),
    ({"privacy_accepted_at": None}, SKIPPED, "member has not accepted the privacy notice"),
    ({"active": False}, SKIPPED, "member account is inactive"),
    ({"privacy_version": "2020-01"}, SKIPPED,
     "member has not accepted the current privacy notice"),
])
def test_why_a_member_cannot_be_reached(ctx, change, status, reason):
    member = SimpleNamespace(telegram_chat_id=1, active=True, deleted_at=None,
                             privacy_accepted_at=utcnow(), telegram_blocked_at=None,
                             broadcasts_paused=False, privacy_version="2026-11")
    assert states.unreachable(member, broadcast=True) is None
    for key, value in change.items():
        setattr(member, key, value)
    assert states.unreachable(member, broadcast=True) == (status, reason)


def test_a_notification_goes_only_to_a_reachable_member(make_user):
    reachable = make_user(telegram_chat_id=8001)
    paused = make_user(telegram_chat_id=8002)
    paused.broadcasts_paused = True
    no_consent = make_user(telegram_chat_id=8003)
    no_consent.privacy_accepted_at = None
    db.session.commit()
    assert delivery.enqueue_notification(reachable, "text", TEXT) is not None
    assert delivery.enqueue_notification(paused, "text", TEXT) is not None  # /stop: broadcasts
    assert delivery.enqueue_notification(no_consent, "text", TEXT) is None


def _row(user: User, **values) -> int:
    row = OutboxMessage(user_id=user.id, template="text", params=TEXT, priority=0,
                        status=QUEUED, attempts=0, created_at=utcnow(), **values)
    db.session.add(row)
    db.session.commit()
    return row.id


def _status(row_id: int) -> tuple[str, int]:
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row_id)
    return row.status, row.attempts


def test_lease_record_and_final_states(make_user):
    member = make_user(telegram_chat_id=8100)
    first, second = _row(member), _row(member)
    assert sorted(states.lease_due("a", 10, 30)) == [first, second]
    assert _status(first) == (SENDING, 0)
    assert states.lease_due("b", 10, 30) == []  # nothing queued is left to lease
    job = SimpleNamespace(id=first, attempts=0, user_id=member.id)
    states.record([states.sent(job)])
    assert _status(first) == (SENT, 1)
    # A sent row never changes again, whatever a confused sender records.
    states.record([states.failed(job, "late")])
    assert _status(first) == (SENT, 1)
    # A sender whose lease ran out: its row went back to the queue...
    states.reclaim_expired("a")
    assert _status(second) == (QUEUED, 0)
    late = SimpleNamespace(id=second, attempts=0, user_id=member.id)
    states.record([states.failed(late, "timeout")])
    assert _status(second) == (QUEUED, 0)  # ...so its failure changes nothing,
    states.record([states.sent(late)])
    assert _status(second) == (SENT, 1)  # but a message it did send is never sent again.
    with pytest.raises(ValueError, match="no transition"):
        states.record([states.Outcome(first, "delivered", 1)])


def test_retry_backs_off_then_fails_for_good():
    job = SimpleNamespace(id=1, attempts=0, user_id=2)
    now = utcnow()
    retry = states.retry_or_fail(job, "timeout", max_attempts=3, retry_base=5, now=now)
    assert (retry.status, retry.attempts, retry.not_before) == (
        QUEUED, 1, now + timedelta(seconds=5))
    job.attempts = 1
    retry = states.retry_or_fail(job, "timeout", max_attempts=3, retry_base=5, now=now)
    assert (retry.status, retry.not_before) == (QUEUED, now + timedelta(seconds=10))
    job.attempts = 2
    final = states.retry_or_fail(job, "timeout", max_attempts=3, retry_base=5, now=now)
    assert (final.status, final.attempts, final.error) == (FAILED, 3, "timeout")
    # Telegram's flood control is not the message's fault: it does not use up an attempt.
    flood = states.retry_or_fail(job, "429", max_attempts=3, retry_base=5, count=False, now=now)
    assert (flood.status, flood.attempts) == (QUEUED, 2)


def test_a_blocked_member_is_marked_unreachable_when_recorded(make_user):
    member = make_user(telegram_chat_id=8200)
    row = _row(member)
    states.lease_due("a", 1, 30)
    states.record([states.blocked(SimpleNamespace(id=row, attempts=0, user_id=member.id),
                                  "Forbidden: bot was blocked by the user")])
    db.session.expire_all()
    assert _status(row) == (BLOCKED, 1)
    assert db.session.get(User, member.id).telegram_blocked_at is not None
    assert not states.is_reachable(db.session.get(User, member.id), broadcast=False)

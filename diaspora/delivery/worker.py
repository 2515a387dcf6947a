"""The database side of the sender: lease rows and make them ready to send.

The state changes themselves (leasing, reclaiming, recording outcomes) are decided in
diaspora/delivery/states.py; this module turns leased rows into `Job`s — the text rendered
in each recipient's language, or the state to give the row without sending it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from diaspora.accounts.models import User
from diaspora.delivery import states
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import FAILED, SKIPPED, Broadcast, OutboxMessage
from diaspora.delivery.states import (  # noqa: F401  (the sender's calls, in one place)
    Outcome,
    extend_lease,
    pending_count,
    reclaim_expired,
    record,
    release,
)
from diaspora.extensions import db
from diaspora.i18n import normalize_locale

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


def claim(owner: str, limit: int, lease_seconds: float) -> list[Job]:
    """Lease up to `limit` due rows to `owner` and return them ready to send (text rendered
    in each recipient's language), or marked to skip."""
    ids = states.lease_due(owner, limit, lease_seconds)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.broadcast_id,
            OutboxMessage.template, OutboxMessage.params, OutboxMessage.attempts,
            OutboxMessage.chat_id,
            User.locale, User.telegram_language_code, *states.REACHABILITY_COLUMNS,
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

    # A row whose member row is gone (the outbox has no foreign keys: models.py) is settled
    # as skipped instead of being leased again and again.
    found = {row.id for row in rows}
    gone = [Job(id=row_id, user_id=None, chat_id=None, broadcast_id=None, attempts=0,
                skip=SKIPPED, reason="the recipient's account no longer exists")
            for row_id in ids if row_id not in found]

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
        broadcast = broadcasts.get(row.broadcast_id) if row.broadcast_id is not None else None
        settled = states.before_sending(row, broadcast_cancelled=bool(broadcast and broadcast[2]))
        if settled is not None:
            job.skip, job.reason = settled
            continue
        locale = (normalize_locale(row.locale) or normalize_locale(row.telegram_language_code)
                  or default_locale)
        try:
            if broadcast is not None:
                key = (row.broadcast_id, locale)
                if key not in rendered:
                    rendered[key] = render_message(broadcast[0], broadcast[1], locale)
                job.text = rendered[key]
            else:
                job.text = render_message(row.template or "", row.params, locale)
        except Exception as error:  # noqa: BLE001  (a broken template fails its row only)
            log.exception("cannot render outbox row %s", row.id)
            job.skip, job.reason = FAILED, f"render error: {error!r}"[:500]
    return jobs + gone


def cancelled_broadcasts(broadcast_ids: set[int] | list[int]) -> set[int]:
    ids = set(broadcast_ids)
    if not ids:
        return set()
    found = set(db.session.scalars(
        select(Broadcast.id).where(Broadcast.id.in_(ids), Broadcast.cancelled_at.is_not(None))
    ))
    db.session.rollback()
    return found

"""The moderators' one queue: everything waiting for a moderator's decision, from every feature,
in one list, decided on the web or from the moderators' Telegram chat through one function.

Moderation imports no feature. A feature that has something to decide registers a *source*
in its `init_app`:

    register_source(app, QueueSource("project", label, items=..., get=..., act=...))

`items(limit)` lists what waits now; `get(item_id)` is one of them (None once it no longer
waits); `act(actor, item_id, action, reason)` carries out a decision through the feature's
own service (which checks its rules, audits and tells the author).

Each entry has a key `source:item_id:token`. The token changes whenever the same thing enters
the queue again (a project submitted a second time, a new round of reports), so a decision
belongs to one entry: `moderation_decisions.item_key` is unique, and of two moderators
deciding at once (two browser tabs, two presses in the Telegram chat) the database lets one
through and the other is told who decided (AlreadyDecided).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from diaspora.accounts.permissions import require
from diaspora.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.moderation.models import AuditEntry, QueueDecision

REASON_MAX = 1000
_SOURCES_KEY = "mekendesh.queue_sources"


@dataclass(frozen=True)
class QueueAction:
    name: str
    label: Any  # a lazy string
    reason_required: bool = False


@dataclass(frozen=True)
class QueueItem:
    source: str
    item_id: int
    token: str
    label: Any  # what kind of item, a lazy string
    title: str
    excerpt: str
    url: str  # the item's page on the site
    author_id: int | None
    created_at: datetime
    actions: tuple[QueueAction, ...]
    # Where its history lives in the audit log ("project", 12).
    history_of: tuple[str, int] | None = None
    details: tuple[str, ...] = field(default=())  # extra lines: reports' reasons, a position

    @property
    def key(self) -> str:
        return f"{self.source}:{self.item_id}:{self.token}"

    def action(self, name: str) -> QueueAction | None:
        return next((a for a in self.actions if a.name == name), None)


@dataclass(frozen=True)
class QueueSource:
    name: str
    label: Any
    items: Callable[[int], Sequence[QueueItem]]
    get: Callable[[int], QueueItem | None]
    act: Callable[[Any, int, str, str], None]
    # The source's own words for an action where they differ from ACTION_LABELS ("Publish"
    # for a proposal's approval): what a decision says once its entry is gone.
    labels: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    key: str
    action: str
    action_label: Any
    actor_id: int | None
    actor_name: str
    decided_at: datetime


class AlreadyDecided(DomainError):
    """Someone decided this entry first (on the web or in the moderators' chat)."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(_l("%(name)s already decided this: %(action)s.",
                            name=decision.actor_name, action=decision.action_label))


def register_source(app: Flask, source: QueueSource) -> None:
    sources: dict[str, QueueSource] = app.extensions.setdefault(_SOURCES_KEY, {})
    if source.name in sources and sources[source.name] is not source:
        raise ValueError(f"queue source {source.name!r} is already registered")
    sources[source.name] = source


def sources() -> dict[str, QueueSource]:
    return current_app.extensions.get(_SOURCES_KEY, {})


def parse_key(key: str) -> tuple[str, int, str] | None:
    parts = str(key or "").split(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 18 or len(key) > 120:
        return None
    return parts[0], int(parts[1]), parts[2]


def pending_items(actor: Any, source: str | None = None, limit: int = 200) -> list[QueueItem]:
    """What waits for a decision, the longest waiting first. `actor` None is the system (the
    bot's job that posts new entries to the moderators' chat)."""
    if actor is not None:
        require(actor, "moderation.queue")
    chosen = [s for name, s in sources().items() if source in (None, name)]
    items = [item for s in chosen for item in s.items(limit)]
    decided = _decided_keys([item.key for item in items])
    waiting = [item for item in items if item.key not in decided]
    waiting.sort(key=lambda item: (item.created_at, item.source, item.item_id))
    return waiting[:limit]


def overview(actor: Any, source: str | None = None, limit: int = 200) -> tuple[
        list[QueueItem], dict[str, int]]:
    """The page's entries (of one source, or all) and how many wait in each source, from
    one pass over the sources."""
    everything = pending_items(actor, limit=1000)
    counted = {name: 0 for name in sources()}
    for item in everything:
        counted[item.source] = counted.get(item.source, 0) + 1
    return [item for item in everything if source in (None, item.source)][:limit], counted


def find_item(key: str) -> QueueItem | None:
    """The entry if it still waits (same token, no decision yet)."""
    parsed = parse_key(key)
    if parsed is None or parsed[0] not in sources():
        return None
    item = sources()[parsed[0]].get(parsed[1])
    if item is None or item.key != key or decision_for(key) is not None:
        return None
    return item


def _decided_keys(keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.scalars(
        select(QueueDecision.item_key).where(QueueDecision.item_key.in_(list(keys)))))


def _decision(row: QueueDecision) -> Decision:
    source = sources().get(row.source)
    label = (source.labels.get(row.action) if source is not None else None) or \
        ACTION_LABELS.get(row.action, row.action)
    actor = row.actor
    name = (actor.name if actor is not None else None) or str(_l("a moderator"))
    return Decision(row.item_key, row.action, label, row.actor_id, name, row.decided_at)


def decision_for(key: str) -> Decision | None:
    row = db.session.scalar(select(QueueDecision).where(QueueDecision.item_key == key))
    return _decision(row) if row is not None else None


def clean_reason(reason: str | None, required: bool) -> str:
    text = (reason or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError(_l("This text contains characters that are not allowed."),
                              field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(_l("Please keep it under %(n)s characters.", n=REASON_MAX),
                              field="reason")
    if required and not text:
        raise ValidationError(_l("Say why: the author will read it."), field="reason")
    return text


def decide(actor: Any, key: str, action: str, reason: str = "") -> Decision:
    """Decide one entry. Refused when `actor` is not staff, when the entry is theirs (nobody
    moderates their own content), when the action needs a reason and none is given; when
    someone decided first, AlreadyDecided says who. The feature's own service carries the
    decision out (and tells the author) in the same transaction as the decision's row."""
    require(actor, "moderation.queue")
    previous = decision_for(key)
    if previous is not None:
        raise AlreadyDecided(previous)
    item = find_item(key)
    if item is None:
        # Another moderator's decision may have committed since the check above.
        winner = decision_for(key)
        if winner is not None:
            raise AlreadyDecided(winner)
        raise NotFound(_l("This is no longer waiting for a decision."))
    chosen = item.action(action)
    if chosen is None:
        raise InvalidTransition(_l("This can't be done to this item."))
    if item.author_id is not None and item.author_id == actor.id:
        raise PermissionDenied(_l("Nobody moderates their own content: another moderator "
                                  "will."))
    text = clean_reason(reason, chosen.reason_required)
    row = QueueDecision(item_key=key, source=item.source, item_id=item.item_id, action=action,
                        reason=text or None, actor_id=actor.id, decided_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as error:  # another moderator's decision committed first
        db.session.rollback()
        winner = decision_for(key)
        if winner is None:
            raise
        raise AlreadyDecided(winner) from error
    try:
        sources()[item.source].act(actor, item.item_id, action, text)
    except DomainError:
        db.session.rollback()
        raise
    audit.record(actor, "queue.decide", row, after={"key": key, "action": action})
    db.session.commit()
    return Decision(key, action, chosen.label, actor.id, actor.name, row.decided_at)


def histories(items: Sequence[QueueItem], per_item: int = 20) -> dict[str, list[AuditEntry]]:
    """Each entry's history as the audit log knows it, newest first: one query for a page
    (the log's object index serves it), cut to `per_item` each."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        if item.history_of is not None:
            wanted.setdefault(item.history_of[0], set()).add(item.history_of[1])
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(AuditEntry).where(or_(*(
            (AuditEntry.object_type == object_type) & AuditEntry.object_id.in_(ids)
            for object_type, ids in wanted.items())))
        .order_by(AuditEntry.id.desc()))
    found: dict[tuple[str, int], list[AuditEntry]] = {}
    for row in rows:
        found.setdefault((row.object_type, row.object_id), []).append(row)
    return {item.key: found.get(item.history_of, [])[:per_item]
            for item in items if item.history_of is not None}


# The words of the actions every source uses, for a decision whose entry is gone.
ACTION_LABELS: dict[str, Any] = {
    "approve": _l("Approve"),
    "return": _l("Return for changes"),
    "reject": _l("Reject"),
    "hide": _l("Hide"),
    "restore": _l("Restore"),
    "dismiss": _l("Dismiss"),
    "remind": _l("Remind the authority"),
}


def action(name: str, *, reason_required: bool = False, label: Any = None) -> QueueAction:
    return QueueAction(name, label if label is not None else ACTION_LABELS[name], reason_required)

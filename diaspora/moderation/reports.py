"""Reports: a member tells the moderators that an item breaks the rules, once per item.

Moderation imports no feature. A feature that has reportable items registers each kind in its
`init_app`:

    register_subject(app, "project_comment", label, resolve=..., describe=...)

`resolve(actor, subject_id)` returns the item if it exists and `actor` may see it (else None,
answered as "not found"); `describe(ids)` returns, for the items that still exist, what the
moderators' list shows (a title, an excerpt, a link, the author's id).

A kind that can be taken out of sight also gives `hide(actor, subject_id, reason)` (actor None:
hidden automatically), `restore(actor, subject_id)` and `hidden(ids)` (which of these items are
out of sight now). Those are what the moderators' queue offers (moderation/queue_sources.py)
and what hides an item by itself once REPORTS_TO_HIDE members reported it (`auto_hide`).

Listeners registered with `register_listener(app, fn)` are called with each new report inside
the reporter's transaction, after the row is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from diaspora.accounts.permissions import require
from diaspora.errors import DomainError, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import spam
from diaspora.moderation.models import Report

REASONS: dict[str, Any] = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Insulting or hateful"),
    "false_information": _l("False information"),
    "personal_data": _l("Exposes someone's personal data"),
    "other": _l("Something else"),
}
NOTE_MAX = 1000
PER_PAGE = 50
_SUBJECTS_KEY = "mekendesh.report_subjects"
_LISTENERS_KEY = "mekendesh.report_listeners"


class AlreadyReported(DomainError):
    """The member reported this item before: not an error, a friendly reminder."""

    default_message = _l("You already reported this. Thank you: the moderators will look "
                         "at it.")


@dataclass(frozen=True)
class SubjectInfo:
    """What the moderators' list shows of a reported item."""

    title: str
    excerpt: str
    url: str
    author_id: int | None


@dataclass(frozen=True)
class SubjectKind:
    name: str
    label: Any  # a lazy string: "project", "comment on a project"
    resolve: Callable[[Any, int], Any | None]
    describe: Callable[[Sequence[int]], Mapping[int, SubjectInfo]]
    hide: Callable[[Any, int, str], None] | None = None
    restore: Callable[[Any, int], None] | None = None
    hidden: Callable[[Sequence[int]], set[int]] | None = None


def register_subject(app: Flask, name: str, label: Any, *,
                     resolve: Callable[[Any, int], Any | None],
                     describe: Callable[[Sequence[int]], Mapping[int, SubjectInfo]],
                     hide: Callable[[Any, int, str], None] | None = None,
                     restore: Callable[[Any, int], None] | None = None,
                     hidden: Callable[[Sequence[int]], set[int]] | None = None) -> None:
    subjects: dict[str, SubjectKind] = app.extensions.setdefault(_SUBJECTS_KEY, {})
    if name in subjects and subjects[name].resolve is not resolve:
        raise ValueError(f"report subject {name!r} is already registered")
    subjects[name] = SubjectKind(name, label, resolve, describe, hide, restore, hidden)


def register_listener(app: Flask, listener: Callable[[Report], None]) -> None:
    """Called with every new report, in the reporter's transaction (issue 10's auto-hide)."""
    app.extensions.setdefault(_LISTENERS_KEY, []).append(listener)


def subject_kinds() -> dict[str, SubjectKind]:
    return current_app.extensions.get(_SUBJECTS_KEY, {})


def subject_for(actor: Any, subject_kind: str, subject_id: int) -> tuple[SubjectKind, Any]:
    """The kind and the item `actor` would report; "not found" for an unknown kind, a
    missing item or one the actor may not see."""
    kind = subject_kinds().get(subject_kind)
    item = kind.resolve(actor, subject_id) if kind is not None else None
    if item is None:
        raise NotFound(_l("This item does not exist."))
    return kind, item


def has_reported(actor: Any, subject_kind: str, subject_id: int) -> bool:
    return bool(reported_ids(actor, subject_kind, [subject_id]))


def reported_ids(actor: Any, subject_kind: str, subject_ids: Iterable[int]) -> set[int]:
    """Which of these items `actor` reported (one query for a whole page)."""
    member_id, ids = getattr(actor, "id", None), list(subject_ids)
    if member_id is None or not ids:
        return set()
    return set(db.session.scalars(
        select(Report.subject_id).where(Report.reporter_id == member_id,
                                        Report.subject_kind == subject_kind,
                                        Report.subject_id.in_(ids))))


def clean_note(note: str | None) -> str:
    text = (note or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError(_l("This text contains characters that are not allowed."),
                              field="note")
    if len(text) > NOTE_MAX:
        raise ValidationError(_l("Please keep it under %(n)s characters.", n=NOTE_MAX),
                              field="note")
    return text


def report(actor: Any, subject_kind: str, subject_id: int, reason: str,
           note: str | None = "") -> Report:
    """Report an item once. A second report of the same item by the same member raises
    AlreadyReported (also when two clicks race: the unique constraint decides)."""
    require(actor, "moderation.report")
    kind, item = subject_for(actor, subject_kind, subject_id)
    if reason not in REASONS:
        raise ValidationError(_l("Choose a reason."), field="reason")
    text = clean_note(note)
    info = kind.describe([subject_id]).get(subject_id)
    if info is not None and info.author_id is not None and info.author_id == actor.id:
        raise ValidationError(_l("You can't report what you wrote yourself."), field="reason")
    if has_reported(actor, subject_kind, subject_id):
        raise AlreadyReported()
    spam.check_limit(actor, spam.REPORTS, field="reason")
    row = Report(subject_kind=subject_kind, subject_id=subject_id, reporter_id=actor.id,
                 reason=reason, note=text or None, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as error:  # a second click won the race (the savepoint is undone)
        raise AlreadyReported() from error
    for listener in current_app.extensions.get(_LISTENERS_KEY, []):
        listener(row)
    db.session.commit()
    spam.count(actor, spam.REPORTS)
    return row


def resolve_reports(actor: Any, subject_kind: str, subject_id: int, resolution: str) -> int:
    """A moderator decided on the item: its open reports are closed (caller's transaction)."""
    result = db.session.execute(
        update(Report).where(Report.subject_kind == subject_kind,
                             Report.subject_id == subject_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=getattr(actor, "id", None),
                resolution=resolution))
    return result.rowcount or 0


# -- the moderators' list --------------------------------------------------------------------


@dataclass
class ReportedItem:
    kind: SubjectKind | None
    subject_id: int
    info: SubjectInfo | None  # None: the item is gone
    count: int
    first_at: datetime
    reports: list[Report]


def open_count(actor: Any) -> int:
    require(actor, "moderation.view_reports")
    items = (select(Report.subject_kind, Report.subject_id)
             .where(Report.resolved_at.is_(None))
             .group_by(Report.subject_kind, Report.subject_id).subquery())
    return db.session.scalar(select(func.count()).select_from(items)) or 0


def open_reports(actor: Any, page: int = 1, per_page: int = PER_PAGE) -> tuple[
        list[ReportedItem], bool]:
    """Items with open reports, the longest waiting first, with their reports; and whether
    another page follows. A fixed number of queries: one for the page of items, one for
    their reports, one `describe` per kind."""
    require(actor, "moderation.view_reports")
    page = max(1, min(page, 10_000))
    grouped = db.session.execute(
        select(Report.subject_kind, Report.subject_id, func.count(), func.min(Report.created_at))
        .where(Report.resolved_at.is_(None))
        .group_by(Report.subject_kind, Report.subject_id)
        .order_by(func.min(Report.created_at), Report.subject_kind, Report.subject_id)
        .offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    more, grouped = len(grouped) > per_page, grouped[:per_page]
    if not grouped:
        return [], False
    by_kind: dict[str, list[int]] = {}
    for kind_name, subject_id, _count, _first in grouped:
        by_kind.setdefault(kind_name, []).append(subject_id)
    described: dict[tuple[str, int], SubjectInfo] = {}
    kinds = subject_kinds()
    for kind_name, ids in by_kind.items():
        if kind_name in kinds:
            for subject_id, info in kinds[kind_name].describe(ids).items():
                described[(kind_name, subject_id)] = info
    wanted = {(k, i) for k, i, _c, _f in grouped}
    rows = db.session.scalars(
        select(Report).where(Report.resolved_at.is_(None),
                             Report.subject_id.in_({i for _k, i in wanted}))
        .order_by(Report.created_at, Report.id)).all()
    reports: dict[tuple[str, int], list[Report]] = {}
    for row in rows:
        if (row.subject_kind, row.subject_id) in wanted:
            reports.setdefault((row.subject_kind, row.subject_id), []).append(row)
    items = [ReportedItem(kinds.get(k), i, described.get((k, i)), count, first,
                          reports.get((k, i), []))
             for k, i, count, first in grouped]
    return items, more


# -- personal data -----------------------------------------------------------------------------


def export_member_reports(member: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Report).where(Report.reporter_id == member.id).order_by(Report.id)).all()
    return [{"subject_kind": row.subject_kind, "subject_id": row.subject_id,
             "reason": row.reason, "note": row.note,
             "created_at": row.created_at.isoformat() if row.created_at else None}
            for row in rows]


def erase_member_reports(member: Any) -> None:
    """The member's reports lose who made them and the words they wrote; the reason stays,
    so what they reported still reaches the moderators, from nobody."""
    db.session.execute(update(Report).where(Report.reporter_id == member.id)
                       .values(reporter_id=None, note=None))

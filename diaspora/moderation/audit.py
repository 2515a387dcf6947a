"""The audit log: writing a row (`record`), and reading it for staff: filters, pages and the
CSV export.

Rows are never changed or deleted once written: the application has no code that would, and
the database refuses it anyway (moderation/guard.py). A row holds ids and states (who by id,
what, which object by type and id, before/after values), not names or e-mails: erasing a
member anonymises the users row it points to, and the log then shows a nameless "#id".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from werkzeug.local import LocalProxy

from diaspora.accounts.permissions import require
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry

PER_PAGE = 50
MAX_PAGE = 10**6
EXPORT_BATCH = 1000
BOM = "\ufeff"
# A spreadsheet runs a cell starting with these as a formula: such cells get an apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(
    actor: Any,
    action: str,
    obj: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit row in the caller's transaction, so it commits or rolls back with it."""
    # `current_user` is a LocalProxy: the row names the object behind it, not the proxy.
    if isinstance(obj, LocalProxy):
        obj = obj._get_current_object()
    if isinstance(actor, LocalProxy):
        actor = actor._get_current_object()
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


# -- reading: filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What staff narrowed the log to. Empty fields filter nothing.

    actor: an account id ("42"), an e-mail address, or part of a display name;
    action: one action ("news.publish") or every action of a kind ("news.");
    dates: whole days in `zone` (the viewer's time zone), both ends included.
    """

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    zone: str = "UTC"

    def query_args(self) -> dict[str, str]:
        """The filters as the page's query string (pagination and the CSV link keep them)."""
        args = {
            "actor": self.actor, "action": self.action, "object_type": self.object_type,
            "object_id": str(self.object_id) if self.object_id is not None else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in args.items() if value}

    def conditions(self) -> list[Any]:
        from diaspora.accounts.models import Profile, User
        from diaspora.forms import is_id

        found: list[Any] = []
        actor = " ".join(self.actor.split())
        if actor:
            if is_id(actor.lstrip("#")):
                found.append(AuditEntry.actor_id == int(actor.lstrip("#")))
            else:
                if "@" in actor:
                    who = func.lower(User.email) == actor.lower()
                else:
                    who = func.lower(Profile.display_name).contains(actor.lower(),
                                                                    autoescape=True)
                found.append(AuditEntry.actor_id.in_(
                    select(User.id).outerjoin(Profile, Profile.user_id == User.id).where(who)))
        if self.action.endswith("."):
            found.append(AuditEntry.action.startswith(self.action, autoescape=True))
        elif self.action:
            found.append(AuditEntry.action == self.action)
        if self.object_type:
            found.append(AuditEntry.object_type == self.object_type)
        if self.object_id is not None:
            found.append(AuditEntry.object_id == self.object_id)
        zone = ZoneInfo(self.zone)
        if self.date_from:
            found.append(AuditEntry.created_at >= _start_of(self.date_from, zone))
        if self.date_to:
            found.append(AuditEntry.created_at < _start_of(self.date_to + timedelta(days=1),
                                                           zone))
        return found


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def action_choices() -> list[str]:
    """Every action the log holds, each kind ("news.") before its actions, sorted."""
    actions = db.session.scalars(select(AuditEntry.action).distinct()).all()
    kinds = {action.split(".", 1)[0] + "." for action in actions if "." in action}
    return sorted({*actions, *kinds}, key=lambda value: (value.rstrip("."), value[-1] != "."))


def object_types() -> list[str]:
    return sorted(db.session.scalars(select(AuditEntry.object_type).distinct()).all())


def _filtered(filters: AuditFilter) -> Select:
    return select(AuditEntry).where(*filters.conditions()).order_by(AuditEntry.id.desc())


def entries(viewer: Any, filters: AuditFilter, page: int = 1) -> Any:
    """A page of the log, newest first: two queries whatever the page shows (the row with its
    actor and profile joined, and the count)."""
    require(viewer, "audit.view")
    page = page if 0 < page <= MAX_PAGE else 1
    return db.paginate(_filtered(filters), page=page, per_page=PER_PAGE, error_out=False)


# -- the CSV export --------------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _header() -> list[str]:
    return [_("Number"), _("When (UTC)"), _("Account id"), _("Who"), _("Action"),
            _("Object"), _("Object id"), _("Before"), _("After")]


def _row(entry: AuditEntry) -> list[str]:
    actor = entry.actor
    return [_cell(value) for value in (
        entry.id, _utc(entry.created_at), entry.actor_id,
        actor.name if actor is not None else _("system"), entry.action, entry.object_type,
        entry.object_id, _json(entry.before), _json(entry.after),
    )]


def export_rows(viewer: Any, filters: AuditFilter) -> Iterator[list[str]]:
    """The filtered rows, newest first, read in batches by id (no OFFSET: the last batch of a
    long log costs what the first does)."""
    require(viewer, "audit.export")
    yield _header()
    last_id: int | None = None
    while True:
        stmt = _filtered(filters).limit(EXPORT_BATCH)
        if last_id is not None:
            stmt = stmt.where(AuditEntry.id < last_id)
        batch = db.session.scalars(stmt).unique().all()
        for entry in batch:
            yield _row(entry)
        if len(batch) < EXPORT_BATCH:
            return
        last_id = batch[-1].id
        db.session.expunge_all()  # a long export keeps one batch in memory, not the log


def csv_chunks(viewer: Any, filters: AuditFilter) -> Iterator[bytes]:
    """The CSV file in pieces (UTF-8 with a byte order mark, so spreadsheets read Kyrgyz
    letters right), one per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = export_rows(viewer, filters)
    writer.writerow(next(rows))  # the permission is checked here, before any byte is sent
    first = True
    for index, row in enumerate(rows, start=1):
        writer.writerow(row)
        if index % EXPORT_BATCH == 0:
            yield _take(buffer, first)
            first = False
    yield _take(buffer, first)


def _take(buffer: io.StringIO, first: bool) -> bytes:
    data = (BOM if first else "") + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return data.encode("utf-8")

from __future__ import annotations

from typing import Any

from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry


def record(
    actor: Any,
    action: str,
    obj: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit row in the caller's transaction, so it commits or rolls back with it."""
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

from __future__ import annotations

from typing import Any

from werkzeug.local import LocalProxy

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

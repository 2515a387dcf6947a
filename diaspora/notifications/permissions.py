"""Who may read which notifications (rules of `can()`, registered when the notifications
feature's `init_app` imports this module): a member sees only their own."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import is_member, rule


@rule("notifications.view")
def _view_notifications(user: Any, obj: Any) -> bool:
    """One's own list (and "mark all read")."""
    return is_member(user)


@rule("notifications.open")
def _open_notification(user: Any, notification: Any) -> bool:
    return is_member(user) and notification is not None and notification.user_id == user.id


@rule("notifications.settings")
def _notification_settings(user: Any, obj: Any) -> bool:
    return is_member(user)

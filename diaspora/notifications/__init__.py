"""Notifications: telling a member that something happened that concerns them, on the site
(a list with an unread count) and in Telegram (through the outbox), in their language, unless
they switched that kind off in their profile.

Features name their kinds in `init_app` (`register_kind`) and call `service.notify` (or
`notify_all` for many members); this package imports no feature.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_personal_data
    from diaspora.delivery.housekeeping import register_job
    from diaspora.delivery.messages import register_template
    from diaspora.notifications import (
        models,  # noqa: F401  (its tables, known to Alembic)
        permissions,  # noqa: F401  (its rules of can())
    )
    from diaspora.notifications.service import (
        DIGEST_TEMPLATE,
        erase_notifications,
        erase_settings,
        export_notifications,
        export_settings,
        render_digest,
        send_digests,
    )
    from diaspora.notifications.views import bp

    app.register_blueprint(bp)
    register_template(app, DIGEST_TEMPLATE, render_digest)
    register_job(app, "notifications.send_digests", send_digests)
    register_personal_data(app, "notifications", export_notifications, erase_notifications)
    register_personal_data(app, "notification_settings", export_settings, erase_settings)
    app.context_processor(_unread_badge)


def _unread_badge() -> dict[str, Any]:
    def unread_notifications() -> int:
        """The badge's number: one query per request, and only on a page that shows it."""
        from flask_login import current_user

        from diaspora.notifications.service import unread_count

        if not getattr(current_user, "is_authenticated", False):
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = unread_count(current_user)
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}

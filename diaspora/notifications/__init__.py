"""Notifications: telling a member that something happened that concerns them, on the site
(a list with an unread count) and in Telegram (through the outbox), in their language, unless
they switched that kind off in their profile.

Features name their kinds in `init_app` (`register_kind`) and call `service.notify`; this
package imports no feature.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass

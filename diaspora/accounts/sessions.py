"""Web login sessions: what a session cookie or a remember-me cookie must carry to count.

Flask keeps the session in a signed cookie, so the server cannot delete a copy someone
saved. Instead every cookie names the user's session version (`User.get_id()` is
"<id>:<version>") and a cookie counts only while that version is the current one. Raising
the version (`service.end_all_sessions`) ends every session and remember-me cookie of the
user at once: on logout, "log out everywhere", a new password, a new role, erasure.
"""

from __future__ import annotations

import re

from flask import session
from flask_login import login_user, logout_user
from werkzeug.local import LocalProxy

from diaspora.accounts import service
from diaspora.accounts.models import User
from diaspora.extensions import db

_SESSION_KEY = re.compile(r"(\d{1,12}):(\d{1,12})")
_MAX_ID = 2**31 - 1  # beyond an INTEGER column: no such user (and no database error)


def load_user(session_key: str) -> User | None:
    """Flask-Login's user loader, for the session and the remember-me cookie alike."""
    match = _SESSION_KEY.fullmatch(session_key or "")
    if match is None:  # also a cookie from before session versions: log in again
        return None
    user_id, version = (int(part) for part in match.groups())
    if user_id > _MAX_ID:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.deleted_at is not None:
        return None
    if (user.session_version or 0) != version:
        return None
    return user


def start(user: User, *, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before the login (a planted session id,
    an old CSRF token, another person's leftovers) carries over."""
    # Flask-Login keeps the object it is given; `current_user` (a proxy to that very slot)
    # would then point at itself.
    if isinstance(user, LocalProxy):
        user = user._get_current_object()
    session.clear()
    login_user(user, remember=remember)


def end(user: User | None) -> None:
    """Log out: this cookie, any copy of it and every remember-me cookie stop working."""
    if user is not None and getattr(user, "is_authenticated", False):
        service.end_all_sessions(user)
        db.session.commit()
    logout_user()
    session.clear()
    # logout_user asked for the remember-me cookie to be deleted; keep that request.
    session["_remember"] = "clear"

"""Web login sessions: what a session cookie or a remember-me cookie must carry to count.

Flask keeps the session in a signed cookie, so the server cannot delete a copy someone
saved. Two things make copies stop working:

* every cookie names the user's session version (`User.get_id()` is "<id>:<version>") and
  counts only while that version is the current one. Raising the version
  (`service.end_all_sessions`) ends every session and remember-me cookie of the user at
  once: "log out everywhere", a new password, a new role, erasure;
* every session carries a random id; logging out records it as ended (`EndedSession`), so
  a copy of that browser's cookie is refused while the member's other browsers stay in.

A staff member's session also says whether its second sign-in step was passed
(`mark_two_factor`): it names the same "<id>:<version>" key, so a new login (which clears
the session), a remember-me cookie restoring a session, or a raised version all start
unverified.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.local import LocalProxy

from diaspora.accounts import service
from diaspora.accounts.models import EndedSession, User
from diaspora.accounts.permissions import TWO_FACTOR_SESSION_KEY
from diaspora.extensions import db
from diaspora.i18n import SESSION_LANG_KEY
from diaspora.models import utcnow

_SESSION_KEY = re.compile(r"(\d{1,12}):(\d{1,12})")
_MAX_ID = 2**31 - 1  # beyond an INTEGER column: no such user (and no database error)
SESSION_ID_KEY = "sid"


def load_user(session_key: str) -> User | None:
    """Flask-Login's user loader, for the session and the remember-me cookie alike."""
    match = _SESSION_KEY.fullmatch(session_key or "")
    if match is None:  # also a cookie from before session versions: log in again
        return None
    user_id, version = (int(part) for part in match.groups())
    if user_id > _MAX_ID:
        return None
    session_id = session.get(SESSION_ID_KEY)
    # One round trip on every signed-in request: the user and whether this browser's
    # session was ended, together.
    ended = sa.exists().where(EndedSession.session_id == str(session_id or "")[:64])
    row = db.session.execute(
        sa.select(User, ended.label("ended")).where(User.id == user_id)
    ).first()
    if row is None:
        return None
    user, session_ended = row
    if not user.active or user.deleted_at is not None:
        return None
    if (user.session_version or 0) != version:
        return None
    if session_id is None:
        # Restored from a remember-me cookie (or a session older than session ids): this
        # browser gets an id of its own, so its logout can end it.
        session[SESSION_ID_KEY] = _new_session_id()
    elif session_ended:
        return None  # a copy of a cookie whose browser logged out
    return user


def start(user: User, *, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before the login (a planted session id,
    an old CSRF token, another person's leftovers) carries over."""
    # Flask-Login keeps the object it is given; `current_user` (a proxy to that very slot)
    # would then point at itself.
    if isinstance(user, LocalProxy):
        user = user._get_current_object()
    _clear_keeping_language()
    login_user(user, remember=remember)
    session[SESSION_ID_KEY] = _new_session_id()


def end(user: User | None, *, everywhere: bool = False) -> None:
    """Log out: this browser's session and any copy of its cookie stop working (its
    remember-me cookie is deleted); `everywhere`, every session and remember-me cookie of
    the account too."""
    if user is not None and getattr(user, "is_authenticated", False):
        if isinstance(user, LocalProxy):
            user = user._get_current_object()
        if everywhere:
            service.end_all_sessions(user)
        session_id = session.get(SESSION_ID_KEY)
        if session_id and db.session.get(EndedSession, str(session_id)[:64]) is None:
            db.session.add(EndedSession(session_id=str(session_id)[:64], user_id=user.id))
        db.session.commit()
    logout_user()
    _clear_keeping_language()
    # logout_user asked for the remember-me cookie to be deleted; keep that request.
    session["_remember"] = "clear"


def end_refused_session() -> ResponseReturnValue | None:
    """A before_request: a signed-in member who may no longer be signed in (a moderator
    blocked them: service.login_refusal) is logged out at their next request, told why."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    why = service.login_refusal(user)
    if not why:
        return None
    end(user)
    flash(why, "error")
    return redirect(url_for("accounts.login"))


def mark_two_factor(user: User) -> None:
    """This session passed the second sign-in step (an authenticator or recovery code)."""
    if isinstance(user, LocalProxy):
        user = user._get_current_object()
    # The session id stays: logging out must end this browser's cookie from before the
    # second step as well as after it.
    session[TWO_FACTOR_SESSION_KEY] = user.get_id()


def two_factor_done(user: User) -> bool:
    return session.get(TWO_FACTOR_SESSION_KEY) == user.get_id()


def _clear_keeping_language() -> None:
    """Empty the session but for the language picked in this browser: a preference, not a
    credential, and a member who chose Russian on the login page expects Russian after it."""
    language = session.get(SESSION_LANG_KEY)
    session.clear()
    if language:
        session[SESSION_LANG_KEY] = language


def _new_session_id() -> str:
    return secrets.token_urlsafe(32)


def forget_old_ended_sessions() -> int:
    """Housekeeping: an ended session's id is needed only while a copy of its cookie could
    still be valid (Flask refuses a session cookie older than PERMANENT_SESSION_LIFETIME)."""
    lifetime = current_app.permanent_session_lifetime + timedelta(days=1)
    deleted = db.session.execute(
        EndedSession.__table__.delete().where(EndedSession.ended_at < utcnow() - lifetime)
    ).rowcount
    db.session.commit()
    return deleted


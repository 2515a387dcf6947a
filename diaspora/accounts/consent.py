"""Versions of the privacy notice and who accepted which, when, where.

`PRIVACY_NOTICE_VERSION` (config) names the notice in force. `users.privacy_version` /
`privacy_accepted_at` hold a member's latest acceptance (what every check reads, one row, no
join); `privacy_acceptances` keeps every acceptance, with the channel it came through, so
the record shows which version each member accepted when, even after later ones.

A member whose latest acceptance is not of the current notice is asked again: on the web
by `ask_again_on_the_web` (a before_request), in Telegram by bot/consent.py, on their next
message. Until they accept they get personal notifications (answers to their own projects,
...) but no broadcasts (delivery.states.REACHABLE).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, bindparam, delete, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import core_read, db
from diaspora.models import UTCDateTime, utcnow

WEB = "web"
TELEGRAM = "telegram"
CLI = "cli"  # `flask create-admin`: the administrator accepts by creating their account
CHANNELS = (WEB, TELEGRAM, CLI)
CHANNEL_LABELS = {
    WEB: _l("on the website"),
    TELEGRAM: _l("in Telegram"),
    CLI: _l("from the command line"),
}


class PrivacyAcceptance(db.Model):
    """One acceptance of one version of the privacy notice."""

    __tablename__ = "privacy_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


def current_version() -> str:
    return str(current_app.config["PRIVACY_NOTICE_VERSION"])


def has_current_consent(user: Any) -> bool:
    """The member's latest acceptance is of the notice in force."""
    return (user is not None and user.privacy_accepted_at is not None
            and user.privacy_version == current_version())


def needs_to_accept_again(user: Any) -> bool:
    """Signed up under an earlier notice (or never accepted one): ask before going on."""
    return user is not None and not has_current_consent(user)


def record_acceptance(user: Any, channel: str) -> PrivacyAcceptance | None:
    """`user` accepts the current notice through `channel` (caller commits). Accepting the
    version already accepted adds nothing (a double click, a second "I agree")."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown consent channel {channel}")
    if has_current_consent(user):
        return None
    now = utcnow()
    user.privacy_version = current_version()
    user.privacy_accepted_at = now
    # Through the relationship: a new account and its first acceptance insert together.
    row = PrivacyAcceptance(user=user, version=user.privacy_version, channel=channel,
                            accepted_at=now)
    db.session.add(row)
    return row


def history(user: Any) -> list[PrivacyAcceptance]:
    if user is None or user.id is None:
        return []
    return list(db.session.scalars(
        select(PrivacyAcceptance).where(PrivacyAcceptance.user_id == user.id)
        .order_by(PrivacyAcceptance.accepted_at, PrivacyAcceptance.id)
    ))


def export_history(user: Any) -> list[dict[str, Any]]:
    """The member's acceptances, for their data download."""
    return [{"version": row.version, "channel": row.channel,
             "accepted_at": row.accepted_at.isoformat()} for row in history(user)]


def erase_history(user: Any) -> None:
    """Erasure: the account keeps no trace of whom it belonged to, acceptances included."""
    db.session.execute(delete(PrivacyAcceptance).where(PrivacyAcceptance.user_id == user.id))


# -- in Telegram -------------------------------------------------------------------------------

CURRENT = "current"
OUTDATED = "outdated"


@cache
def _chat_consent_statement() -> Any:
    """Built once (User's module imports this one, hence not at import time)."""
    from diaspora.accounts.models import User

    return select(User.active, User.privacy_accepted_at, User.privacy_version).where(
        User.telegram_chat_id == bindparam("chat_id"), User.deleted_at.is_(None))


def chat_consent(chat_id: int) -> str | None:
    """For the bot's check on every update: None when the chat has no registered member (the
    registration asks for consent itself), CURRENT, or OUTDATED (ask again first)."""
    # Three columns, not the account: loading a User joins its profile and home place, and
    # this runs ahead of every update of a chat until its consent is known to be current.
    # The same rules as registered_chat_user and has_current_consent.
    row = core_read(_chat_consent_statement(), {"chat_id": chat_id}).first()
    if row is None or not row.active or row.privacy_accepted_at is None:
        return None
    return CURRENT if row.privacy_version == current_version() else OUTDATED


def accept_in_chat(chat_id: int) -> bool:
    """The member pressed "I agree" under the changed notice (False: no member any more)."""
    from diaspora.accounts.telegram import registered_chat_user

    user = registered_chat_user(chat_id)
    if user is None:
        return False
    record_acceptance(user, TELEGRAM)
    db.session.commit()
    return True

"""Sanctions that escalate: a warning, then a mute (the member reads but can't post) for a
time, then a block (no sign-in, no bot) for a time or until lifted.

Every sanction has a reason the member is told, in their language, on the site and in
Telegram, with how to appeal (APPEAL_CONTACT). Moderators and admins issue and lift them
(`sanctions.issue`); nobody sanctions themselves, moderators don't sanction staff, admins
may sanction moderators, and no one sanctions an admin (the platform keeps its key holders).

The sanction in force is kept on the users row (`muted_until`, `blocked`, `blocked_until`),
recomputed from the rows here at each issue and lift: every permission check reads it
without a join (accounts.permissions.is_blocked / is_muted / may_post), and it ends by time
alone. The history stays here, visible to moderators and to the member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import is_blocked, is_muted, require
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import core_read, db
from diaspora.formatting import LazyWhen, format_when
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.moderation.models import Sanction
from diaspora.timezones import member_timezone

WARNING, MUTE, BLOCK = "warning", "mute", "block"
KINDS: tuple[str, ...] = (WARNING, MUTE, BLOCK)
KIND_LABELS: dict[str, Any] = {
    WARNING: _l("Warning"),
    MUTE: _l("Muted (can read, can't post)"),
    BLOCK: _l("Blocked"),
}
# What a moderator is offered next: each step one harder than the member's last one.
NEXT: dict[str | None, str] = {None: WARNING, WARNING: MUTE, MUTE: BLOCK, BLOCK: BLOCK}
REASON_MAX = 1000
MAX_DAYS = 3650
NOTIFICATION_KIND = "moderation.sanction"
TEMPLATE = "moderation.sanction"


# -- reading -----------------------------------------------------------------------------------


def _in_force() -> Any:
    now = utcnow()
    return (Sanction.lifted_at.is_(None),
            or_(Sanction.ends_at.is_(None), Sanction.ends_at > now), Sanction.starts_at <= now)


def active_sanction(user: Any) -> Sanction | None:
    """The block in force, else the mute in force, else None. No query for a member the
    users row shows as neither (nearly everyone)."""
    if user is None or getattr(user, "id", None) is None:
        return None
    blocked, muted = is_blocked(user), is_muted(user)
    if not blocked and not muted:
        return None
    kinds = [BLOCK] if blocked else [MUTE]
    return db.session.scalar(
        select(Sanction).where(Sanction.member_id == user.id, Sanction.kind.in_(kinds),
                               *_in_force())
        .order_by(Sanction.ends_at.is_(None).desc(), Sanction.ends_at.desc(),
                  Sanction.id.desc()).limit(1))


def history_of(member: Any) -> list[Sanction]:
    return list(db.session.scalars(
        select(Sanction).where(Sanction.member_id == member.id)
        .order_by(Sanction.starts_at.desc(), Sanction.id.desc())))


def history(actor: Any, member: Any) -> list[Sanction]:
    """A member's sanctions, newest first: for staff (`sanctions.view`)."""
    require(actor, "sanctions.view", member)
    return history_of(member)


def proposed_kind(member: Any) -> str:
    """The next step for this member: after their latest sanction not lifted."""
    last = db.session.scalar(
        select(Sanction.kind).where(Sanction.member_id == member.id,
                                    Sanction.lifted_at.is_(None))
        .order_by(Sanction.starts_at.desc(), Sanction.id.desc()).limit(1))
    return NEXT[last]


def get_member(user_id: int) -> User:
    member = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if member is None or member.deleted_at is not None:
        raise NotFound(_l("This member does not exist."))
    return member


def get_sanction(sanction_id: int) -> Sanction:
    row = db.session.get(Sanction, sanction_id) if 0 < sanction_id < 2**31 else None
    if row is None:
        raise NotFound(_l("This sanction does not exist."))
    return row


def in_force(row: Sanction, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (row.kind != WARNING and row.lifted_at is None and row.starts_at <= now
            and (row.ends_at is None or row.ends_at > now))


# -- issuing and lifting -----------------------------------------------------------------------


def clean_reason(value: str | None, field: str = "reason") -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(_l("Say why: the member will read it."), field=field)
    if "\x00" in text:
        raise ValidationError(_l("This text contains characters that are not allowed."),
                              field=field)
    if len(text) > REASON_MAX:
        raise ValidationError(_l("Please keep it under %(n)s characters.", n=REASON_MAX),
                              field=field)
    return text


def ends_after(days: int | None) -> datetime | None:
    """The end of a sanction `days` from now (None: none)."""
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(_l("Between 1 and %(n)s days.", n=MAX_DAYS), field="days")
    return utcnow() + timedelta(days=days)


def issue(actor: Any, member: User, kind: str, reason: str | None,
          ends_at: datetime | None = None) -> Sanction:
    """Warn, mute (until `ends_at`, required) or block (until `ends_at`, or until lifted)
    `member`; audited, and the member is told why, until when and how to appeal."""
    require(actor, "sanctions.issue", member)
    if kind not in KINDS:
        raise ValidationError(_l("Choose a warning, a mute or a block."), field="kind")
    text = clean_reason(reason)
    now = utcnow()
    if kind == WARNING:
        ends_at = None  # a warning is said once: it lasts no time
    elif kind == MUTE and ends_at is None:
        raise ValidationError(_l("A mute needs an end: say for how many days."), field="days")
    if ends_at is not None and ends_at <= now:
        raise ValidationError(_l("The end must be in the future."), field="days")
    row = Sanction(member_id=member.id, kind=kind, reason=text, starts_at=now, ends_at=ends_at,
                   issued_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    refresh(member)
    audit.record(actor, f"sanction.{kind}", member, before=None, after={
        "sanction_id": row.id, "kind": kind, "reason": text,
        "ends_at": ends_at.isoformat() if ends_at else None})
    _tell(actor, member, row, "issued")
    db.session.commit()
    return row


def lift(actor: Any, row: Sanction, reason: str | None) -> Sanction:
    """End a mute or a block before its time (a moderator's mistake, a successful appeal)."""
    member = row.member
    require(actor, "sanctions.issue", member)
    if not in_force(row):
        raise InvalidTransition(_l("This sanction is no longer in force."))
    text = clean_reason(reason, "lift_reason")
    row.lifted_at, row.lifted_by_id, row.lift_reason = utcnow(), actor.id, text
    db.session.flush()
    refresh(member)
    audit.record(actor, f"sanction.lift_{row.kind}", member,
                 before={"sanction_id": row.id, "kind": row.kind},
                 after={"lifted": True, "reason": text})
    _tell(actor, member, row, "lifted")
    db.session.commit()
    return row


def refresh(member: User) -> None:
    """Keep the users row's sanction columns equal to the rows in force (caller commits)."""
    rows = db.session.scalars(select(Sanction).where(
        Sanction.member_id == member.id, Sanction.kind.in_((MUTE, BLOCK)), *_in_force())).all()
    mutes = [r.ends_at for r in rows if r.kind == MUTE and r.ends_at is not None]
    blocks = [r for r in rows if r.kind == BLOCK]
    member.muted_until = max(mutes) if mutes else None
    member.blocked = bool(blocks)
    ends = [r.ends_at for r in blocks]
    member.blocked_until = None if (not ends or None in ends) else max(ends)


# -- telling the member ------------------------------------------------------------------------


def appeal_text() -> Any:
    contact = str(current_app.config.get("APPEAL_CONTACT") or "").strip()
    if contact:
        return _l("To appeal, write to %(contact)s and say why the decision should change.",
                  contact=contact)
    return _l("To appeal, write to the programme's moderators and say why the decision "
              "should change.")


def _tell(actor: Any, member: User, row: Sanction, event: str) -> None:
    from diaspora.notifications.service import notify

    notify(member, NOTIFICATION_KIND, TEMPLATE, {
        "event": event, "kind": row.kind, "reason": row.reason,
        "ends_at": row.ends_at.isoformat() if row.ends_at else None,
        "zone": member_timezone(member), "lift_reason": row.lift_reason,
    }, url="/account/sanctions", actor=actor)


def describe(kind: str, event: str, ends: Any) -> Any:
    """The headline of a sanction (or its lifting), `ends` a formatted time or None."""
    if event == "lifted":
        return {MUTE: _l("A moderator lifted the mute on your account: you can post again."),
                BLOCK: _l("A moderator lifted the block on your account: you can use "
                          "Mekendesh again.")}.get(kind, _l("A moderator lifted a sanction."))
    if kind == WARNING:
        return _l("A moderator has warned you.")
    if kind == MUTE:
        return _l("A moderator has muted your account: you can read but not post until "
                  "%(until)s.", until=ends)
    if ends is None:
        return _l("Your account is blocked until a moderator lifts the block.")
    return _l("Your account is blocked until %(until)s.", until=ends)


def render_message(params: Mapping[str, Any], locale: str) -> str:
    """Outbox template "moderation.sanction" (and the site's notification text)."""
    from diaspora.delivery.messages import absolute_url, escape, shorten

    ends = None
    if params.get("ends_at"):
        try:
            ends = format_when(datetime.fromisoformat(str(params["ends_at"])), locale,
                               params.get("zone"))
        except ValueError:
            ends = None
    event = str(params.get("event") or "issued")
    parts = ["<b>" + escape(str(describe(str(params.get("kind")), event, ends))) + "</b>"]
    if event == "lifted":
        note = shorten(str(params.get("lift_reason") or ""), 1000)
        if note:
            parts.append(escape(_("Why: %(reason)s", reason=note)))
    else:
        parts.append(escape(_("Why: %(reason)s",
                              reason=shorten(str(params.get("reason") or ""), 1000))))
        parts.append(escape(str(appeal_text())))
    url = absolute_url(f"/account/sanctions?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("My sanctions")) + "</a>")
    return "\n\n".join(parts)


@dataclass(frozen=True)
class Notice:
    """What a sanctioned member is shown: the headline, the reason, how to appeal."""

    kind: str
    headline: Any
    reason: str
    appeal: Any

    def __str__(self) -> str:
        why = _("Why: %(reason)s", reason=self.reason) if self.reason else ""
        return " ".join(str(part) for part in (self.headline, why, self.appeal) if part)


def notice_of(row: Sanction, member: Any) -> Notice:
    ends = LazyWhen(row.ends_at, member_timezone(member)) if row.ends_at else None
    return Notice(row.kind, describe(row.kind, "issued", ends), row.reason, appeal_text())


def blocked_notice(user: Any) -> Notice | None:
    """For a blocked member (sign-in, each web request, each bot update): why and until
    when; None when they are not blocked."""
    if not is_blocked(user):
        return None
    row = active_sanction(user)
    if row is None or row.kind != BLOCK:  # the row went (an erased issuer?): say it plainly
        return Notice(BLOCK, _l("Your account is blocked until a moderator lifts the block."),
                      "", appeal_text())
    return notice_of(row, user)


def login_refusal(user: Any) -> str | None:
    """Registered with accounts (register_login_refusal): a blocked member may not sign in."""
    notice = blocked_notice(user)
    return str(notice) if notice is not None else None


def mute_banner() -> Notice | None:
    """The banner on every page for a muted member (a context processor)."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False) or not is_muted(current_user):
        return None
    row = active_sanction(current_user)
    return notice_of(row, current_user) if row is not None and row.kind == MUTE else None


# -- personal data -----------------------------------------------------------------------------


def export_member_sanctions(member: Any) -> list[dict[str, Any]]:
    return [{"kind": row.kind, "reason": row.reason,
             "starts_at": row.starts_at.isoformat(),
             "ends_at": row.ends_at.isoformat() if row.ends_at else None,
             "lifted_at": row.lifted_at.isoformat() if row.lifted_at else None,
             "lift_reason": row.lift_reason}
            for row in history_of(member)]


def erase_member_sanctions(member: Any) -> None:
    """Erasure keeps the sanctions: they are the moderators' record about an account, which
    stays (anonymous, inactive); the reasons stay readable in the audit log anyway."""


def init_app(app: Flask) -> None:
    from diaspora.accounts.service import register_login_refusal, register_personal_data
    from diaspora.delivery.messages import register_template
    from diaspora.notifications.service import register_kind

    register_template(app, TEMPLATE, render_message)
    register_kind(app, NOTIFICATION_KIND, _l("Moderators' sanctions on my account"),
                  always=True)
    register_personal_data(app, "sanctions", export_member_sanctions, erase_member_sanctions)
    register_login_refusal(app, login_refusal)
    app.context_processor(lambda: {"sanction_banner": mute_banner()})


# Built once (it runs ahead of every update the bot gets; building it cost as much as the read).
_CHAT_BLOCK = select(User.id, User.blocked, User.blocked_until).where(
    User.telegram_chat_id == bindparam("chat_id"), User.deleted_at.is_(None))


def chat_block(chat_id: int) -> Notice | None:
    """For the bot's check ahead of every update: the notice of the block in force on the
    account this Telegram chat is joined to, else None. One narrow indexed read for everyone
    else (the block must stop the bot at once, so nothing is cached)."""
    row = core_read(_CHAT_BLOCK, {"chat_id": chat_id}).first()
    if row is None or not row.blocked:
        return None
    if row.blocked_until is not None and row.blocked_until <= utcnow():
        return None
    return blocked_notice(db.session.get(User, row.id))

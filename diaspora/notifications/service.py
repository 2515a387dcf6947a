"""Who hears of what: one call, `notify`, for every feature (`notify_all` for many at once).

A kind is registered once by the feature that raises it (`register_kind`), with the label the
profile's switches show. `notify` is called inside the caller's transaction; it writes
nothing when the recipient is the actor (nobody is told of their own step) or switched the
kind off. Otherwise it writes a site entry (the list at /notifications/, in the reader's
language) and, when Telegram can reach the member, an outbox message.

Kinds marked `digest` (project updates) send at most one Telegram message per member in any
24 hours (a rolling window, the same for every time zone): the first goes at once, those that
follow wait, and the sender's housekeeping (`send_digests`) sends them as one digest once the
24 hours have passed (the digest starts the next 24 hours).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import nh3
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import (
    JSON,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.delivery.messages import escape, known_template, render_message
from diaspora.delivery.models import PRIORITY_NOTIFICATION, QUEUED, OutboxMessage
from diaspora.delivery.states import reachable_sql
from diaspora.errors import NotFound, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.notifications.models import (
    TELEGRAM_DIGESTED,
    TELEGRAM_DROPPED,
    TELEGRAM_SENT,
    TELEGRAM_WAITING,
    Notification,
    NotificationPace,
    NotificationSetting,
)

log = logging.getLogger(__name__)

_KINDS_KEY = "mekendesh.notification_kinds"
DIGEST_TEMPLATE = "notifications.digest"
DIGEST_EVERY = timedelta(hours=24)
DIGEST_MAX_ITEMS = 10  # listed one by one; the rest are counted, with a link to the list
DIGEST_BATCH = 200  # members per transaction of the digest job
DIGEST_BATCHES_PER_RUN = 25
PER_PAGE = 20
UNREAD_SHOWN_MAX = 99  # the badge says "99+" beyond: counting stops there
URL_MAX = 500
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any  # a lazy string: the switch in the profile
    # Kinds that may arrive often (project updates): at most one Telegram message a day per
    # member; the rest wait for the daily digest.
    digest: bool = False
    # Kinds a member can't switch off (a moderator's sanction on their account): not in the
    # profile's switches, always written.
    always: bool = False


def register_kind(app: Flask, name: str, label: Any, *, digest: bool = False,
                  always: bool = False) -> None:
    kinds: dict[str, Kind] = app.extensions.setdefault(_KINDS_KEY, {})
    if name in kinds and kinds[name] != Kind(name, label, digest, always):
        raise ValueError(f"notification kind {name!r} is already registered")
    kinds[name] = Kind(name, label, digest, always)


def kinds() -> dict[str, Kind]:
    return current_app.extensions.get(_KINDS_KEY, {})


def switchable_kinds() -> dict[str, Kind]:
    """The kinds the profile's switches show."""
    return {name: kind for name, kind in kinds().items() if not kind.always}


def safe_path(url: Any) -> str | None:
    """`url` if it is a path on this site ("/projects/12?tab=x"), else None: a stored
    notification is only ever a redirect within the site (never "//evil.org", "/\\evil.org",
    "https://...", "javascript:...")."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX:
        return None
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url


# -- raising notifications ---------------------------------------------------------------------


def notify(recipient: Any, kind: str, template: str, params: Mapping[str, Any], *,
           url: str, actor: Any = None) -> None:
    """Tell `recipient` (a User) about something of `kind`: `template` and `params` are an
    outbox message template (delivery.messages) that renders it in any language; `url` is
    the page it is about. Part of the caller's transaction."""
    _check(kind, template)
    if recipient is None or recipient.id is None or recipient.id == getattr(actor, "id", None):
        return
    _deliver([recipient.id], kind, template, params, url=url, actor=actor)


def notify_all(recipients: Select | Iterable[int], kind: str, template: str,
               params: Mapping[str, Any], *, url: str, actor: Any = None) -> int:
    """`notify` for many members at once: `recipients` is a SELECT of user ids (or ids).
    A handful of set-based statements whatever their number; returns how many site entries
    were written."""
    _check(kind, template)
    if not isinstance(recipients, Select):
        recipients = list(recipients)
        if not recipients:
            return 0
    return _deliver(recipients, kind, template, params, url=url, actor=actor)


def _check(kind: str, template: str) -> None:
    if kind not in kinds():
        raise KeyError(f"unknown notification kind {kind!r}")
    if not known_template(template):
        raise ValidationError(_l("Unknown message template."))


def _switched_off(kind: str) -> Any:
    return exists().where(NotificationSetting.user_id == User.id,
                          NotificationSetting.kind == kind,
                          NotificationSetting.enabled.is_(False))


def _upsert_ignore() -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NotificationPace)


def _deliver(recipients: Select | list[int], kind: str, template: str,
             params: Mapping[str, Any], *, url: str, actor: Any) -> int:
    now = utcnow()
    path = safe_path(url)
    if path is None:
        log.warning("notification %s with a url that is not a path of this site: %r", kind, url)
    params = dict(params)
    actor_id = getattr(actor, "id", None)
    # Who gets a site entry: live accounts among the recipients, not the actor, kind on.
    wanted = [User.id.in_(recipients), User.active.is_(True), User.deleted_at.is_(None)]
    if not kinds()[kind].always:
        wanted.append(not_(_switched_off(kind)))
    if actor_id is not None:
        wanted.append(User.id != actor_id)
    reachable = and_(*reachable_sql(broadcast=False))
    digest = kinds()[kind].digest

    if digest:
        # The members Telegram reaches get a pace row (once), then those whose last message
        # of a digest kind is 24 hours old take "now" as their new one, with one conditional
        # UPDATE: the rows it changed (last_telegram_at == now) are the ones sent at once.
        db.session.execute(
            _upsert_ignore().from_select(
                ["user_id", "last_telegram_at"],
                select(User.id, literal(_EPOCH, NotificationPace.last_telegram_at.type))
                .where(*wanted, reachable),
            ).on_conflict_do_nothing()
        )
        db.session.execute(
            update(NotificationPace)
            .where(NotificationPace.user_id.in_(select(User.id).where(*wanted, reachable)),
                   NotificationPace.last_telegram_at <= now - DIGEST_EVERY)
            .values(last_telegram_at=now).execution_options(synchronize_session=False)
        )
        sent_now = NotificationPace.last_telegram_at == literal(
            now, NotificationPace.last_telegram_at.type)
        state = case((sent_now, TELEGRAM_SENT), (reachable, TELEGRAM_WAITING), else_=None)
        site_rows = (select(User.id, state.label("telegram_state"))
                     .outerjoin(NotificationPace, NotificationPace.user_id == User.id)
                     .where(*wanted))
        telegram = (select(User.id).join(NotificationPace, NotificationPace.user_id == User.id)
                    .where(*wanted, reachable, sent_now))
    else:
        site_rows = select(User.id, literal(None, Notification.telegram_state.type)
                           .label("telegram_state")).where(*wanted)
        telegram = select(User.id).where(*wanted, reachable)

    result = db.session.execute(insert(Notification).from_select(
        ["user_id", "telegram_state", "kind", "template", "params", "url", "created_at"],
        site_rows.add_columns(
            literal(kind), literal(template), literal(params, JSON), literal(path),
            literal(now, Notification.created_at.type))))
    db.session.execute(insert(OutboxMessage).from_select(
        ["user_id", "template", "params", "priority", "status", "attempts", "created_at"],
        telegram.add_columns(
            literal(template), literal(params, JSON), literal(PRIORITY_NOTIFICATION),
            literal(QUEUED), literal(0), literal(now, OutboxMessage.created_at.type))))
    return max(result.rowcount or 0, 0)


# -- the daily digest ----------------------------------------------------------------------------


def send_digests(now: datetime | None = None) -> int:
    """Housekeeping: one digest message to each member whose updates wait and whose last
    message of a digest kind is 24 hours old. Safe to run twice and from several senders:
    a member is claimed by the same conditional UPDATE as `notify`'s, so only one run sends.
    Returns how many digests were queued."""
    now = now or utcnow()
    cutoff = now - DIGEST_EVERY
    sent = 0
    for _ in range(DIGEST_BATCHES_PER_RUN):
        due = list(db.session.scalars(
            select(NotificationPace.user_id)
            .join(User, User.id == NotificationPace.user_id)
            .where(NotificationPace.last_telegram_at <= cutoff,
                   *reachable_sql(broadcast=False),
                   exists().where(Notification.user_id == NotificationPace.user_id,
                                  Notification.telegram_state == TELEGRAM_WAITING))
            .order_by(NotificationPace.user_id).limit(DIGEST_BATCH)
            .with_for_update(skip_locked=True, of=NotificationPace)
        ))
        if not due:
            db.session.commit()
            break
        claimed = set(db.session.scalars(
            update(NotificationPace)
            .where(NotificationPace.user_id.in_(due),
                   NotificationPace.last_telegram_at <= cutoff)
            .values(last_telegram_at=now).returning(NotificationPace.user_id)
            .execution_options(synchronize_session=False)
        ))
        waiting: dict[int, list[Notification]] = {}
        for row in db.session.scalars(
            select(Notification).where(Notification.user_id.in_(claimed),
                                       Notification.telegram_state == TELEGRAM_WAITING)
            .order_by(Notification.user_id, Notification.created_at, Notification.id)
        ):
            waiting.setdefault(row.user_id, []).append(row)
        for user_id, rows in waiting.items():
            db.session.add(OutboxMessage(
                user_id=user_id, template=DIGEST_TEMPLATE,
                params={"count": len(rows), "items": [
                    {"template": row.template, "params": row.params, "url": row.url}
                    for row in rows[-DIGEST_MAX_ITEMS:]]},
                priority=PRIORITY_NOTIFICATION, status=QUEUED, attempts=0, created_at=now))
            sent += 1
        ids = [row.id for rows in waiting.values() for row in rows]
        if ids:
            db.session.execute(update(Notification).where(Notification.id.in_(ids))
                               .values(telegram_state=TELEGRAM_DIGESTED)
                               .execution_options(synchronize_session=False))
        db.session.commit()
        if len(due) < DIGEST_BATCH:
            break
    return sent


def render_digest(params: Mapping[str, Any], locale: str) -> str:
    """Outbox template "notifications.digest": the waiting notifications, one line each
    (the first paragraph of each one's own message, as text), and a link to the list."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    from diaspora.delivery.messages import absolute_url, shorten

    count = int(params.get("count") or 0)
    items = params.get("items") or []
    lines = [escape(ngettext("%(num)d new update on projects you follow:",
                             "%(num)d new updates on projects you follow:", count))]
    for item in items:
        text = shorten(_first_paragraph(item.get("template"), item.get("params"), locale), 200)
        if not text:
            continue
        line = "• " + escape(text)
        path = safe_path(item.get("url"))
        if path:
            line += f' <a href="{escape(absolute_url(path))}">' + escape(_("Open")) + "</a>"
        lines.append(line)
    more = count - len(items)
    if more > 0:
        lines.append(escape(ngettext("and %(num)d more", "and %(num)d more", more)))
    link = absolute_url(f"/notifications/?lang={locale}")
    lines.append(f'<a href="{escape(link)}">' + escape(_("All my notifications")) + "</a>")
    return "\n".join(lines)


def _first_paragraph(template: Any, params: Any, locale: str) -> str:
    """The plain text of the first paragraph of a message (its headline)."""
    try:
        rendered = render_message(str(template), params or {}, locale)
    except Exception:  # noqa: BLE001  (a template gone since: the line is left out)
        log.exception("notification template %r could not be rendered", template)
        return ""
    first = rendered.split("\n\n", 1)[0]
    return html.unescape(nh3.clean(first, tags=set(), attributes={},
                                   clean_content_tags={"a", "script", "style"}))


# -- the site list -------------------------------------------------------------------------------


def list_for(actor: Any, page: int = 1) -> Any:
    require(actor, "notifications.view")
    query = (select(Notification).where(Notification.user_id == actor.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def unread_count(actor: Any) -> int:
    """Unread entries, counted up to UNREAD_SHOWN_MAX + 1 (one short indexed query)."""
    member_id = getattr(actor, "id", None)
    if member_id is None:
        return 0
    first = (select(Notification.id).where(Notification.user_id == member_id,
                                           Notification.read_at.is_(None))
             .limit(UNREAD_SHOWN_MAX + 1).subquery())
    return db.session.scalar(select(func.count()).select_from(first)) or 0


def render_web(notification: Notification, locale: str) -> Markup:
    """The entry's text in `locale`: its message template's Telegram HTML, passed through
    nh3 keeping only <b> and <i> (links and their words go: the entry itself is the link),
    so even a template that forgot to escape cannot put markup on the page."""
    try:
        rendered = render_message(notification.template, notification.params or {}, locale)
    except Exception:  # noqa: BLE001  (a template gone since: the entry still shows)
        log.exception("notification %s could not be rendered", notification.id)
        rendered = escape(str(kinds().get(notification.kind, Kind("", "")).label or ""))
    clean = nh3.clean(rendered, tags={"b", "i"}, attributes={},
                      clean_content_tags={"a", "script", "style"})
    return Markup(clean.strip().replace("\n", "<br>\n"))  # noqa: S704  (nh3 just above)


def get_own(actor: Any, notification_id: int) -> Notification:
    """One of `actor`'s notifications; anyone else's is "not found"."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not _may_open(actor, notification):
        raise NotFound(_l("This notification does not exist."))
    return notification


def _may_open(actor: Any, notification: Notification) -> bool:
    from diaspora.accounts.permissions import can

    return can(actor, "notifications.open", notification)


def open_notification(actor: Any, notification_id: int) -> str:
    """Mark it read; the path to go to (the list when its url is not a path of the site)."""
    notification = get_own(actor, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return safe_path(notification.url) or "/notifications/"


def mark_all_read(actor: Any) -> int:
    require(actor, "notifications.view")
    result = db.session.execute(
        update(Notification).where(Notification.user_id == actor.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return max(result.rowcount or 0, 0)


# -- switches --------------------------------------------------------------------------------------


def settings_of(actor: Any) -> dict[str, bool]:
    """Every registered kind, on or off for `actor` (on unless they switched it off)."""
    require(actor, "notifications.settings")
    off = set(db.session.scalars(
        select(NotificationSetting.kind).where(NotificationSetting.user_id == actor.id,
                                               NotificationSetting.enabled.is_(False))))
    return {name: name not in off for name in switchable_kinds()}


def save_settings(actor: Any, enabled: Iterable[str]) -> dict[str, bool]:
    """Switch on the kinds in `enabled` and off every other registered kind (unknown names
    are ignored). A kind switched off drops the updates still waiting for a digest."""
    require(actor, "notifications.settings")
    on = set(enabled)
    existing = {row.kind: row for row in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == actor.id))}
    for name in switchable_kinds():
        value = name in on
        row = existing.get(name)
        if row is None:
            if value:
                continue  # no row is on
            db.session.add(NotificationSetting(user_id=actor.id, kind=name, enabled=False))
        elif row.enabled != value:
            row.enabled = value
        if not value:
            db.session.execute(
                update(Notification).where(Notification.user_id == actor.id,
                                           Notification.kind == name,
                                           Notification.telegram_state == TELEGRAM_WAITING)
                .values(telegram_state=TELEGRAM_DROPPED)
                .execution_options(synchronize_session=False))
    db.session.commit()
    return settings_of(actor)


# -- personal data -------------------------------------------------------------------------------


def export_notifications(member: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Notification).where(Notification.user_id == member.id)
                              .order_by(Notification.id))
    return [{"kind": row.kind, "template": row.template, "params": row.params, "url": row.url,
             "created_at": row.created_at.isoformat(),
             "read_at": row.read_at.isoformat() if row.read_at else None,
             "telegram": row.telegram_state} for row in rows]


def export_settings(member: User) -> dict[str, Any]:
    switches = {row.kind: row.enabled for row in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == member.id))}
    pace = db.session.get(NotificationPace, member.id)
    return {"switched": switches,
            "last_update_message_at": pace.last_telegram_at.isoformat() if pace else None}


def erase_notifications(member: User) -> None:
    """Erasure: the list (its texts may name the member's projects) goes."""
    for model in (Notification, NotificationPace):
        db.session.execute(delete(model).where(model.user_id == member.id))


def erase_settings(member: User) -> None:
    db.session.execute(delete(NotificationSetting)
                       .where(NotificationSetting.user_id == member.id))

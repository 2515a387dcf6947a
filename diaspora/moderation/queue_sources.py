"""The queue's sources that moderation owns: reported items, items hidden by their reports, and
authority accounts awaiting verification; auto-hiding at REPORTS_TO_HIDE reports; and the
message that tells an author what the moderators decided about what they wrote.

A reported item is one queue entry however many members reported it: its id is the id of its
oldest open report, so once the moderators decide (its reports close) a later report starts a
new entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.accounts.permissions import has_staff_role
from diaspora.delivery.messages import absolute_url, escape, shorten
from diaspora.extensions import db
from diaspora.moderation.models import Report
from diaspora.moderation.queue import QueueItem, QueueSource, action, register_source
from diaspora.moderation.reports import REASONS, SubjectKind, resolve_reports, subject_kinds

DECISION_KIND = "moderation.decision"
DECISION_TEMPLATE = "moderation.decision"
REPORTED, HIDDEN, AUTHORITY = "report", "hidden", "authority"

# What the author is told, by outcome.
AUTO_HIDDEN, HIDDEN_BY_MODERATOR, KEPT_HIDDEN, RESTORED = (
    "auto_hidden", "hidden", "kept_hidden", "restored")


def init_app(app: Flask) -> None:
    from diaspora.delivery.messages import register_template
    from diaspora.moderation.reports import register_listener
    from diaspora.notifications.service import register_kind

    register_kind(app, DECISION_KIND, _l("Moderators' decisions on what I wrote"))
    register_template(app, DECISION_TEMPLATE, render_decision)
    register_listener(app, auto_hide)
    register_source(app, QueueSource(REPORTED, _l("Reported"), items=_reported_items,
                                     get=_reported_item, act=_act_on_reported))
    register_source(app, QueueSource(HIDDEN, _l("Hidden after reports"), items=_hidden_items,
                                     get=_hidden_item, act=_act_on_reported,
                                     labels={"hide": _l("Keep hidden")}))
    register_source(app, QueueSource(AUTHORITY, _l("Authority awaiting verification"),
                                     items=_authority_items, get=_authority_item,
                                     act=_act_on_authority, labels={"approve": _l("Verify")}))


# -- telling the author --------------------------------------------------------------------


def tell_author(author_id: int | None, kind: SubjectKind, subject_id: int, outcome: str,
                reason: str = "", actor: Any = None) -> None:
    from diaspora.notifications.service import notify

    info = kind.describe([subject_id]).get(subject_id)
    author = db.session.get(User, author_id) if author_id is not None else None
    if author is None or info is None:
        return
    notify(author, DECISION_KIND, DECISION_TEMPLATE,
           {"kind": kind.name, "title": info.title, "outcome": outcome, "reason": reason,
            "url": info.url}, url=info.url, actor=actor)


def render_decision(params: Mapping[str, Any], locale: str) -> str:
    kind = subject_kinds().get(str(params.get("kind")))
    what = str(kind.label) if kind is not None else _("Your post")
    title = shorten(str(params.get("title") or ""), 200)
    outcome = params.get("outcome")
    if outcome == AUTO_HIDDEN:
        text = _("%(what)s “%(title)s” is hidden for now: several members reported it. A "
                 "moderator will look at it and decide; you will hear from us.",
                 what=what, title=title)
    elif outcome == RESTORED:
        text = _("%(what)s “%(title)s” is shown again: the moderators found nothing wrong "
                 "with it.", what=what, title=title)
    elif outcome == KEPT_HIDDEN:
        text = _("%(what)s “%(title)s” stays hidden: the moderators decided it breaks the "
                 "rules.", what=what, title=title)
    else:
        text = _("%(what)s “%(title)s” was hidden by the moderators.", what=what, title=title)
    parts = [escape(text)]
    reason = shorten(str(params.get("reason") or ""), 1000)
    if reason:
        parts.append(escape(_("Reason:")) + " <i>" + escape(reason) + "</i>")
    url = str(params.get("url") or "")
    if url.startswith("/"):
        parts.append(f'<a href="{escape(absolute_url(url))}">' + escape(_("Open it")) + "</a>")
    return "\n\n".join(parts)


# -- auto-hide -------------------------------------------------------------------------------


def auto_hide(report: Report) -> None:
    """A report listener: at REPORTS_TO_HIDE open reports the item hides itself until a
    moderator decides, and its author is told why. Staff's own content is not hidden by
    members' reports (three accounts could otherwise take down any announcement): it waits
    in the queue like anything else reported."""
    kind = subject_kinds().get(report.subject_kind)
    if kind is None or kind.hide is None or kind.hidden is None:
        return
    threshold = int(current_app.config.get("REPORTS_TO_HIDE", 3))
    open_reports = db.session.scalar(
        select(func.count()).select_from(Report).where(
            Report.subject_kind == report.subject_kind, Report.subject_id == report.subject_id,
            Report.resolved_at.is_(None))) or 0
    if open_reports < threshold or report.subject_id in kind.hidden([report.subject_id]):
        return
    info = kind.describe([report.subject_id]).get(report.subject_id)
    author = db.session.get(User, info.author_id) if info and info.author_id else None
    if author is not None and has_staff_role(author):
        return
    kind.hide(None, report.subject_id, "")
    tell_author(info.author_id if info else None, kind, report.subject_id, AUTO_HIDDEN)


# -- reported and hidden items ---------------------------------------------------------------


def _open_groups(limit: int, report_id: int | None = None) -> list[tuple[str, int, int, Any,
                                                                         int]]:
    """(kind, subject id, oldest open report id, its time, count) per reported item; with
    `report_id`, only the item that report is about."""
    stmt = (select(Report.subject_kind, Report.subject_id, func.min(Report.id),
                   func.min(Report.created_at), func.count())
            .where(Report.resolved_at.is_(None))
            .group_by(Report.subject_kind, Report.subject_id)
            .order_by(func.min(Report.created_at)).limit(limit))
    if report_id is not None:
        first = db.session.get(Report, report_id)
        if first is None or first.resolved_at is not None:
            return []
        stmt = stmt.where(Report.subject_kind == first.subject_kind,
                          Report.subject_id == first.subject_id)
    return [tuple(row) for row in db.session.execute(stmt).all()]


def _report_items(limit: int, want_hidden: bool, only: int | None = None) -> list[QueueItem]:
    groups = _open_groups(limit, only)
    if only is not None:
        groups = [g for g in groups if g[2] == only]
    kinds = subject_kinds()
    by_kind: dict[str, list[int]] = {}
    for kind_name, subject_id, *_rest in groups:
        by_kind.setdefault(kind_name, []).append(subject_id)
    described: dict[tuple[str, int], Any] = {}
    hidden: set[tuple[str, int]] = set()
    for kind_name, ids in by_kind.items():
        kind = kinds.get(kind_name)
        if kind is None:
            continue
        described.update({(kind_name, i): info for i, info in kind.describe(ids).items()})
        if kind.hidden is not None:
            hidden.update((kind_name, i) for i in kind.hidden(ids))
    reasons = _reasons(groups)
    items = []
    for kind_name, subject_id, first_id, first_at, count in groups:
        kind, info = kinds.get(kind_name), described.get((kind_name, subject_id))
        if kind is None or info is None or ((kind_name, subject_id) in hidden) != want_hidden:
            continue
        if want_hidden:
            actions = (action("hide", reason_required=True, label=_l("Keep hidden")),
                       action("restore"))
        elif kind.hide is not None:
            actions = (action("hide", reason_required=True), action("dismiss"))
        else:
            actions = (action("dismiss"),)
        details = (str(_l("%(count)s reports: %(reasons)s", count=count,
                          reasons=reasons.get((kind_name, subject_id), ""))),)
        items.append(QueueItem(
            source=HIDDEN if want_hidden else REPORTED, item_id=first_id, token=kind_name,
            label=kind.label, title=info.title, excerpt=info.excerpt, url=info.url,
            author_id=info.author_id, created_at=first_at, actions=actions,
            history_of=(_audit_type(kind_name), subject_id), details=details))
    return items


def _audit_type(kind_name: str) -> str:
    """The audit log's object type of a subject kind (the model's name in lower case)."""
    return {"project": "project", "project_comment": "projectcomment",
            "news_post": "newspost", "survey": "survey"}.get(kind_name, kind_name)


def _reasons(groups: Sequence[tuple]) -> dict[tuple[str, int], str]:
    """Each reported item's open reports counted by reason, in the reader's words."""
    wanted = {(g[0], g[1]) for g in groups}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Report.subject_kind, Report.subject_id, Report.reason, func.count())
        .where(Report.resolved_at.is_(None),
               Report.subject_id.in_({subject_id for _k, subject_id in wanted}))
        .group_by(Report.subject_kind, Report.subject_id, Report.reason)).all()
    found: dict[tuple[str, int], list[str]] = {}
    for kind_name, subject_id, reason, count in rows:
        if (kind_name, subject_id) in wanted:
            label = str(REASONS.get(reason, reason))
            found.setdefault((kind_name, subject_id), []).append(f"{label} ({count})")
    return {key: ", ".join(sorted(value)) for key, value in found.items()}


def _reported_items(limit: int) -> list[QueueItem]:
    return _report_items(limit, want_hidden=False)


def _hidden_items(limit: int) -> list[QueueItem]:
    return _report_items(limit, want_hidden=True)


def _reported_item(first_report_id: int) -> QueueItem | None:
    found = _report_items(1, want_hidden=False, only=first_report_id)
    return found[0] if found else None


def _hidden_item(first_report_id: int) -> QueueItem | None:
    found = _report_items(1, want_hidden=True, only=first_report_id)
    return found[0] if found else None


def _act_on_reported(actor: Any, first_report_id: int, name: str, reason: str) -> None:
    report = db.session.get(Report, first_report_id)
    kind = subject_kinds().get(report.subject_kind) if report is not None else None
    if report is None or kind is None:
        return
    subject_id = report.subject_id
    info = kind.describe([subject_id]).get(subject_id)
    author_id = info.author_id if info is not None else None
    was_hidden = kind.hidden is not None and subject_id in kind.hidden([subject_id])
    if name == "hide":
        if not was_hidden and kind.hide is not None:
            kind.hide(actor, subject_id, reason)
        resolve_reports(actor, kind.name, subject_id, "hidden")
        tell_author(author_id, kind, subject_id,
                    KEPT_HIDDEN if was_hidden else HIDDEN_BY_MODERATOR, reason, actor)
    elif name == "restore":
        if was_hidden and kind.restore is not None:
            kind.restore(actor, subject_id)
        resolve_reports(actor, kind.name, subject_id, "restored")
        tell_author(author_id, kind, subject_id, RESTORED, reason, actor)
    elif name == "dismiss":
        resolve_reports(actor, kind.name, subject_id, "dismissed")


# -- authorities awaiting verification ---------------------------------------------------------


def _authority_item_of(link: AuthorityPlace) -> QueueItem:
    from diaspora.accounts.authority import document_url

    place = link.place.full_name(_locale()) if link.place is not None else ""
    document = document_url(link)
    details = tuple(x for x in (link.position, link.user.email,
                                str(_l("A document is attached.")) if document else None) if x)
    return QueueItem(
        source=AUTHORITY, item_id=link.id, token=str(int(link.requested_at.timestamp())),
        label=_l("Authority awaiting verification"),
        title=f"{link.organisation} — {place}", excerpt=link.user.name,
        url=document or f"/moderation/members/{link.user_id}", author_id=link.user_id,
        created_at=link.requested_at, history_of=("authorityplace", link.id),
        actions=(action("approve", label=_l("Verify")), action("reject", reason_required=True)),
        details=details)


def _locale() -> str:
    from diaspora.main.templating import current_locale

    return current_locale()


def _pending_links(limit: int, link_id: int | None = None) -> list[AuthorityPlace]:
    stmt = (select(AuthorityPlace)
            .where(AuthorityPlace.verified_at.is_(None), AuthorityPlace.rejected_at.is_(None),
                   AuthorityPlace.revoked_at.is_(None))
            .order_by(AuthorityPlace.requested_at, AuthorityPlace.id).limit(limit))
    if link_id is not None:
        stmt = stmt.where(AuthorityPlace.id == link_id)
    return list(db.session.scalars(stmt))


def _authority_items(limit: int) -> list[QueueItem]:
    return [_authority_item_of(link) for link in _pending_links(limit)]


def _authority_item(link_id: int) -> QueueItem | None:
    links = _pending_links(1, link_id)
    return _authority_item_of(links[0]) if links else None


def _act_on_authority(actor: Any, link_id: int, name: str, reason: str) -> None:
    from diaspora.accounts import authority

    link = db.session.get(AuthorityPlace, link_id)
    if link is None:
        return
    if name == "approve":
        authority.verify_authority(actor, link)
    elif name == "reject":
        authority.reject_authority(actor, link, reason)

"""What projects put in the moderators' queue (proposals awaiting moderation, proposals left
unanswered for 30 days) and how a reported project or comment is hidden and restored.

The decisions go through the lifecycle (service.transition), which checks the rules, records
the step in the project's timeline, audits and tells the proposer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.moderation.queue import QueueItem, QueueSource, action, register_source
from diaspora.projects import service as projects
from diaspora.projects.models import (
    HIDDEN,
    PUBLIC_STATES,
    PUBLISHED,
    SUBMITTED,
    Project,
    ProjectComment,
    ProjectEvent,
)
from diaspora.rendering import shorten

AWAITING, UNANSWERED = "project", "unanswered"
# The queue's words for the lifecycle's moderation steps.
_LIFECYCLE_ACTION = {"approve": "publish", "return": "return", "reject": "reject"}


def init_app(app: Flask) -> None:
    register_source(app, QueueSource(AWAITING, _l("Proposal awaiting moderation"),
                                     items=_awaiting_items, get=_awaiting_item,
                                     act=_act_on_awaiting, labels={"approve": _l("Publish")}))
    register_source(app, QueueSource(UNANSWERED, _l("Unanswered for 30 days"),
                                     items=_unanswered_items, get=_unanswered_item,
                                     act=_act_on_unanswered))


def _stamp(value: Any) -> str:
    return str(int(value.timestamp())) if value is not None else "0"


def _item(project: Project, source: str) -> QueueItem:
    if source == AWAITING:
        actions = (action("approve", label=_l("Publish")),
                   action("return", reason_required=True),
                   action("reject", reason_required=True))
        token, since, label = _stamp(project.submitted_at), project.submitted_at, _l(
            "Proposal awaiting moderation")
    else:
        actions = (action("remind"), action("dismiss"))
        token, since, label = _stamp(project.flagged_at), project.published_at, _l(
            "Unanswered for 30 days")
    place = project.place.full_name(_locale()) if project.place is not None else ""
    return QueueItem(
        source=source, item_id=project.id, token=token, label=label, title=project.title,
        excerpt=shorten(project.summary, 300), url=f"/projects/{project.id}",
        author_id=project.proposer_id, created_at=since or project.created_at,
        actions=actions, history_of=("project", project.id), details=(place,) if place else ())


def _locale() -> str:
    from diaspora.main.templating import current_locale

    return current_locale()


def _awaiting(limit: int, project_id: int | None = None) -> list[Project]:
    stmt = (select(Project).where(Project.status == SUBMITTED)
            .order_by(Project.submitted_at, Project.id).limit(limit))
    if project_id is not None:
        stmt = stmt.where(Project.id == project_id)
    return list(db.session.scalars(stmt))


def _unanswered(limit: int, project_id: int | None = None) -> list[Project]:
    stmt = (select(Project).where(Project.flagged_at.is_not(None), Project.status == PUBLISHED)
            .order_by(Project.published_at, Project.id).limit(limit))
    if project_id is not None:
        stmt = stmt.where(Project.id == project_id)
    return list(db.session.scalars(stmt))


def _awaiting_items(limit: int) -> list[QueueItem]:
    return [_item(project, AWAITING) for project in _awaiting(limit)]


def _awaiting_item(project_id: int) -> QueueItem | None:
    found = _awaiting(1, project_id)
    return _item(found[0], AWAITING) if found else None


def _unanswered_items(limit: int) -> list[QueueItem]:
    return [_item(project, UNANSWERED) for project in _unanswered(limit)]


def _unanswered_item(project_id: int) -> QueueItem | None:
    found = _unanswered(1, project_id)
    return _item(found[0], UNANSWERED) if found else None


def _act_on_awaiting(actor: Any, project_id: int, name: str, reason: str) -> None:
    project = projects.get_project(project_id)
    projects.transition(actor, project, _LIFECYCLE_ACTION[name], note=reason)


def _act_on_unanswered(actor: Any, project_id: int, name: str, reason: str) -> None:
    """"Remind" tells the place's authorities again; "dismiss" only takes it off the list
    (the queue's decision row does that); both are audited by the queue."""
    if name == "remind":
        project = projects.get_project(project_id)
        sent = projects.tell_place_authorities(actor, project)
        audit.record(actor, "project.remind_authorities", project, after={"told": sent})


# -- hiding reported projects and comments (report subjects' hide/restore/hidden) ---------------


def hide_project(actor: Any, project_id: int, reason: str) -> None:
    """A moderator hides through the lifecycle; `actor` None is the automatic hiding at the
    reports' threshold, in the reporter's transaction (no commit here)."""
    project = db.session.get(Project, project_id)
    if project is None or project.status not in PUBLIC_STATES:
        return
    if actor is not None:
        projects.transition(actor, project, "hide",
                            note=reason or str(_l("Hidden after members' reports.")))
        return
    before = project.status
    project.status = HIDDEN
    db.session.add(ProjectEvent(
        project_id=project.id, actor_id=None, action="hide", from_status=before,
        to_status=HIDDEN, note=None, created_at=utcnow()))
    audit.record(None, "project.auto_hide", project, before={"status": before},
                 after={"status": HIDDEN})


def restore_project(actor: Any, project_id: int) -> None:
    project = db.session.get(Project, project_id)
    if project is not None and project.status == HIDDEN:
        projects.transition(actor, project, "restore")


def hidden_projects(ids: Sequence[int]) -> set[int]:
    return set(db.session.scalars(
        select(Project.id).where(Project.id.in_(list(ids)), Project.status == HIDDEN)))


def hide_comment(actor: Any, comment_id: int, reason: str) -> None:
    """`actor` None: hidden at the reports' threshold (no moderator's name on it)."""
    from diaspora.projects import comments

    comment = db.session.get(ProjectComment, comment_id)
    if comment is None or comment.hidden_at is not None:
        return
    if actor is not None:
        comments.hide_comment(actor, comment, tell_author=False)  # the queue tells them
        return
    comment.hidden_at, comment.hidden_by_id = utcnow(), None
    audit.record(None, "project_comment.auto_hide", comment, before={"hidden": False},
                 after={"hidden": True})


def restore_comment(actor: Any, comment_id: int) -> None:
    from diaspora.projects import comments

    comment = db.session.get(ProjectComment, comment_id)
    if comment is not None and comment.hidden_at is not None:
        comments.restore_comment(actor, comment, tell_author=False)


def hidden_comments(ids: Sequence[int]) -> set[int]:
    return set(db.session.scalars(
        select(ProjectComment.id).where(ProjectComment.id.in_(list(ids)),
                                        ProjectComment.hidden_at.is_not(None))))


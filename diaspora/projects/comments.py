"""Comments and questions on a project: written by members, answered by anyone, officially by
the proposer or the authorities of the project's place; edited for a short while, deleted by
their authors, hidden by moderators, reported through diaspora.moderation.reports.

Every operation takes the acting user, asks `can()` (rules in permissions.py: the one seam
for issue 10's sanctions is `_may_speak` there), changes the database and commits; views and
the bot only parse and render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from diaspora.accounts.permissions import can, refuse_if_muted, require
from diaspora.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.models import utcnow
from diaspora.moderation import audit, spam
from diaspora.moderation.reports import SubjectInfo, resolve_reports
from diaspora.news.rendering import shorten
from diaspora.notifications.service import notify
from diaspora.projects.messages import COMMENT_TEMPLATE
from diaspora.projects.models import (
    COMMENT,
    COMMENT_KINDS,
    PUBLIC_STATES,
    QUESTION,
    Project,
    ProjectComment,
)

BODY_MAX = 4000
EDIT_WINDOW = timedelta(minutes=15)
# At most this many comments by one member in RATE_WINDOW (official answers not counted: an
# authority answering a backlog of questions is not spamming).
RATE_LIMIT = 10
RATE_WINDOW = timedelta(minutes=10)
THREADS_PER_PAGE = 20
SUBJECT_KIND = "project_comment"  # its kind in reports


def get_comment(comment_id: int) -> ProjectComment:
    comment = db.session.get(ProjectComment, comment_id)
    if comment is None:
        raise NotFound(_l("This comment does not exist."))
    return comment


def get_visible_comment(user: Any, comment_id: int) -> ProjectComment:
    """A comment on a project `user` may see (else "not found", like the project)."""
    comment = get_comment(comment_id)
    project = db.session.get(Project, comment.project_id)
    if project is None or not can(user, "projects.view", project):
        raise NotFound(_l("This comment does not exist."))
    return comment


def project_of(comment: ProjectComment) -> Project:
    return db.session.get(Project, comment.project_id)


def still_editable(comment: ProjectComment) -> bool:
    return (comment.deleted_at is None and comment.hidden_at is None
            and utcnow() - comment.created_at <= EDIT_WINDOW)


def clean_body(value: str | None) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError(_l("This text contains characters that are not allowed."),
                              field="body")
    if not text:
        raise ValidationError(_l("Please write something."), field="body")
    if len(text) > BODY_MAX:
        raise ValidationError(_l("Please keep it under %(n)s characters.", n=BODY_MAX),
                              field="body")
    return text


def _language(value: str | None) -> str:
    return value if value in SUPPORTED_LOCALES else "ky"


def _check_rate(actor: Any) -> None:
    since = utcnow() - RATE_WINDOW
    recent = db.session.scalar(
        select(func.count()).select_from(ProjectComment)
        .where(ProjectComment.author_id == actor.id, ProjectComment.created_at >= since,
               ProjectComment.official.is_(False))) or 0
    if recent >= RATE_LIMIT:
        raise ValidationError(
            _l("You have written %(n)s comments in the last %(minutes)s minutes. Please wait "
               "a few minutes before writing again.", n=RATE_LIMIT,
               minutes=int(RATE_WINDOW.total_seconds() // 60)), field="body")


def _written_since(actor: Any, since: datetime) -> Sequence[str]:
    """What `actor` wrote since then and still shows (spam.py compares a new comment)."""
    return db.session.scalars(
        select(ProjectComment.body).where(ProjectComment.author_id == actor.id,
                                          ProjectComment.created_at >= since,
                                          ProjectComment.deleted_at.is_(None))).all()


def _refuse_unless_may_comment(actor: Any, project: Project) -> None:
    if can(actor, "projects.comment", project):
        return
    if project.status not in PUBLIC_STATES:
        raise PermissionDenied(_l("Only published projects take comments."))
    refuse_if_muted(actor)  # says until when
    raise PermissionDenied(_l("You are not allowed to do this."))


def add_comment(actor: Any, project: Project, body: str, *, kind: str = COMMENT,
                language: str | None = None) -> ProjectComment:
    """A new comment or question on `project`; its proposer is told."""
    _refuse_unless_may_comment(actor, project)
    if kind not in COMMENT_KINDS:
        raise ValidationError(_l("Choose a comment or a question."), field="kind")
    text = clean_body(body)
    _check_rate(actor)
    spam.check_comment(actor, text, partial(_written_since, actor))
    comment = ProjectComment(project_id=project.id, author_id=actor.id, kind=kind, body=text,
                             language=_language(language), created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    _notify(actor, project, comment, None)
    db.session.commit()
    spam.count(actor, spam.COMMENTS)
    return comment


def answer(actor: Any, parent: ProjectComment, body: str, *,
           language: str | None = None) -> ProjectComment:
    """An answer to a comment or question (one level: answering an answer answers its
    thread). Official when the actor is the proposer or an authority of the place."""
    if parent.parent_id is not None:
        parent = get_comment(parent.parent_id)
    project = project_of(parent)
    _refuse_unless_may_comment(actor, project)
    if parent.deleted_at is not None or parent.hidden_at is not None:
        raise InvalidTransition(_l("This comment is no longer shown: it can't be answered."))
    text = clean_body(body)
    official = can(actor, "projects.answer_officially", project)
    if not official:
        _check_rate(actor)
    spam.check_comment(actor, text, partial(_written_since, actor), official=official)
    comment = ProjectComment(project_id=project.id, author_id=actor.id, kind=COMMENT,
                             body=text, language=_language(language), parent_id=parent.id,
                             official=official, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    _notify(actor, project, comment, parent)
    db.session.commit()
    if not official:
        spam.count(actor, spam.COMMENTS)
    return comment


def edit_comment(actor: Any, comment: ProjectComment, body: str) -> ProjectComment:
    if not can(actor, "projects.edit_comment", comment):
        refuse_if_muted(actor)
        if comment.author_id == getattr(actor, "id", None) and comment.deleted_at is None:
            raise PermissionDenied(_l("A comment can be changed only in the first %(n)s "
                                      "minutes after writing it.",
                                      n=int(EDIT_WINDOW.total_seconds() // 60)))
        raise PermissionDenied(_l("You can't change this comment."))
    comment.body = clean_body(body)
    spam.check_links(actor, comment.body, field="body")
    comment.edited_at = utcnow()
    db.session.commit()
    return comment


def delete_comment(actor: Any, comment: ProjectComment) -> None:
    """Its author deletes it: the words go, a "deleted" placeholder keeps its answers in
    their place."""
    require(actor, "projects.delete_comment", comment)
    comment.body = ""
    comment.deleted_at = utcnow()
    db.session.commit()


def hide_comment(actor: Any, comment: ProjectComment, *, tell_author: bool = True) -> None:
    """A moderator hides a comment: everyone else sees "hidden by a moderator"; the open
    reports about it are closed; the audit log keeps who and when; its author is told
    (unless the moderators' queue tells them itself, with the reason)."""
    require(actor, "projects.moderate_comment", comment)
    if comment.hidden_at is not None:
        raise InvalidTransition(_l("This comment is already hidden."))
    comment.hidden_at, comment.hidden_by_id = utcnow(), actor.id
    audit.record(actor, "project_comment.hide", comment, before={"hidden": False},
                 after={"hidden": True})
    resolve_reports(actor, SUBJECT_KIND, comment.id, "hidden")
    if tell_author:
        _tell_author(actor, comment, "hidden")
    db.session.commit()


def restore_comment(actor: Any, comment: ProjectComment, *, tell_author: bool = True) -> None:
    require(actor, "projects.moderate_comment", comment)
    if comment.hidden_at is None:
        raise InvalidTransition(_l("This comment is not hidden."))
    comment.hidden_at, comment.hidden_by_id = None, None
    audit.record(actor, "project_comment.restore", comment, before={"hidden": True},
                 after={"hidden": False})
    resolve_reports(actor, SUBJECT_KIND, comment.id, "restored")
    if tell_author:
        _tell_author(actor, comment, "restored")
    db.session.commit()


def _tell_author(actor: Any, comment: ProjectComment, outcome: str) -> None:
    """The moderators' decision, in the author's language (moderation's message)."""
    from diaspora.moderation.queue_sources import tell_author
    from diaspora.moderation.reports import subject_kinds

    kind = subject_kinds().get(SUBJECT_KIND)
    if kind is not None:
        tell_author(comment.author_id, kind, comment.id, outcome, "", actor)


# -- notifications -----------------------------------------------------------------------------


def author_name(user: Any) -> str | None:
    """The name others see: the display name the member chose, never an e-mail."""
    profile = getattr(user, "profile", None)
    return profile.display_name if profile is not None and profile.display_name else None


def comment_path(comment: ProjectComment) -> str:
    """The comment's permanent address (it redirects to the right page of comments)."""
    return f"/projects/comments/{comment.id}"


def _notify(actor: Any, project: Project, comment: ProjectComment,
            parent: ProjectComment | None) -> None:
    """The author of the answered comment hears of the answer; the proposer of every new
    comment, question or answer on their project; nobody of their own (notify skips the
    actor), nobody twice."""
    params = {"who": author_name(actor) or "", "title": project.title,
              "text": shorten(comment.body, 600), "official": comment.official,
              "url": comment_path(comment)}
    told: set[int] = set()
    if parent is not None and parent.author is not None:
        notify(parent.author, "project.comment", COMMENT_TEMPLATE,
               {**params, "event": "answer"}, url=comment_path(comment), actor=actor)
        told.add(parent.author.id)
    if project.proposer is not None and project.proposer_id not in told:
        event = "reply" if parent is not None else comment.kind
        notify(project.proposer, "project.comment", COMMENT_TEMPLATE,
               {**params, "event": event}, url=comment_path(comment), actor=actor)


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Thread:
    comment: ProjectComment
    answers: list[ProjectComment] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """A question still shown that no proposer or authority has answered."""
        return (self.comment.kind == QUESTION and self.comment.deleted_at is None
                and self.comment.hidden_at is None
                and not any(a.official and a.deleted_at is None and a.hidden_at is None
                            for a in self.answers))


@dataclass
class ThreadPage:
    threads: list[Thread]
    page: int
    pages: int
    total: int  # threads on the project


def _threads_of(project_id: int) -> Any:
    return and_(ProjectComment.project_id == project_id, ProjectComment.parent_id.is_(None))


def list_threads(project: Project, page: int = 1,
                 per_page: int = THREADS_PER_PAGE) -> ThreadPage:
    """A page of the project's threads, newest first, each with its answers oldest first.
    Three queries whatever the number of comments: authors come joined."""
    total = db.session.scalar(
        select(func.count()).select_from(ProjectComment).where(_threads_of(project.id))) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    roots = list(db.session.scalars(
        select(ProjectComment).where(_threads_of(project.id))
        .order_by(ProjectComment.created_at.desc(), ProjectComment.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).unique())
    threads = {root.id: Thread(root) for root in roots}
    if threads:
        for reply in db.session.scalars(
                select(ProjectComment).where(ProjectComment.parent_id.in_(list(threads)))
                .order_by(ProjectComment.created_at, ProjectComment.id)).unique():
            threads[reply.parent_id].answers.append(reply)
    return ThreadPage(list(threads.values()), page, pages, total)


def page_of(comment: ProjectComment, per_page: int = THREADS_PER_PAGE) -> int:
    """The page of list_threads that shows `comment`."""
    root = get_comment(comment.parent_id) if comment.parent_id is not None else comment
    newer = db.session.scalar(
        select(func.count()).select_from(ProjectComment).where(
            _threads_of(root.project_id),
            or_(ProjectComment.created_at > root.created_at,
                and_(ProjectComment.created_at == root.created_at,
                     ProjectComment.id > root.id)))) or 0
    return newer // per_page + 1


# -- reports (registered with diaspora.moderation.reports in init_app) --------------------------


def resolve_project(actor: Any, project_id: int) -> Project | None:
    project = db.session.get(Project, project_id)
    return project if project is not None and can(actor, "projects.view", project) else None


def describe_projects(ids: Sequence[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(
        select(Project.id, Project.title, Project.summary, Project.proposer_id)
        .where(Project.id.in_(list(ids)))).all()
    return {pid: SubjectInfo(title, shorten(summary, 200), f"/projects/{pid}", proposer_id)
            for pid, title, summary, proposer_id in rows}


def resolve_comment(actor: Any, comment_id: int) -> ProjectComment | None:
    """A comment still shown, on a project `actor` may see."""
    comment = db.session.get(ProjectComment, comment_id)
    if comment is None or comment.deleted_at is not None or comment.hidden_at is not None:
        return None
    project = db.session.get(Project, comment.project_id)
    return comment if project is not None and can(actor, "projects.view", project) else None


def describe_comments(ids: Sequence[int]) -> dict[int, SubjectInfo]:
    rows = db.session.execute(
        select(ProjectComment.id, ProjectComment.body, ProjectComment.author_id, Project.title)
        .join(Project, Project.id == ProjectComment.project_id)
        .where(ProjectComment.id.in_(list(ids)))).all()
    return {cid: SubjectInfo(title, shorten(body, 300), f"/projects/comments/{cid}", author_id)
            for cid, body, author_id, title in rows}


# -- personal data (registered in init_app) -----------------------------------------------------


def export_member_comments(member: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(ProjectComment).where(ProjectComment.author_id == member.id)
        .order_by(ProjectComment.id)).unique().all()
    return [{"id": c.id, "project_id": c.project_id, "answer_to": c.parent_id, "kind": c.kind,
             "text": c.body, "language": c.language, "official": c.official,
             "created_at": c.created_at.isoformat(),
             "edited_at": c.edited_at.isoformat() if c.edited_at else None,
             "deleted": c.deleted_at is not None, "hidden": c.hidden_at is not None}
            for c in rows]


def erase_member_comments(member: Any) -> None:
    """A member's words are their personal data: erasing their data empties every comment
    they wrote (shown as "deleted", answers stay in place), official answers included."""
    mine = ProjectComment.author_id == member.id
    db.session.execute(update(ProjectComment).where(mine, ProjectComment.deleted_at.is_(None))
                       .values(deleted_at=utcnow()))
    db.session.execute(update(ProjectComment).where(mine).values(body=""))

"""Who may propose, edit, move through the lifecycle, support and see projects (rules of
`can()`, registered when the projects feature's `init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import (
    is_member,
    is_staff,
    is_verified_authority_for,
    may_post,
    rule,
    verified_place_ids,
)
from diaspora.projects import lifecycle
from diaspora.projects.models import AUTHORITY, DRAFT, PUBLIC_STATES, RETURNED


@rule("projects.propose", posting=True)
def _propose(user: Any, place: Any) -> bool:
    """Any member proposes a project for any place of Kyrgyzstan."""
    return is_member(user)


@rule("projects.post_as_authority")
def _post_as_authority(user: Any, place: Any) -> bool:
    """A verified authority posts projects for its own places (and those inside them)."""
    if not is_member(user) or not verified_place_ids(user):
        return False
    return place is None or is_verified_authority_for(user, place)


@rule("projects.edit", posting=True)
def _edit(user: Any, project: Any) -> bool:
    """The proposer edits a draft, or a proposal a moderator returned for changes."""
    return (
        is_member(user) and project is not None and project.proposer_id == user.id
        and project.status in (DRAFT, RETURNED)
    )


@rule("projects.view")
def _view(user: Any, project: Any) -> bool:
    """Everyone sees a project that passed moderation; before that (and once withdrawn,
    rejected or archived) only its proposer, staff and, for an authority's own project,
    the authorities of its place."""
    if project is None:
        return False
    if project.status in PUBLIC_STATES:
        return True
    if not is_member(user):
        return False
    if project.proposer_id == user.id or is_staff(user):
        return True
    return project.origin == AUTHORITY and is_verified_authority_for(user, project.place)


@rule("projects.transition")
def _transition(user: Any, project_and_action: Any) -> bool:
    """`(project, action)`: the lifecycle table says who takes which action."""
    if not project_and_action:
        return False
    project, action = project_and_action
    if action == "submit" and not may_post(user):  # a muted proposer waits
        return False
    return lifecycle.allowed_by_role(user, project, action)


@rule("projects.support")
def _support(user: Any, project: Any) -> bool:
    """Members support projects that are public and not finished or declined."""
    from diaspora.projects.models import ACCEPTED, IN_PROGRESS, PUBLISHED, UNDER_REVIEW

    return is_member(user) and project is not None and project.status in (
        PUBLISHED, UNDER_REVIEW, ACCEPTED, IN_PROGRESS)


@rule("projects.answer_queue")
def _answer_queue(user: Any, obj: Any) -> bool:
    """The authorities' queue: verified authorities (for their places) and staff."""
    return is_staff(user) or (is_member(user) and bool(verified_place_ids(user)))


@rule("projects.answer_any_place")
def _answer_any_place(user: Any, obj: Any) -> bool:
    """Staff see every place's queue, the flagged proposals and those awaiting moderation."""
    return is_staff(user)


def reports_progress_of(user: Any, project: Any) -> bool:
    """Whether `user` is one who reports `project`'s progress, whatever its state: its
    proposer or a verified authority of its place (moderators moderate, they don't report)."""
    if not is_member(user) or project is None:
        return False
    return project.proposer_id == user.id or (
        project.place is not None and is_verified_authority_for(user, project.place))


@rule("projects.report_progress", posting=True)
def _report_progress(user: Any, project: Any) -> bool:
    """Once a project is accepted (and while in progress or completed) its proposer or the
    authority of its place posts updates, milestones, money raised and spent."""
    from diaspora.projects.models import PROGRESS_STATES

    return (project is not None and project.status in PROGRESS_STATES
            and reports_progress_of(user, project))
# -- comments and questions (diaspora/projects/comments.py) ------------------------------------


@rule("projects.comment", posting=True)
def _comment(user: Any, project: Any) -> bool:
    """A member comments, asks or answers on a project everyone can see."""
    return project is not None and project.status in PUBLIC_STATES


@rule("projects.answer_officially")
def _answer_officially(user: Any, project: Any) -> bool:
    """The proposer and the verified authorities of the project's place: their answers are
    marked official."""
    if not is_member(user) or project is None:
        return False
    return project.proposer_id == user.id or is_verified_authority_for(user, project.place)


@rule("projects.edit_comment", posting=True)
def _edit_comment(user: Any, comment: Any) -> bool:
    """Its author, for a short while after writing, while nobody hid or deleted it."""
    from diaspora.projects.comments import still_editable

    return (comment is not None and comment.author_id == user.id
            and still_editable(comment))


@rule("projects.delete_comment")
def _delete_comment(user: Any, comment: Any) -> bool:
    return (is_member(user) and comment is not None and comment.author_id == user.id
            and comment.deleted_at is None)


@rule("projects.moderate_comment")
def _moderate_comment(user: Any, comment: Any) -> bool:
    """Staff hide and restore comments; nobody decides on their own words."""
    return (is_staff(user) and (comment is None or (comment.author_id != user.id
                                                    and comment.deleted_at is None)))

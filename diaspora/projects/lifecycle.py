"""The lifecycle of a project as a table: which action moves it from which states to which,
who may take it, and whether a note (the reason, or what to change) is required.

    draft → submitted → (moderator) published / returned for changes / rejected
          → (authority of the place) under review → accepted / declined → in progress
          → completed; the proposer withdraws before acceptance; a moderator archives.

A project an authority posts for its own place is the authority's already: published, it is
accepted. Anything not in the table is refused, with the reason (service.transition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from diaspora.accounts.permissions import is_member, is_staff, is_verified_authority_for
from diaspora.projects.models import (
    ACCEPTED,
    ARCHIVED,
    AUTHORITY,
    COMPLETED,
    DECLINED,
    DRAFT,
    HIDDEN,
    IN_PROGRESS,
    PUBLIC_STATES,
    PUBLISHED,
    REJECTED,
    RETURNED,
    STATES,
    SUBMITTED,
    UNDER_REVIEW,
    WITHDRAWN,
)

# Who takes part in a project's lifecycle.
PROPOSER, MODERATOR, PLACE_AUTHORITY = "proposer", "moderator", "authority"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    by: tuple[str, ...]
    label: Any
    note_required: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", (DRAFT, RETURNED), SUBMITTED, (PROPOSER,), _l("Submit for moderation")),
    Transition("publish", (SUBMITTED,), PUBLISHED, (MODERATOR,), _l("Publish")),
    Transition("return", (SUBMITTED,), RETURNED, (MODERATOR,), _l("Return for changes"),
               note_required=True),
    Transition("reject", (SUBMITTED,), REJECTED, (MODERATOR,), _l("Reject"),
               note_required=True),
    Transition("review", (PUBLISHED,), UNDER_REVIEW, (PLACE_AUTHORITY,),
               _l("Take under review")),
    Transition("accept", (PUBLISHED, UNDER_REVIEW), ACCEPTED, (PLACE_AUTHORITY,), _l("Accept")),
    Transition("decline", (PUBLISHED, UNDER_REVIEW), DECLINED, (PLACE_AUTHORITY,), _l("Decline"),
               note_required=True),
    Transition("start", (ACCEPTED,), IN_PROGRESS, (PLACE_AUTHORITY, PROPOSER),
               _l("Mark as in progress")),
    Transition("complete", (IN_PROGRESS,), COMPLETED, (PLACE_AUTHORITY, PROPOSER),
               _l("Mark as completed")),
    Transition("withdraw", (DRAFT, SUBMITTED, RETURNED, PUBLISHED, UNDER_REVIEW), WITHDRAWN,
               (PROPOSER,), _l("Withdraw")),
    Transition("archive", tuple(s for s in STATES if s != ARCHIVED), ARCHIVED, (MODERATOR,),
               _l("Archive")),
    # Taken out of sight after reports (moderation's queue, or by itself at the threshold);
    # "restore" goes back to the state it was hidden from (target_of).
    Transition("hide", PUBLIC_STATES, HIDDEN, (MODERATOR,), _l("Hide"), note_required=True),
    Transition("restore", (HIDDEN,), PUBLISHED, (MODERATOR,), _l("Restore")),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
ACTIONS = tuple(BY_ACTION)

STATE_LABELS = {
    DRAFT: _l("Draft"),
    SUBMITTED: _l("Awaiting moderation"),
    RETURNED: _l("Returned for changes"),
    REJECTED: _l("Rejected"),
    PUBLISHED: _l("Published, awaiting the authority's answer"),
    UNDER_REVIEW: _l("Under review by the local authority"),
    ACCEPTED: _l("Accepted"),
    DECLINED: _l("Declined"),
    IN_PROGRESS: _l("In progress"),
    COMPLETED: _l("Completed"),
    WITHDRAWN: _l("Withdrawn"),
    ARCHIVED: _l("Archived"),
    HIDDEN: _l("Hidden by the moderators"),
}


def target_of(transition: Transition, project: Any) -> str:
    if transition.action == "publish" and project.origin == AUTHORITY:
        return ACCEPTED  # the authority proposed it: its answer is given
    if transition.action == "restore":
        return state_before_hiding(project)
    return transition.target


def state_before_hiding(project: Any) -> str:
    """The public state a hidden project was in when it was hidden (its last "hide" step)."""
    from sqlalchemy import select

    from diaspora.extensions import db
    from diaspora.projects.models import ProjectEvent

    before = db.session.scalar(
        select(ProjectEvent.from_status)
        .where(ProjectEvent.project_id == project.id, ProjectEvent.to_status == HIDDEN)
        .order_by(ProjectEvent.id.desc()).limit(1))
    return before if before in PUBLIC_STATES else PUBLISHED


def roles_in(user: Any, project: Any) -> set[str]:
    """The parts `user` plays in `project`'s lifecycle. A moderator never moderates their
    own proposal (and never answers it as the authority either)."""
    if not is_member(user) or project is None:
        return set()
    roles = set()
    own = project.proposer_id == user.id
    if own:
        roles.add(PROPOSER)
    if is_staff(user) and not own:
        roles.add(MODERATOR)
    if not own and project.place is not None and is_verified_authority_for(user, project.place):
        roles.add(PLACE_AUTHORITY)
    if own and project.origin == AUTHORITY and project.place is not None and (
        is_verified_authority_for(user, project.place)
    ):
        roles.add(PLACE_AUTHORITY)  # an authority's own project: it reports its progress
    return roles


def allowed_by_role(user: Any, project: Any, action: str) -> bool:
    transition = BY_ACTION.get(action)
    return transition is not None and bool(roles_in(user, project) & set(transition.by))


__all__ = ["ACTIONS", "BY_ACTION", "PROPOSER", "MODERATOR", "PLACE_AUTHORITY", "STATE_LABELS",
           "TRANSITIONS", "Transition", "allowed_by_role", "roles_in", "target_of",
           "COMPLETED", "DECLINED", "IN_PROGRESS", "REJECTED", "WITHDRAWN"]

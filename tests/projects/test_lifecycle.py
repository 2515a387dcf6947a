"""The project lifecycle, exhaustively: every state × every action × every role.

The expected table is written out here by hand, from the issue's words, not read from the
service's table: a change to either shows up as a failure.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from diaspora.errors import InvalidTransition, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.projects import service
from diaspora.projects.models import STATES, Project, ProjectEvent
from diaspora.projects.service import ProjectDraft

# action -> the states it starts from
FROM = {
    "submit": {"draft", "returned"},
    "publish": {"submitted"},
    "return": {"submitted"},
    "reject": {"submitted"},
    "review": {"published"},
    "accept": {"published", "under_review"},
    "decline": {"published", "under_review"},
    "start": {"accepted"},
    "complete": {"in_progress"},
    "withdraw": {"draft", "submitted", "returned", "published", "under_review"},
    "archive": set(STATES) - {"archived"},
}
# action -> who may take it (roles of the permission walker, plus the proposer)
WHO = {
    "submit": {"proposer"},
    "publish": {"moderator", "admin"},
    "return": {"moderator", "admin"},
    "reject": {"moderator", "admin"},
    "review": {"authority_here"},
    "accept": {"authority_here"},
    "decline": {"authority_here"},
    "start": {"authority_here", "proposer"},
    "complete": {"authority_here", "proposer"},
    "withdraw": {"proposer"},
    "archive": {"moderator", "admin"},
}
TO = {"submit": "submitted", "publish": "published", "return": "returned",
      "reject": "rejected", "review": "under_review", "accept": "accepted",
      "decline": "declined", "start": "in_progress", "complete": "completed",
      "withdraw": "withdrawn", "archive": "archived"}
ROLES = ("anonymous", "member", "proposer", "authority_here", "authority_elsewhere",
         "moderator", "admin")


@pytest.fixture
def cast(users, make_user, here):
    cast = dict(users)
    cast["proposer"] = make_user("member", home=here)
    return cast


def _project_in(state: str, proposer, place) -> Project:
    project = service.save_project(proposer, ProjectDraft(
        place_id=place.id, title="Clean water for the school & the clinic",
        summary="A pump and pipes", budget_som="1 500 000"))
    project.status = state
    db.session.commit()
    return project


@pytest.mark.parametrize("action", sorted(FROM))
@pytest.mark.parametrize("state", STATES)
def test_every_state_action_and_role(state, action, cast, here) -> None:
    with force_locale("en"):
        for role in ROLES:
            project = _project_in(state, cast["proposer"], here)
            allowed = state in FROM[action] and role in WHO[action]
            actor = cast[role]
            if allowed:
                service.transition(actor, project, action, note="Because of the budget")
                db.session.refresh(project)
                assert project.status == TO[action], (role, state, action)
                last = db.session.query(ProjectEvent).filter_by(project_id=project.id) \
                    .order_by(ProjectEvent.id.desc()).first()
                assert (last.action, last.from_status, last.to_status, last.actor_id) == (
                    action, state, TO[action], actor.id)
            else:
                with pytest.raises((InvalidTransition, PermissionDenied)):
                    service.transition(actor, project, action, note="Because")
                db.session.rollback()
                assert db.session.get(Project, project.id).status == state, (role, state)


def test_a_reason_is_required_to_return_reject_and_decline(cast, here) -> None:
    with force_locale("en"):
        project = _project_in("submitted", cast["proposer"], here)
        for action in ("return", "reject"):
            with pytest.raises(ValidationError, match="fill this in"):
                service.transition(cast["moderator"], project, action, note="  ")
        service.transition(cast["moderator"], project, "return", note="Add a budget line",
                           language="en")
        assert project.status == "returned" and project.status_note == "Add a budget line"
        service.transition(cast["proposer"], project, "submit")
        service.transition(cast["moderator"], project, "publish")
        with pytest.raises(ValidationError):
            service.transition(cast["authority_here"], project, "decline")


def test_a_moderator_never_moderates_their_own_proposal(cast, here) -> None:
    with force_locale("en"):
        moderator = cast["moderator"]
        project = _project_in("submitted", moderator, here)
        with pytest.raises(PermissionDenied, match="own proposal"):
            service.transition(moderator, project, "publish")
        service.transition(cast["admin"], project, "publish")
        assert project.status == "published"


def test_an_authority_project_is_accepted_when_published(cast, here) -> None:
    authority = cast["authority_here"]
    project = service.save_project(authority, ProjectDraft(
        place_id=here.id, title="New bridge", summary="Seeking support", as_authority=True))
    service.transition(authority, project, "submit")
    service.transition(cast["moderator"], project, "publish")
    assert project.status == "accepted" and project.origin == "authority"
    service.transition(authority, project, "start")
    assert project.status == "in_progress"


def test_an_authority_posts_only_for_its_places(cast, elsewhere) -> None:
    with force_locale("en"), pytest.raises(ValidationError, match="places you represent"):
        service.save_project(cast["authority_here"], ProjectDraft(
            place_id=elsewhere.id, title="x", summary="y", as_authority=True))

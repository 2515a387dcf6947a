"""Projects: writing a proposal, supporting it once (also under concurrent clicks), answer
statistics of a place, and the 30-day flag."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.errors import NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.projects import service
from diaspora.projects.models import Project, ProjectSupport
from diaspora.projects.service import Intention, ProjectDraft, ProjectFilters


@pytest.fixture(autouse=True)
def _english(ctx: None):
    with force_locale("en"):
        yield


def _published(proposer, place, moderator, title="Water & pipes <b>") -> Project:
    project = service.save_project(proposer, ProjectDraft(
        place_id=place.id, title=title, summary="A pump", description="**Bold** <script>x",
        sector="water", budget_items=[("Pump", "120 000"), ("Pipes", "30000")],
        contributions=["money", "skills"]))
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    return project


def test_a_proposal_is_cleaned_totalled_and_private_until_published(make_user, here) -> None:
    proposer, moderator, stranger = make_user(home=here), make_user("moderator"), make_user()
    project = service.save_project(proposer, ProjectDraft(
        place_id=here.id, title="Water & pipes", summary="A pump",
        description="**Bold** <script>alert(1)</script>",
        budget_items=[("Pump", "120 000"), ("Pipes", "30 000 сом")]))
    assert project.budget_total == 150_000
    assert "<strong>Bold</strong>" in project.description_html
    assert "<script>" not in project.description_html
    with pytest.raises(NotFound):
        service.get_visible_project(stranger, project.id)
    with pytest.raises(NotFound):
        service.get_visible_project(None, project.id)
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    assert service.get_visible_project(None, project.id) is project
    with pytest.raises(ValidationError, match="too large"):
        service.save_project(proposer, ProjectDraft(place_id=here.id, title="t", summary="s",
                                                    budget_som="9" * 30))
    with pytest.raises(PermissionDenied):  # published: no longer the proposer's to edit
        service.save_project(proposer, ProjectDraft(place_id=here.id, title="t", summary="s"),
                             project)


def test_support_counts_once_and_summarises_intentions(make_user, here) -> None:
    project = _published(make_user(home=here), here, make_user("moderator"))
    fan = make_user()
    service.support(fan, project, Intention(money_range="10k_50k"))
    service.support(fan, project, Intention(money_range="50k_200k", volunteering=True))
    service.support(make_user(), project, Intention(equipment=True))
    summary = service.support_summary(project)
    assert (summary.supporters, summary.money) == (2, {"50k_200k": 1})
    assert (summary.volunteering, summary.equipment) == (1, 1)
    service.withdraw_support(fan, project)
    assert project.supporters == 1


def test_two_concurrent_clicks_make_one_support(app, make_user, here) -> None:
    project = _published(make_user(home=here), here, make_user("moderator"))
    fan_id, project_id = make_user().id, project.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def click() -> None:
        try:
            with app.app_context():
                from diaspora.accounts.models import User

                fan, target = db.session.get(User, fan_id), db.session.get(Project, project_id)
                barrier.wait(timeout=10)
                service.support(fan, target)
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectSupport)) == 1
    assert db.session.get(Project, project_id).supporters == 1


def test_answer_statistics_and_the_thirty_day_flag(make_user, here) -> None:
    moderator, authority = make_user("moderator"), make_user("authority", places=(here,))
    answered = _published(make_user(), here, moderator)
    waiting = _published(make_user(), here, moderator)
    answered.published_at = utcnow() - timedelta(days=4)
    waiting.published_at = utcnow() - timedelta(days=31)
    db.session.commit()
    service.transition(authority, answered, "accept", note="We will fund half")
    stats = service.place_answer_stats(here)
    assert (stats.proposals, stats.answered) == (2, 1)
    assert stats.median_days == pytest.approx(4, abs=0.01)
    assert service.flag_unanswered() == 1
    assert waiting.flagged_at is not None and answered.flagged_at is None
    assert service.days_waiting(waiting) == 31
    assert service.flag_unanswered() == 0  # flagged once
    queue = service.authority_queue(authority)
    assert [p.id for p in queue.items] == [waiting.id]


def test_search_and_filters(make_user, here, elsewhere) -> None:
    moderator = make_user("moderator")
    water = _published(make_user(), here, moderator, title="Чистая вода для школы")
    road = _published(make_user(), elsewhere, moderator, title="Жол куруу: көпүрө")
    found = service.list_public(ProjectFilters(query="вода"))
    assert [p.id for p in found.items] == [water.id]
    found = service.list_public(ProjectFilters(query="КӨПҮРӨ"))
    assert [p.id for p in found.items] == [road.id]
    found = service.list_public(ProjectFilters(region_id=elsewhere.region_id))
    assert [p.id for p in found.items] == [road.id]
    assert service.list_public(ProjectFilters(query="100%_")).items == []

"""The moderators' one queue: proposals awaiting moderation, reported and auto-hidden items,
authorities awaiting verification and proposals unanswered for 30 days in one list; each
decision by each role; auto-hiding at the reports' threshold and the author told why."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.delivery.messages import render_message
from diaspora.errors import PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import queue, reports
from diaspora.moderation.models import AuditEntry, QueueDecision, Report
from diaspora.notifications.models import Notification
from diaspora.projects import comments
from diaspora.projects import service as projects
from diaspora.projects.models import HIDDEN, PUBLISHED, Project
from tests.conftest import login
from tests.projects.test_comments import HOSTILE, _project


@pytest.fixture
def world(make_user, users, here):
    people = dict(users)
    people["proposer"] = make_user(home=here, locale="ky")
    people["submitted"] = _project(people["proposer"], here, users["moderator"],
                                   status="submitted", title="Суу & <жол>")
    people["published"] = _project(people["proposer"], here, users["moderator"])
    people["comment"] = comments.add_comment(people["proposer"], people["published"], HOSTILE)
    people["applicant"] = make_user("member", places=(here,), verified=False)
    people["reporters"] = [make_user(home=here) for _ in range(3)]
    return people


def _keys(actor, source=None) -> dict[str, queue.QueueItem]:
    return {item.source: item for item in queue.pending_items(actor, source)}


def _notifications(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id)))


def test_one_queue_lists_every_kind_of_waiting_item(world) -> None:
    reports.report(world["reporters"][0], "project_comment", world["comment"].id, "spam")
    world["published"].published_at = utcnow() - timedelta(days=31)
    db.session.commit()
    projects.flag_unanswered()
    items = _keys(world["moderator"])
    assert set(items) == {"project", "report", "authority", "unanswered"}
    assert items["project"].title == "Суу & <жол>"
    assert [a.name for a in items["project"].actions] == ["approve", "return", "reject"]
    assert items["report"].url == f"/projects/comments/{world['comment'].id}"
    assert items["authority"].author_id == world["applicant"].id
    assert items["unanswered"].item_id == world["published"].id


@pytest.mark.parametrize("role", ["anonymous", "member", "authority_here", "authority_elsewhere"])
def test_nobody_but_staff_sees_or_decides(app, world, role) -> None:
    client = login(app.test_client(), world[role])
    assert client.get("/moderation/").status_code in (302, 403)
    key = _keys(world["moderator"])["project"].key
    answer = client.post("/moderation/queue/decide", data={"key": key, "action": "approve"})
    assert answer.status_code in (302, 400, 403)
    assert db.session.get(Project, world["submitted"].id).status == "submitted"


def test_staff_without_second_factor_is_refused(app, world) -> None:
    client = login(app.test_client(), world["moderator"], two_factor=False)
    key = _keys(world["moderator"])["project"].key
    answer = client.post("/moderation/queue/decide", data={"key": key, "action": "approve"})
    assert answer.status_code in (302, 403)  # sent to the second step, never through
    assert db.session.get(Project, world["submitted"].id).status == "submitted"


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_approving_publishes_audits_and_tells_the_proposer(app, world, role) -> None:
    client = login(app.test_client(), world[role])
    page = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Суу &amp; &lt;жол&gt;" in page and "<жол>" not in page
    key = _keys(world[role])["project"].key
    answer = client.post("/moderation/queue/decide?lang=en",
                         data={"key": key, "action": "approve"}, follow_redirects=True)
    assert answer.status_code == 200 and "Done: Publish." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, world["submitted"].id).status == PUBLISHED
    decision = db.session.scalar(sa.select(QueueDecision))
    assert (decision.actor_id, decision.action) == (world[role].id, "approve")
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "project.publish"))
    [note] = [n for n in _notifications(world["proposer"])
              if n.kind == "project.moderated" and n.params["title"] == "Суу & <жол>"]
    assert note.params["status"] == "published"
    assert "Жарыяланды" in render_message(note.template, note.params, "ky")
    assert "project" not in _keys(world[role])


def test_a_reason_is_required_and_kept_when_missing(app, world) -> None:
    client = login(app.test_client(), world["moderator"])
    key = _keys(world["moderator"])["project"].key
    answer = client.post("/moderation/queue/decide?lang=en",
                         data={"key": key, "action": "reject", "reason": "   "})
    assert answer.status_code == 422
    assert "Say why: the author will read it." in answer.get_data(as_text=True)
    answer = client.post("/moderation/queue/decide?lang=ky",
                         data={"key": key, "action": "reject", "reason": ""})
    assert "Себебин жазыңыз" in answer.get_data(as_text=True)
    assert db.session.get(Project, world["submitted"].id).status == "submitted"
    client.post("/moderation/queue/decide", data={"key": key, "action": "reject",
                                                  "reason": "Бюджет & план жок"})
    db.session.expire_all()
    project = db.session.get(Project, world["submitted"].id)
    assert project.status == "rejected"
    assert projects.timeline(project)[-1].note == "Бюджет & план жок"


def test_nobody_decides_on_their_own_content(world, make_user, here) -> None:
    moderator = world["moderator"]
    own = _project(moderator, here, world["admin"], status="submitted", title="Менин")
    key = next(i.key for i in queue.pending_items(moderator, "project") if i.item_id == own.id)
    with pytest.raises(PermissionDenied):
        queue.decide(moderator, key, "approve")
    queue.decide(world["admin"], key, "approve")
    assert db.session.get(Project, own.id).status == PUBLISHED


def test_two_moderators_deciding_at_once_make_one_decision(world, make_user) -> None:
    other = make_user("moderator")
    key = _keys(world["moderator"])["project"].key
    first = queue.decide(world["moderator"], key, "approve")
    with pytest.raises(queue.AlreadyDecided) as already:
        queue.decide(other, key, "reject", "late")
    assert already.value.decision.actor_id == world["moderator"].id == first.actor_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueDecision)) == 1
    assert db.session.get(Project, world["submitted"].id).status == PUBLISHED


def test_a_resubmitted_project_is_a_new_entry(world) -> None:
    moderator, proposer = world["moderator"], world["proposer"]
    key = _keys(moderator)["project"].key
    queue.decide(moderator, key, "return", "Бюджетти толуктаңыз")
    project = db.session.get(Project, world["submitted"].id)
    project.submitted_at = None
    db.session.commit()
    projects.transition(proposer, project, "submit")
    db.session.get(Project, project.id).submitted_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    again = _keys(moderator)["project"]
    assert again.item_id == project.id and again.key != key


def test_three_reports_hide_a_comment_and_tell_its_author_in_kyrgyz(world) -> None:
    comment = world["comment"]
    for n, reporter in enumerate(world["reporters"]):
        reports.report(reporter, "project_comment", comment.id, "offensive")
        db.session.expire_all()
        hidden = db.session.get(type(comment), comment.id).hidden_at is not None
        assert hidden == (n == 2)
    [told] = [n for n in _notifications(world["proposer"]) if n.kind == "moderation.decision"]
    text = render_message(told.template, told.params, "ky")
    assert "бир нече катышуучу" in text and "Таза суу" in text
    items = _keys(world["moderator"])
    assert "hidden" in items and "report" not in items
    assert [a.name for a in items["hidden"].actions] == ["hide", "restore"]
    assert "3" in items["hidden"].details[0]


def test_the_threshold_is_a_setting(app, world) -> None:
    app.config["REPORTS_TO_HIDE"] = 1
    try:
        reports.report(world["reporters"][0], "project", world["published"].id, "spam")
    finally:
        app.config["REPORTS_TO_HIDE"] = 3
    db.session.expire_all()
    assert db.session.get(Project, world["published"].id).status == HIDDEN


def test_a_hidden_project_leaves_public_lists_and_comes_back_restored(app, world) -> None:
    project = world["published"]
    for reporter in world["reporters"]:
        reports.report(reporter, "project", project.id, "false_information")
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == HIDDEN
    anonymous = app.test_client()
    assert anonymous.get(f"/projects/{project.id}").status_code == 404
    assert "Таза суу" not in anonymous.get("/projects/?lang=ky").get_data(as_text=True)
    item = _keys(world["moderator"])["hidden"]
    queue.decide(world["moderator"], item.key, "restore")
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == PUBLISHED
    assert anonymous.get(f"/projects/{project.id}").status_code == 200
    outcomes = [n.params["outcome"] for n in _notifications(world["proposer"])
                if n.kind == "moderation.decision"]
    assert outcomes == ["auto_hidden", "restored"]
    assert not db.session.scalars(sa.select(Report).where(Report.resolved_at.is_(None))).all()


def test_keeping_hidden_needs_a_reason_and_closes_the_reports(world) -> None:
    for reporter in world["reporters"]:
        reports.report(reporter, "project_comment", world["comment"].id, "spam")
    item = _keys(world["moderator"])["hidden"]
    with pytest.raises(ValidationError):
        queue.decide(world["moderator"], item.key, "hide")
    queue.decide(world["moderator"], item.key, "hide", "Жарнама")
    told = [n for n in _notifications(world["proposer"]) if n.kind == "moderation.decision"]
    assert [n.params["outcome"] for n in told] == ["auto_hidden", "kept_hidden"]
    assert told[-1].params["reason"] == "Жарнама"
    assert "hidden" not in _keys(world["moderator"])


def test_dismissing_a_report_leaves_the_item_and_tells_nobody(world) -> None:
    reports.report(world["reporters"][0], "project", world["published"].id, "other")
    item = _keys(world["moderator"])["report"]
    queue.decide(world["moderator"], item.key, "dismiss")
    assert db.session.get(Project, world["published"].id).status == PUBLISHED
    assert not [n for n in _notifications(world["proposer"]) if n.kind == "moderation.decision"]
    assert "report" not in _keys(world["moderator"])


def test_staff_content_is_not_hidden_by_members_reports(world, here) -> None:
    own = _project(world["moderator"], here, world["admin"], title="Расмий")
    for reporter in world["reporters"]:
        reports.report(reporter, "project", own.id, "spam")
    assert db.session.get(Project, own.id).status == PUBLISHED
    assert _keys(world["admin"])["report"].item_id


def test_verifying_an_authority_from_the_queue(world) -> None:
    item = _keys(world["moderator"])["authority"]
    queue.decide(world["moderator"], item.key, "approve")
    db.session.expire_all()
    assert world["applicant"].authority_places[0].verified


def test_reminding_the_authority_of_an_unanswered_proposal(world) -> None:
    world["published"].published_at = utcnow() - timedelta(days=31)
    db.session.commit()
    projects.flag_unanswered()
    item = _keys(world["moderator"])["unanswered"]
    queue.decide(world["moderator"], item.key, "remind")
    assert [n.kind for n in _notifications(world["authority_here"])].count(
        "project.published_here") == 2
    assert "unanswered" not in _keys(world["moderator"])


def test_two_moderators_pressing_at_the_same_moment_make_one_decision(app, world,
                                                                        make_user) -> None:
    """Two threads, two sessions, released together: one decision, the other told who."""
    import threading

    from diaspora.accounts.models import User

    key = _keys(world["moderator"])["project"].key
    ids = [world["moderator"].id, make_user("moderator").id]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def press(user_id: int, choice: str) -> None:
        try:
            with app.app_context():
                moderator = db.session.get(User, user_id)
                queue.find_item(key)
                barrier.wait(timeout=10)
                outcomes.append(queue.decide(moderator, key, choice, "Жок"))
        except BaseException as error:  # noqa: BLE001  (checked below)
            outcomes.append(error)

    threads = [threading.Thread(target=press, args=(user_id, choice))
               for user_id, choice in zip(ids, ("approve", "reject"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    decisions = [o for o in outcomes if isinstance(o, queue.Decision)]
    refused = [o for o in outcomes if isinstance(o, queue.AlreadyDecided)]
    assert len(decisions) == 1 and len(refused) == 1, outcomes
    assert refused[0].decision.actor_id == decisions[0].actor_id
    db.session.expire_all()
    status = db.session.get(Project, world["submitted"].id).status
    assert status == {"approve": PUBLISHED, "reject": "rejected"}[decisions[0].action]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QueueDecision)) == 1


def test_a_decision_read_later_keeps_the_sources_words(world) -> None:
    key = _keys(world["moderator"])["project"].key
    queue.decide(world["moderator"], key, "approve")
    assert str(queue.decision_for(key).action_label) == "Жарыялоо"  # "Publish", in the default ky


def test_hiding_a_comment_from_its_page_or_the_queue_tells_its_author_once(app, world) -> None:
    comment = world["comment"]
    client = login(app.test_client(), world["moderator"])
    assert client.post(f"/projects/comments/{comment.id}/hide").status_code == 302
    client.post(f"/projects/comments/{comment.id}/restore")
    told = [n.params["outcome"] for n in _notifications(world["proposer"])
            if n.kind == "moderation.decision"]
    assert told == ["hidden", "restored"]
    reports.report(world["reporters"][0], "project_comment", comment.id, "spam")
    item = _keys(world["moderator"])["report"]
    queue.decide(world["moderator"], item.key, "hide", "Жарнама")
    told = [n.params for n in _notifications(world["proposer"])
            if n.kind == "moderation.decision"]
    assert [t["outcome"] for t in told] == ["hidden", "restored", "hidden"]
    assert told[-1]["reason"] == "Жарнама"


def test_the_queue_page_costs_the_same_queries_for_two_or_eight_proposals(
        app, world, make_user, here) -> None:
    client = login(app.test_client(), world["admin"])

    def queries() -> int:
        seen: list[str] = []

        def remember(*args) -> None:
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            page = client.get("/moderation/?lang=en")
            assert page.status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        assert "History" in page.get_data(as_text=True)
        return len(seen)

    queries()  # the session's first request gives it an id (one query more, once)
    few = queries()
    for n in range(6):
        _project(make_user(home=here), here, world["moderator"], status="submitted",
                 title=f"Жол {n}")
    assert queries() == few
    assert len(queue.pending_items(world["admin"], "project")) == 7

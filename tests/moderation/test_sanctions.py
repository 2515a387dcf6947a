"""Sanctions: a warning, a mute, a block; who may issue and lift them; what a muted or blocked
member notices on the site (can't post, can't sign in, thrown out at once) and in their
language; the end of a sanction by time alone; the audit and the member's data download."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.accounts import service as accounts
from diaspora.accounts.permissions import can, is_member, may_post
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import OutboxMessage
from diaspora.errors import InvalidTransition, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import reports, sanctions
from diaspora.moderation.models import AuditEntry, Sanction
from diaspora.notifications.models import Notification, NotificationSetting
from diaspora.projects import comments
from diaspora.projects import service as projects
from tests.conftest import PASSWORD, login


def _project(proposer, place, moderator):
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=place.id, title="Таза суу", summary="Мектепке суу түтүгү"))
    projects.transition(proposer, project, "submit")
    projects.transition(moderator, project, "publish")
    return project


def _days(n: float):
    return utcnow() + timedelta(days=n)


def _actions(member) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                           AuditEntry.object_id == member.id)
        .order_by(AuditEntry.id)))


def _outbox(member) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == member.id, OutboxMessage.template == sanctions.TEMPLATE)
        .order_by(OutboxMessage.id)))


# -- issuing, escalating, lifting --------------------------------------------------------------


def test_a_moderator_escalates_from_warning_to_mute_to_block_and_lifts(users):
    member, moderator = users["member"], users["moderator"]
    assert sanctions.proposed_kind(member) == "warning"

    sanctions.issue(moderator, member, "warning", "Rude words under a project")
    assert sanctions.proposed_kind(member) == "mute"
    assert may_post(member)  # a warning changes nothing but the record

    mute = sanctions.issue(moderator, member, "mute", "Insults again", _days(3))
    assert sanctions.proposed_kind(member) == "block"
    assert not may_post(member) and is_member(member)
    assert sanctions.active_sanction(member).id == mute.id

    block = sanctions.issue(moderator, member, "block", "Threats")
    assert member.blocked and member.blocked_until is None  # until lifted
    assert not is_member(member) and not can(member, "moderation.report")
    assert sanctions.active_sanction(member).id == block.id

    sanctions.lift(moderator, block, "Appeal accepted")
    assert is_member(member) and not may_post(member)  # the mute still runs
    with pytest.raises(InvalidTransition):
        sanctions.lift(moderator, block, "Twice")
    sanctions.lift(moderator, mute, "Served enough")
    assert may_post(member) and member.muted_until is None

    assert _actions(member) == ["sanction.warning", "sanction.mute", "sanction.block",
                                "sanction.lift_block", "sanction.lift_mute"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "sanction.mute"))
    assert entry.actor_id == moderator.id and entry.after["reason"] == "Insults again"
    history = sanctions.history(moderator, member)
    assert [row.kind for row in history] == ["block", "mute", "warning"]
    assert history[0].lifted_by_id == moderator.id and history[0].lift_reason


def test_the_members_sanction_state_follows_the_longest_sanction_in_force(users):
    member, moderator = users["member"], users["moderator"]
    long = sanctions.issue(moderator, member, "mute", "Spam", _days(10))
    sanctions.issue(moderator, member, "mute", "Spam again", _days(2))
    assert abs((member.muted_until - long.ends_at).total_seconds()) < 1
    short_block = sanctions.issue(moderator, member, "block", "Flood", _days(1))
    assert member.blocked_until == short_block.ends_at
    sanctions.issue(moderator, member, "block", "Flood again")
    assert member.blocked and member.blocked_until is None


@pytest.mark.parametrize(("actor", "target"), [
    ("member", "authority_here"), ("authority_here", "member"),
    ("moderator", "moderator"),  # themselves
    ("moderator", "admin"), ("admin", "admin"),
    ("moderator", "other moderator"),
])
def test_who_may_not_sanction_whom(users, make_user, actor, target):
    people = dict(users, **{"other moderator": make_user("moderator")})
    with pytest.raises(PermissionDenied):
        sanctions.issue(people[actor], people[target], "warning", "Because")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sanction)) == 0


def test_an_admin_may_sanction_a_moderator_and_a_moderator_an_authority(users):
    sanctions.issue(users["admin"], users["moderator"], "mute", "Rude to members", _days(1))
    assert not may_post(users["moderator"])
    sanctions.issue(users["moderator"], users["authority_here"], "warning", "Late answers")
    row = sanctions.issue(users["moderator"], users["member"], "mute", "Spam", _days(1))
    with pytest.raises(PermissionDenied):  # a member lifts nothing
        sanctions.lift(users["member"], row, "Please")


@pytest.mark.parametrize(("kind", "reason", "ends", "field"), [
    ("warning", "", None, "reason"),
    ("warning", "x" * 1001, None, "reason"),
    ("mute", "Spam", None, "days"),
    ("mute", "Spam", -1, "days"),
    ("block", "Spam", -1, "days"),
    ("ban", "Spam", None, "kind"),
])
def test_a_sanction_needs_a_reason_and_a_future_end_where_it_has_one(users, kind, reason,
                                                                      ends, field):
    with pytest.raises(ValidationError) as refused:
        sanctions.issue(users["moderator"], users["member"], kind, reason,
                        _days(ends) if ends is not None else None)
    assert refused.value.field == field


# -- what a muted member notices ---------------------------------------------------------------


def test_a_muted_member_reads_but_cannot_post_and_is_told_until_when(app, users, here):
    member, moderator = users["member"], users["moderator"]
    project = _project(users["authority_here"], here, moderator)
    draft = projects.save_project(member, projects.ProjectDraft(
        place_id=here.id, title="Жол", summary="Көпүрө"))
    sanctions.issue(moderator, member, "mute", "Insults under projects", _days(3))

    for attempt in (
        lambda: comments.add_comment(member, project, "Hello"),
        lambda: projects.save_project(member, projects.ProjectDraft(
            place_id=here.id, title="Another", summary="One")),
        lambda: projects.transition(member, draft, "submit"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        with force_locale("en"):
            assert "you can read but not post until" in str(refused.value.message)
    # Reporting stays open to a muted member (they may be the one being insulted).
    reports.report(member, "project", project.id, "offensive")

    client = login(app.test_client(), member)
    page = client.get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "you can read but not post until" in page and "Insults under projects" in page
    assert "To appeal" in page and "/account/sanctions" in page
    assert f'action="/projects/{project.id}/comments' not in page  # no comment form
    refused = client.post(f"/projects/{project.id}/comments?lang=en", data={"body": "Hi"})
    assert refused.status_code == 403
    assert "you can read but not post until" in refused.get_data(as_text=True)
    assert client.get("/projects/new?lang=en").status_code == 403


def test_a_mute_that_ended_lets_them_post_again(app, users, here):
    member, moderator = users["member"], users["moderator"]
    project = _project(users["authority_here"], here, moderator)
    row = sanctions.issue(moderator, member, "mute", "Spam", _days(1))
    # A day later (times moved to the past, no waiting): no job ran, the mute is over.
    row.starts_at, row.ends_at = _days(-2), _days(-1)
    member.muted_until = row.ends_at
    db.session.commit()
    assert may_post(member) and sanctions.active_sanction(member) is None
    comments.add_comment(member, project, "Back, politely")
    page = login(app.test_client(), member).get("/account?lang=en").get_data(as_text=True)
    assert "you can read but not post" not in page


# -- what a blocked member notices -------------------------------------------------------------


def test_a_blocked_member_cannot_log_in_and_is_told_why_and_how_to_appeal(app, client,
                                                                          users, monkeypatch):
    member = users["member"]
    monkeypatch.setitem(app.config, "APPEAL_CONTACT", "appeals@mekendesh.example")
    sanctions.issue(users["moderator"], member, "block", "Selling fake visas", _days(7))
    before = member.last_login_at

    answer = client.post("/login?lang=en", data={"email": member.email, "password": PASSWORD})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Your account is blocked until" in html and "Selling fake visas" in html
    assert "appeals@mekendesh.example" in html
    assert client.get("/account").status_code == 302  # not signed in
    db.session.refresh(member)
    assert member.last_login_at == before
    wrong = client.post("/login?lang=en", data={"email": member.email, "password": "nope"})
    assert "Selling fake visas" not in wrong.get_data(as_text=True)


def test_a_block_ends_a_signed_in_members_session_at_their_next_request(app, users):
    member = users["member"]
    client = login(app.test_client(), member)
    assert client.get("/account?lang=en").status_code == 200
    sanctions.issue(users["moderator"], member, "block", "Spam bot", None)

    thrown_out = client.get("/account?lang=en")
    assert thrown_out.status_code == 302 and "/login" in thrown_out.headers["Location"]
    login_page = client.get(thrown_out.headers["Location"]).get_data(as_text=True)
    assert "Your account is blocked until a moderator lifts the block." in login_page
    assert "Spam bot" in login_page
    assert client.get("/account").status_code == 302


def test_a_block_that_ended_lets_them_log_in_again(client, users):
    member = users["member"]
    row = sanctions.issue(users["moderator"], member, "block", "Flood", _days(1))
    row.starts_at, row.ends_at = _days(-3), _days(-1)
    member.blocked_until = row.ends_at
    db.session.commit()
    assert is_member(member)
    answer = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert answer.status_code == 302


# -- telling the member in their language ------------------------------------------------------


def test_the_member_is_told_in_kyrgyz_on_the_site_and_in_telegram(users, make_user):
    member = make_user("member", locale="ky", telegram_chat_id=9_300_001)
    # The kind can't be switched off: a member switching everything off still hears of it.
    db.session.add(NotificationSetting(user_id=member.id, kind=sanctions.NOTIFICATION_KIND,
                                       enabled=False))
    db.session.commit()
    row = sanctions.issue(users["moderator"], member, "mute", "Спам шилтемелер", _days(3))

    notification = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == member.id))
    assert notification.kind == sanctions.NOTIFICATION_KIND
    assert notification.url == "/account/sanctions"
    [message] = _outbox(member)
    text = render_message(message.template, message.params, "ky")
    assert "Модератор" in text and "Спам шилтемелер" in text
    assert "2026" in text or str(row.ends_at.year) in text
    assert "Даттануу үчүн" in text  # how to appeal, in Kyrgyz
    assert "muted" not in text and "moderator" not in text

    sanctions.lift(users["moderator"], row, "Ката кетти")
    lifted = render_message(_outbox(member)[-1].template, _outbox(member)[-1].params, "ky")
    assert "Ката кетти" in lifted
    assert "lifted" not in lifted


def test_the_switches_page_does_not_offer_to_silence_sanctions(app, users):
    page = login(app.test_client(), users["member"]).get("/notifications/settings?lang=en")
    assert page.status_code == 200
    assert sanctions.NOTIFICATION_KIND not in page.get_data(as_text=True)


# -- the pages ---------------------------------------------------------------------------------


def test_the_moderators_page_shows_the_history_proposes_the_next_step_and_issues_it(app,
                                                                                    users):
    member, moderator = users["member"], users["moderator"]
    sanctions.issue(users["admin"], member, "warning", "First: rude words")
    client = login(app.test_client(), moderator)
    page = client.get(f"/moderation/members/{member.id}?lang=en").get_data(as_text=True)
    assert member.email in page and "First: rude words" in page
    assert "Proposed next step: Muted (can read" in page
    assert re.search(r'<input[^>]*checked[^>]*value="mute"', page)

    refused = client.post(f"/moderation/members/{member.id}/sanctions",
                          data={"kind": "mute", "reason": "Again", "days": ""})
    assert refused.status_code == 400
    assert "A mute needs an end" in refused.get_data(as_text=True)
    done = client.post(f"/moderation/members/{member.id}/sanctions?lang=en",
                       data={"kind": "mute", "reason": "Again, insults", "days": "5"})
    assert done.status_code == 302
    db.session.refresh(member)
    assert member.muted_until is not None
    assert 4.9 < (member.muted_until - utcnow()).total_seconds() / 86400 <= 5
    row = sanctions.active_sanction(member)
    page = client.get(f"/moderation/members/{member.id}?lang=en").get_data(as_text=True)
    assert f"/moderation/sanctions/{row.id}/lift" in page
    lifted = client.post(f"/moderation/sanctions/{row.id}/lift",
                         data={"lift_reason": "Appeal accepted"})
    assert lifted.status_code == 302
    db.session.refresh(member)
    assert member.muted_until is None


def test_the_member_reads_their_own_sanctions(app, users):
    member = users["member"]
    sanctions.issue(users["moderator"], member, "warning", "Please stay polite")
    page = login(app.test_client(), member).get("/account/sanctions?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Please stay polite" in html
    assert users["moderator"].email not in html  # who issued it stays with the staff


def test_reported_authors_and_audit_rows_link_to_the_members_page(app, users, here):
    moderator = users["moderator"]
    project = _project(users["authority_here"], here, moderator)
    reports.report(users["member"], "project", project.id, "spam")
    client = login(app.test_client(), moderator)
    listing = client.get("/moderation/reports?lang=en").get_data(as_text=True)
    assert f"/moderation/members/{users['authority_here'].id}" in listing
    sanctions.issue(moderator, users["member"], "warning", "Spam")
    log = client.get("/moderation/audit?lang=en").get_data(as_text=True)
    assert f"/moderation/members/{users['member'].id}" in log


# -- personal data -----------------------------------------------------------------------------


def test_the_data_download_includes_the_members_sanctions(users):
    member = users["member"]
    sanctions.issue(users["moderator"], member, "warning", "Keep it civil")
    data = accounts.export_personal_data(member, member)
    exported = json.loads(json.dumps(data, default=str))
    assert exported["sanctions"][0]["kind"] == "warning"
    assert exported["sanctions"][0]["reason"] == "Keep it civil"

"""Versions of the privacy notice on the web: asked again after a change, kept as a history
with the channel, in the data download, and broadcasts waiting for the new acceptance."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts import consent
from diaspora.accounts import service as accounts
from diaspora.accounts.consent import PrivacyAcceptance
from diaspora.accounts.models import User
from diaspora.delivery import states
from diaspora.extensions import db
from tests.conftest import PASSWORD, login

NEW = "2027-01"


@pytest.fixture
def new_notice(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", NEW)
    return NEW


def _rows(user_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        sa.select(PrivacyAcceptance.version, PrivacyAcceptance.channel)
        .where(PrivacyAcceptance.user_id == user_id).order_by(PrivacyAcceptance.id))]


def test_registering_records_the_acceptance_on_the_web(app, ctx):
    response = app.test_client().post("/register", data={
        "email": "aigerim@example.org", "password": "Tulpar-Naryn-Kok-42",
        "confirm": "Tulpar-Naryn-Kok-42", "accept_privacy": "y"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "aigerim@example.org"))
    assert _rows(user.id) == [("2026-11", "web")]


def test_a_changed_notice_is_asked_on_the_next_visit(app, make_user, new_notice):
    member = make_user("member")
    client = login(app.test_client(), member)
    response = client.get("/account/profile?x=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/privacy/accept?next=")
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Our privacy notice has changed" in html and "2027-01" in html
    assert "What we collect" in html  # the notice itself
    assert "/account/delete" in html and "/account/data.json" in html
    accepted = client.post("/privacy/accept", data={"next": "/account/profile?x=1"})
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/account/profile?x=1"
    assert client.get("/account/profile").status_code == 200
    assert _rows(member.id) == [(NEW, "web")]
    user = db.session.get(User, member.id)
    assert user.privacy_version == NEW and user.privacy_accepted_at is not None
    # Accepting again adds nothing.
    assert client.post("/privacy/accept").status_code == 302
    assert _rows(member.id) == [(NEW, "web")]
    # The history is on the page.
    html = client.get("/privacy/accept").get_data(as_text=True)
    assert "You have accepted this version" in html and "on the website" in html


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/privacy"), ("GET", "/account/data.json"), ("GET", "/account/delete"),
    ("GET", "/privacy/accept"), ("POST", "/logout"), ("GET", "/healthz"),
])
def test_reading_the_notice_leaving_and_erasing_need_no_new_consent(app, make_user, new_notice,
                                                                    method, url):
    client = login(app.test_client(), make_user("member"))
    response = client.open(url, method=method)
    assert "/privacy/accept" not in response.headers.get("Location", "")
    assert response.status_code in (200, 302)


def test_every_role_is_asked(app, users, new_notice):
    for role in ("member", "authority_here", "moderator", "admin"):
        response = login(app.test_client(), users[role]).get("/moderation/audit")
        assert response.status_code == 302, role
        assert "/privacy/accept" in response.headers["Location"]
    assert app.test_client().get("/").status_code == 200  # visitors are not asked


def test_next_only_leads_inside_the_site(app, make_user, new_notice):
    client = login(app.test_client(), make_user("member"))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        html = client.get("/privacy/accept", query_string={"next": target}).get_data(
            as_text=True)
        assert 'name="next"' not in html
        response = client.post("/privacy/accept", data={"next": target})
        assert response.headers["Location"] == "/account"


def test_the_download_holds_the_history_and_erasure_removes_it(app, make_user, new_notice):
    member = make_user("member")
    login(app.test_client(), member).post("/privacy/accept")
    user = db.session.get(User, member.id)
    consent.record_acceptance(user, consent.TELEGRAM)  # already current: nothing added
    data = login(app.test_client(), member).get("/account/data.json").get_json()
    history = data["account"]["privacy_notice"]["history"]
    assert [(row["version"], row["channel"]) for row in history] == [(NEW, "web")]
    assert data["account"]["privacy_notice"]["version"] == NEW
    accounts.delete_personal_data(user, user)
    assert _rows(member.id) == []


def test_broadcasts_wait_for_the_new_acceptance_personal_notifications_do_not(
        app, make_user, new_notice):
    member = make_user("member", telegram_chat_id=9_100_001)
    assert not states.is_reachable(member, broadcast=True)
    assert states.is_reachable(member, broadcast=False)
    in_sql = db.session.scalars(sa.select(User.id).where(
        *states.reachable_sql(broadcast=True))).all()
    assert member.id not in in_sql
    accounts.accept_privacy(member, "web")
    db.session.commit()
    assert states.is_reachable(member, broadcast=True)


@pytest.mark.parametrize(("locale", "words"), [
    ("ky", "Купуялык саясатыбыз өзгөрдү"), ("ru", "политика конфиденциальности изменилась"),
    ("en", "Our privacy notice has changed"),
])
def test_the_question_is_in_the_members_language(app, make_user, new_notice, locale, words):
    client = login(app.test_client(), make_user("member", locale=locale))
    html = client.get(f"/privacy/accept?lang={locale}").get_data(as_text=True)
    assert words in html


def test_creating_an_admin_records_its_acceptance(app, ctx):
    admin = accounts.create_admin("root@example.org", PASSWORD + "-x")
    assert _rows(admin.id) == [("2026-11", "cli")]

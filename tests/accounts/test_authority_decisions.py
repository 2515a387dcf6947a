"""Moderators verify, reject and revoke local authorities: each decision is audited, tells the
member in their language (site and Telegram), and counts at the member's next click; the
document is for staff and its sender only; the data download and erasure include requests."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from diaspora.accounts import authority
from diaspora.accounts.models import AuthorityPlace, User
from diaspora.accounts.permissions import verified_places
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import OutboxMessage
from diaspora.errors import InvalidTransition, ValidationError
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from diaspora.notifications.models import Notification
from diaspora.notifications.service import render_web
from tests.conftest import login

PDF = b"%PDF-1.4\n%%EOF\n"


def applicant(make_user, place, *, verified: bool = False, locale: str = "ky",
              chat_id: int | None = None, document: bytes | None = PDF) -> AuthorityPlace:
    user = make_user("member", locale=locale, telegram_chat_id=chat_id)
    link = authority.request_authority(user, place, "Ак-Талаа айыл өкмөтү",
                                       "Айыл өкмөтүнүн башчысы", document)
    if verified:
        authority.verify_authority(make_user("moderator"), link)
    return link


def audit_rows(link: AuthorityPlace) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "authorityplace",
                                    AuditEntry.object_id == link.id).order_by(AuditEntry.id)))


def notifications_of(user: User) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


# -- the moderators' pages -------------------------------------------------------------------


def test_moderators_see_what_they_decide_on(client, make_user, here):
    link = applicant(make_user, here, locale="en")
    verified = applicant(make_user, here.parent or here, verified=True, locale="en")
    login(client, make_user("moderator"))
    for page in ("/moderation/?lang=en", "/moderation/authorities?lang=en"):
        text = client.get(page).get_data(as_text=True)
        assert "Айыл өкмөтүнүн башчысы" in text and "Ак-Талаа айыл өкмөтү" in text
        assert link.user.email in text and link.user.name in text
        assert here.full_name("en") in text
        assert f"/moderation/authorities/{link.id}/document" in text
    # The queue decides through its own form; the authorities' page has its buttons.
    listing = client.get("/moderation/authorities?lang=en").get_data(as_text=True)
    assert f"/moderation/authorities/{link.id}/reject" in listing
    assert f"/moderation/authorities/{verified.id}/revoke" in listing
    assert "Revoke the verification" in listing
    pending = authority.pending_authorities()
    assert [row.id for row in pending] == [link.id]


def test_the_full_round_through_the_pages(client, make_user, here):
    link = applicant(make_user, here, locale="en")
    member_id = link.user_id
    moderator = make_user("moderator")
    login(client, moderator)
    # rejecting needs a reason: without one nothing happens
    response = client.post(f"/moderation/authorities/{link.id}/reject?lang=en",
                           data={"reason": "", "next": "/moderation/"}, follow_redirects=True)
    assert "Say why: the member is told." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AuthorityPlace, link.id).status == "pending"
    # verified, then revoked with a reason: back to the page it came from
    response = client.post(f"/moderation/authorities/{link.id}/verify",
                           data={"next": "/moderation/authorities"})
    assert response.headers["Location"].endswith("/moderation/authorities")
    response = client.post(f"/moderation/authorities/{link.id}/revoke",
                           data={"reason": "Left the post in November.",
                                 "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/moderation/authorities")
    db.session.expire_all()
    row = db.session.get(AuthorityPlace, link.id)
    assert row.status == "revoked" and row.revoke_reason == "Left the post in November."
    assert row.revoked_by_id == moderator.id and row.verified_at is None
    assert db.session.get(User, member_id).role == "member"


# -- each decision: audited, told ------------------------------------------------------------


def test_verify_is_audited_and_tells_the_member_in_kyrgyz(make_user, here):
    link = applicant(make_user, here, chat_id=555_000_101)
    moderator = make_user("moderator")
    authority.verify_authority(moderator, link)
    (request, verify) = audit_rows(link)
    assert (request.action, verify.action) == ("authority.request", "authority.verify")
    assert verify.actor_id == moderator.id and verify.after["status"] == "verified"
    (note,) = notifications_of(link.user)
    text = str(render_web(note, "ky"))
    assert "ырасталды" in text and "Ак-Талаа айыл өкмөтү" in text
    assert note.url == "/account#authority"
    # and on Telegram, in the member's language
    message = db.session.scalar(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == link.user_id))
    assert message is not None
    assert "ырасталды" in render_message(message.template, message.params, "ky")
    assert link.user.role == "authority" and link.verified


def test_reject_keeps_the_row_with_its_reason_audits_and_tells(make_user, here):
    link = applicant(make_user, here)
    moderator = make_user("moderator")
    with pytest.raises(ValidationError) as refused:
        authority.reject_authority(moderator, link, "   ")
    assert refused.value.field == "reason"
    authority.reject_authority(moderator, link, "Бул буйрук башка адамдыкы.")
    db.session.expire_all()
    row = db.session.get(AuthorityPlace, link.id)
    assert row.status == "rejected" and row.reject_reason == "Бул буйрук башка адамдыкы."
    assert row.rejected_by_id == moderator.id
    assert row.document_type is None  # a refused proof is not kept
    assert row.user.role == "member"
    reject = audit_rows(link)[-1]
    assert reject.action == "authority.reject"
    assert reject.after["reason"] == "Бул буйрук башка адамдыкы."
    (note,) = notifications_of(row.user)
    text = str(render_web(note, "ky"))
    assert "четке кагылды" in text and "Бул буйрук башка адамдыкы." in text
    assert "Себеби" in text
    assert "was rejected" in str(render_web(note, "en"))
    # a decided request is not decided again
    with pytest.raises(InvalidTransition):
        authority.verify_authority(moderator, row)


def test_revoke_keeps_the_history_audits_and_tells(make_user, here):
    link = applicant(make_user, here, verified=True)
    moderator = make_user("moderator")
    with pytest.raises(ValidationError) as refused:
        authority.revoke_authority(moderator, link, "")
    assert refused.value.field == "reason"
    authority.revoke_authority(moderator, link, "Кызматтан кетти.")
    db.session.expire_all()
    row = db.session.get(AuthorityPlace, link.id)
    assert row.status == "revoked" and not row.verified
    assert row.revoke_reason == "Кызматтан кетти." and row.revoked_by_id == moderator.id
    assert row.has_document  # kept: the history of a verified authority
    revoke = audit_rows(link)[-1]
    assert revoke.action == "authority.revoke" and revoke.before["status"] == "verified"
    assert revoke.before["verified_at"] and revoke.after["reason"] == "Кызматтан кетти."
    verified_note, revoked_note = notifications_of(row.user)
    text = str(render_web(revoked_note, "ky"))
    assert "жокко чыгарылды" in text and "Кызматтан кетти." in text
    assert "was revoked" in str(render_web(revoked_note, "en"))
    assert "отозвано" in str(render_web(revoked_note, "ru"))
    # the last verified place gone: a member again; revoking twice is refused
    assert row.user.role == "member"
    with pytest.raises(InvalidTransition):
        authority.revoke_authority(moderator, row, "again")


def test_an_authority_with_another_verified_place_stays_an_authority(make_user, here,
                                                                     elsewhere):
    link = applicant(make_user, here, verified=True)
    moderator = make_user("moderator")
    other = authority.request_authority(link.user, elsewhere, "Ош", "Башчы")
    authority.verify_authority(moderator, other)
    authority.revoke_authority(moderator, link, "Ошол жерде эмес.")
    db.session.expire_all()
    user = db.session.get(User, link.user_id)
    assert user.role == "authority"
    assert [place.id for place in verified_places(user)] == [elsewhere.id]


def test_nobody_but_staff_decides_and_staff_not_on_their_own(make_user, here):
    from diaspora.errors import PermissionDenied

    link = applicant(make_user, here)
    with pytest.raises(PermissionDenied):
        authority.verify_authority(make_user("authority", places=(here,)), link)
    with pytest.raises(PermissionDenied):
        authority.reject_authority(link.user, link, "mine")
    moderator = make_user("moderator")
    own = AuthorityPlace(user_id=moderator.id, place_id=here.id, organisation="X", position="Y")
    db.session.add(own)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        authority.verify_authority(moderator, own)


# -- at once on the web --------------------------------------------------------------------------


def test_revocation_counts_at_the_authoritys_next_click(app, make_user, here):
    link = applicant(make_user, here, verified=True, locale="en")
    web = login(app.test_client(), link.user)
    assert web.get("/projects/queue").status_code == 200
    assert web.get("/news/new").status_code == 200
    authority.revoke_authority(make_user("moderator"), link, "Left the post.")
    # the same session, the very next request: the powers are gone
    assert web.get("/projects/queue").status_code == 403
    assert web.get("/news/new").status_code == 403
    page = web.get("/account?lang=en").get_data(as_text=True)
    assert "verification revoked on" in page and "Reason: Left the post." in page


def test_verification_counts_at_the_next_click(app, make_user, here):
    link = applicant(make_user, here, locale="en")
    web = login(app.test_client(), link.user)
    assert web.get("/projects/queue").status_code == 403
    authority.verify_authority(make_user("moderator"), link)
    assert web.get("/projects/queue").status_code == 200


# -- the document ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 404), ("member", 404), ("requester", 200), ("other authority", 404),
    ("moderator without second step", 404), ("moderator", 200), ("admin", 200),
])
def test_the_document_is_for_staff_and_its_sender_only(app, make_user, here, elsewhere, who,
                                                       status):
    link = applicant(make_user, here)
    viewer = {
        "anonymous": None,
        "member": make_user("member"),
        "requester": link.user,
        "other authority": make_user("authority", places=(elsewhere,)),
        "moderator without second step": make_user("moderator"),
        "moderator": make_user("moderator"),
        "admin": make_user("admin"),
    }[who]
    client = login(app.test_client(), viewer,
                   two_factor=who != "moderator without second step")
    response = client.get(f"/moderation/authorities/{link.id}/document")
    assert response.status_code == status
    if status == 200:
        assert response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"


def test_an_image_document_is_shown_inline_never_cached(app, make_user, here):
    from tests.accounts.test_authority_request import jpeg_with_exif

    link = applicant(make_user, here, document=jpeg_with_exif())
    client = login(app.test_client(), make_user("moderator"))
    response = client.get(f"/moderation/authorities/{link.id}/document")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


# -- personal data --------------------------------------------------------------------------------


def test_the_data_download_holds_the_requests_and_their_documents(app, make_user, here):
    import base64

    link = applicant(make_user, here, locale="en")
    authority.reject_authority(make_user("moderator"), link, "Wrong place.")
    other = authority.request_authority(link.user, here.parent or here, "Org", "Head", PDF)
    client = login(app.test_client(), link.user)
    data = json.loads(client.get("/account/data.json").get_data(as_text=True))
    requests = {row["status"]: row for row in data["authorities"]}
    assert requests["rejected"]["reject_reason"] == "Wrong place."
    assert requests["rejected"]["position"] == "Айыл өкмөтүнүн башчысы"
    assert requests["pending"]["document"]["content_type"] == "application/pdf"
    assert base64.b64decode(requests["pending"]["document"]["base64"]) == PDF
    actions = [row["action"] for row in data["audit_log_about_you"]]
    assert "authority.reject" in actions
    assert other.id


def test_erasure_removes_the_requests_and_documents(app, make_user, here):
    from diaspora.accounts import service

    link = applicant(make_user, here, verified=True)
    user = link.user
    service.delete_personal_data(user, user)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorityPlace)
                             .where(AuthorityPlace.user_id == user.id)) == 0
    assert db.session.get(User, user.id).role == "member"

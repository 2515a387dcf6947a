"""Support requests through the service: who hears of a request, who sees it, the thread's
steps told to the other side and audited, the 14-day flag, the services directory's rules,
and the member's personal data."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.moderation import queue
from diaspora.moderation.models import AuditEntry
from diaspora.notifications.models import Notification
from diaspora.places.models import Place
from diaspora.support import service as support
from diaspora.support.models import ANSWERED, CLOSED, WAITING, SupportMessage, SupportRequest


def _told(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _audit(request) -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "supportrequest",
                                           AuditEntry.object_id == request.id)
        .order_by(AuditEntry.id)))


def _inside(place) -> Place:
    return db.session.scalar(sa.select(Place).where(Place.parent_id == place.id)
                             .order_by(Place.code).limit(1))


def test_a_request_reaches_the_authorities_of_its_place_and_above_only(
        make_user, here, elsewhere, ask):
    village = _inside(here)
    member = make_user(home=village)
    of_village = make_user("authority", places=(village,))
    of_district = make_user("authority", places=(here,))
    of_region = make_user("authority", places=(db.session.get(Place, here.region_id),))
    of_elsewhere = make_user("authority", places=(elsewhere,))
    unverified = make_user("authority", places=(village,), verified=False)
    request = ask(member, village)
    assert request.status == WAITING and request.district_id == here.id
    for authority in (of_village, of_district, of_region):
        (told,) = _told(authority, "support.new")
        assert told.url == f"/support/{request.id}"
        # The member's words stay on the site: the notification names the need and the place.
        assert "Москвадан" not in str(told.params)
    assert _told(of_elsewhere) == [] and _told(unverified) == []
    assert _audit(request) == ["support.request"]


def test_only_the_requester_the_place_authorities_and_staff_see_a_request(
        users, make_user, here, ask):
    request = ask(users["member"], here)
    for role in ("member", "authority_here", "moderator", "admin"):
        assert support.get_request(users[role], request.id) is request
    for who in (users["authority_elsewhere"], make_user(home=here), None):
        with pytest.raises(NotFound):
            support.get_request(who, request.id)


def test_answer_refer_reply_close_each_told_and_audited(users, make_user, here, ask):
    member, authority = users["member"], users["authority_here"]
    request = ask(member, here)
    service = support.save_service(authority, here.id, support.ServiceFields(
        name="Жумуш борбору", kind="employment", phone="+996 3722 5 55 55"))

    support.act(authority, request, "answer", "Сизге жумуш табабыз.")
    assert request.status == ANSWERED and request.first_answered_at is not None
    assert support.days_waiting(request) is None
    support.act(authority, request, "refer", "Барыңыз.", service.id)
    (referral,) = [m for m in request.messages if m.kind == "referral"]
    assert referral.service_id == service.id
    told = _told(member, "support.answered")
    assert [n.params["event"] for n in told] == ["answer", "referral"]
    assert told[1].params["service"]["name"] == "Жумуш борбору"

    support.reply(member, request, "Рахмат, бардым.")
    assert request.status == WAITING and support.days_waiting(request) == 0
    assert [n.params["event"] for n in _told(authority, "support.reply")] == ["support.reply"]

    with pytest.raises(PermissionDenied):
        support.act(member, request, "close")  # the member does not answer themselves
    with pytest.raises(PermissionDenied):
        support.reply(authority, request, "…")
    with pytest.raises(PermissionDenied):
        support.act(users["authority_elsewhere"], request, "answer", "x")
    support.act(users["moderator"], request, "close", "")
    assert request.status == CLOSED
    with pytest.raises(InvalidTransition):
        support.reply(member, request, "Дагы бир суроо")
    with pytest.raises(InvalidTransition):
        support.act(authority, request, "answer", "x")
    assert _audit(request) == ["support.request", "support.answer", "support.refer",
                               "support.reply", "support.close"]


def test_a_referral_names_a_service_near_the_place(users, here, elsewhere, ask):
    request = ask(users["member"], here)
    far = support.save_service(users["admin"], elsewhere.id, support.ServiceFields(
        name="Far", kind="health"))
    with pytest.raises(ValidationError) as refused:
        support.act(users["authority_here"], request, "refer", "", far.id)
    assert refused.value.field == "service_id"
    with pytest.raises(ValidationError):
        support.act(users["authority_here"], request, "answer", "   ")
    assert request.status == WAITING and request.messages == []


def test_unanswered_for_14_days_is_flagged_for_the_moderators(users, make_user, here, ask):
    member = users["member"]
    old, young, answered = ask(member, here), ask(member, here), ask(member, here)
    old.created_at -= timedelta(days=15)
    young.created_at -= timedelta(days=13)
    answered.created_at -= timedelta(days=20)
    db.session.commit()
    support.act(users["authority_here"], answered, "answer", "Жооп")

    assert support.flag_unanswered() == 1
    assert support.flag_unanswered() == 0  # once
    assert old.flagged_at is not None and young.flagged_at is None
    assert _audit(old)[-1] == "support.flag_unanswered"
    (item,) = queue.pending_items(users["moderator"], "support_unanswered")
    assert item.item_id == old.id and item.url == f"/support/{old.id}"

    before = len(_told(users["authority_here"], "support.new"))
    queue.decide(users["moderator"], item.key, "remind")
    assert len(_told(users["authority_here"], "support.new")) == before + 1
    assert queue.pending_items(users["moderator"], "support_unanswered") == []
    # Answered after the flag: no longer in the queue either.
    support.act(users["authority_here"], old, "answer", "Кечиресиз")
    assert support.flagged_requests() == []


def test_the_directory_is_kept_by_the_places_authorities_and_staff(users, here, elsewhere):
    fields = support.ServiceFields(name="Юридикалык жардам", kind="legal",
                                   address="Ленин көч. 1", phone="+996 312 00 00 00",
                                   languages=["ru", "ky", "xx"], hours="Дш–Жм 9:00–18:00")
    inside = _inside(here)
    mine = support.save_service(users["authority_here"], inside.id, fields)
    assert mine.languages == ["ky", "ru"]  # in the site's order, unknown codes dropped
    assert [s.id for s in support.directory(inside, "legal")] == [mine.id]
    # A village's service serves the village: the district's own list does not take it in.
    assert support.directory(here) == []
    for who, place in ((users["authority_elsewhere"], here), (users["member"], here),
                       (users["authority_here"], elsewhere), (None, here)):
        with pytest.raises(PermissionDenied):
            support.save_service(who, place.id, fields)
    with pytest.raises(PermissionDenied):
        support.save_service(users["authority_elsewhere"], elsewhere.id, fields, mine)
    with pytest.raises(PermissionDenied):  # moving one's service to another's place
        support.save_service(users["authority_here"], elsewhere.id, fields, mine)
    with pytest.raises(PermissionDenied):
        support.delete_service(users["authority_elsewhere"], mine)
    support.save_service(users["moderator"], elsewhere.id, fields, mine)
    assert mine.place_id == elsewhere.id
    support.delete_service(users["admin"], mine)
    assert db.session.get(type(mine), mine.id) is None
    with pytest.raises(ValidationError) as refused:
        support.save_service(users["admin"], here.id, support.ServiceFields(name="", kind="x"))
    assert refused.value.field == "name"


@pytest.mark.parametrize(("channel", "value", "kept"), [
    ("phone", " +996 (555) 12-34-56 ", "+996 (555) 12-34-56"),
    ("email", "aibek@example.org", "aibek@example.org"),
    ("telegram", "", ""),
    ("telegram", "aibek_95", "@aibek_95"),
])
def test_contacts_are_checked(channel, value, kept):
    assert support.clean_contact(channel, value) == (channel, kept)


@pytest.mark.parametrize(("channel", "value"), [
    ("phone", "call me"), ("phone", "12"), ("email", "aibek"), ("telegram", "a b"),
    ("fax", "1"),
])
def test_bad_contacts_are_refused(channel, value):
    with pytest.raises(ValidationError):
        support.clean_contact(channel, value)


def test_a_description_is_required_and_short(users, here, ask):
    with pytest.raises(ValidationError) as refused:
        ask(users["member"], here, description="x" * (support.DESCRIPTION_MAX + 1))
    assert refused.value.field == "description"
    with pytest.raises(ValidationError):
        ask(users["member"], here, kind="money")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0


def test_personal_data_export_and_erase(app, users, here, ask):
    from diaspora.accounts import service as accounts

    member = users["member"]
    request = ask(member, here)
    support.act(users["authority_here"], request, "answer", "Жооп")
    support.reply(member, request, "Рахмат")
    other = ask(users["authority_elsewhere"], here)
    exported = accounts.export_personal_data(member, member)
    (mine,) = exported["support_requests"]
    assert mine["description"].startswith("Мен Москвадан")
    assert [(m["text"], m["mine"]) for m in mine["messages"]] == [("Жооп", False),
                                                                  ("Рахмат", True)]
    support.erase_member_requests(member)
    db.session.commit()
    assert db.session.scalars(sa.select(SupportRequest.id)).all() == [other.id]
    assert db.session.scalars(sa.select(SupportMessage.id)).all() == []


def test_demo_data_fills_the_queue_and_the_directory_once(app, ctx):
    from diaspora.accounts import service as accounts
    from diaspora.accounts.demo import DEMO_ACCOUNTS
    from diaspora.support.models import SupportService

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--members", "2"])
    assert first.exit_code == 0, first.output
    assert "support: 4 local services, 2 requests" in first.output
    assert "support:" not in runner.invoke(args=["seed-demo"]).output  # once
    authority = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    queue = support.authority_queue(authority).items
    assert [(r.kind, support.days_waiting(r)) for r in queue] == [("employment", 3),
                                                                   ("legal", None)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportService)) == 4

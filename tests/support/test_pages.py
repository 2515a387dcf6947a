"""The support pages as a member, an authority and a moderator use them: asking on the web
(the form keeps what was typed when it refuses), a request's page visible only to those it is
for (404 to everybody else), the thread, the authorities' queue with the days waited, and the
public directory of a place."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.support import service as support
from diaspora.support.models import SupportRequest
from tests.conftest import login

DESCRIPTION = "Мен Кореядан кайттым. Балдарымды мектепке жаздыруу керек."


def _form(place_id: int, **fields) -> dict:
    return {"kind": "schooling", "place_id": str(place_id), "description": DESCRIPTION,
            "contact_channel": "email", "contact_value": "aibek@example.org",
            "children_services": "y", **fields}


def test_a_member_asks_on_the_web_and_the_authority_answers(app, users, here):
    member, authority = users["member"], users["authority_here"]
    page = login(app.test_client(), member).get("/support/new").get_data(as_text=True)
    # The home place is chosen already.
    assert re.search(rf'<option value="{here.id}" selected>', page)
    response = login(app.test_client(), member).post("/support/new", data=_form(here.id))
    assert response.status_code == 302
    request_id = int(re.search(r"/support/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        item = db.session.get(SupportRequest, request_id)
        assert (item.kind, item.children_services, item.women_services) == ("schooling", True,
                                                                            False)
        assert item.contact_value == "aibek@example.org" and item.language == "en"

    queue = login(app.test_client(), authority).get("/support/queue").get_data(as_text=True)
    assert f"/support/{request_id}" in queue and "waiting for an answer for 0 days" in queue
    shown = login(app.test_client(), authority).get(f"/support/{request_id}")
    assert DESCRIPTION in shown.get_data(as_text=True)
    answered = login(app.test_client(), authority).post(
        f"/support/{request_id}/act", data={"action": "answer", "body": "Мектеп №3 күтөт."})
    assert answered.status_code == 302
    thread = login(app.test_client(), member).get(f"/support/{request_id}").get_data(
        as_text=True)
    assert "Мектеп №3 күтөт." in thread
    replied = login(app.test_client(), member).post(f"/support/{request_id}/reply",
                                                     data={"body": "Рахмат!"})
    assert replied.status_code == 302
    mine = login(app.test_client(), member).get("/support/").get_data(as_text=True)
    assert f"/support/{request_id}" in mine


def test_a_refused_form_keeps_what_was_typed(app, users, here):
    client = login(app.test_client(), users["member"])
    response = client.post("/support/new", data=_form(here.id, kind="",
                                                      contact_channel="phone",
                                                      contact_value="+996 555 11 22 33"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert DESCRIPTION in page and "+996 555 11 22 33" in page
    assert 'role="alert"' in page
    response = client.post("/support/new", data=_form(here.id, contact_channel="phone",
                                                      contact_value="call me"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and DESCRIPTION in page and "call me" in page
    assert "Write a phone number in digits" in page
    long = "ы" * (support.DESCRIPTION_MAX + 1)
    page = client.post("/support/new", data=_form(here.id, description=long)).get_data(
        as_text=True)
    assert long in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0


def test_a_request_is_invisible_to_another_place_and_other_members(
        app, users, make_user, here, ask):
    request = ask(users["member"], here)
    other_member = make_user(home=here)
    for who in (users["authority_elsewhere"], other_member):
        client = login(app.test_client(), who)
        assert client.get(f"/support/{request.id}").status_code == 404
        assert client.post(f"/support/{request.id}/reply",
                           data={"body": "x"}).status_code == 404
        assert client.post(f"/support/{request.id}/act",
                           data={"action": "close"}).status_code == 404
        page = client.get("/support/queue").get_data(as_text=True)
        assert f"/support/{request.id}" not in page
    for who in (users["member"], users["authority_here"], users["moderator"]):
        assert login(app.test_client(), who).get(f"/support/{request.id}").status_code == 200
    assert app.test_client().get(f"/support/{request.id}").status_code == 302  # log in first


def test_the_queue_shows_the_days_waited_longest_first(app, users, here, ask):
    old, new = ask(users["member"], here), ask(users["member"], here, kind="housing")
    old.created_at = old.waiting_since = old.created_at - timedelta(days=9)
    db.session.commit()
    page = login(app.test_client(), users["authority_here"]).get("/support/queue").get_data(
        as_text=True)
    assert "waiting for an answer for 9 days" in page
    assert page.index(f"/support/{old.id}") < page.index(f"/support/{new.id}")


def test_the_directory_page_of_a_place(app, users, here):
    client = login(app.test_client(), users["authority_here"])
    response = client.post("/support/services/new", data={
        "place_id": str(here.id), "name": "Эмгек борбору", "kind": "employment",
        "address": "Борбордук көч. 5", "phone": "+996 3722 5 00 00", "languages": ["ky", "ru"],
        "hours": "9:00–17:00"})
    assert response.status_code == 302
    page = app.test_client().get(f"/support/services/{here.id}").get_data(as_text=True)
    assert "Эмгек борбору" in page and "Борбордук көч. 5" in page and "Кыргызча" in page
    assert "/edit" not in page  # visitors read, they do not edit
    refused = login(app.test_client(), users["authority_elsewhere"]).post(
        "/support/services/new", data={"place_id": str(here.id), "name": "Чужой",
                                       "kind": "health"})
    assert refused.status_code == 200 and "Чужой" in refused.get_data(as_text=True)


def _queries(app, client, url: str) -> int:
    seen: list[str] = []

    def remember(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    return len(seen)


def test_the_queue_and_a_thread_cost_the_same_queries_for_few_or_many_rows(
        app, users, make_user, here, ask):
    authority = users["authority_here"]
    service = support.save_service(authority, here.id, support.ServiceFields(
        name="Жумуш борбору", kind="employment"))

    def fill(n: int) -> SupportRequest:
        for _ in range(n):
            item = ask(make_user(home=here), here)
            support.act(authority, item, "refer", "Барыңыз", service.id)
            support.reply(item.requester, item, "Рахмат")
        return item

    item = fill(2)
    few = (_queries(app, login(app.test_client(), authority), "/support/queue"),
           _queries(app, login(app.test_client(), authority), f"/support/{item.id}"))
    for _ in range(5):
        support.act(authority, item, "answer", "Дагы")
        support.reply(item.requester, item, "Дагы рахмат")
    fill(10)
    many = (_queries(app, login(app.test_client(), authority), "/support/queue"),
            _queries(app, login(app.test_client(), authority), f"/support/{item.id}"))
    assert many == few


def test_a_request_flagged_after_14_days_waits_in_the_moderators_queue(app, users, here, ask):
    item = ask(users["member"], here)
    item.created_at -= timedelta(days=15)
    db.session.commit()
    support.flag_unanswered()
    moderator = login(app.test_client(), users["moderator"])
    page = moderator.get("/moderation/").get_data(as_text=True)
    assert "Support request unanswered for 14 days" in page and f"/support/{item.id}" in page
    key = re.search(r'name="key" value="(support_unanswered:[^"]+)"', page).group(1)
    done = moderator.post("/moderation/queue/decide", data={"key": key, "action": "remind"})
    assert done.status_code == 302
    assert f"/support/{item.id}" not in moderator.get("/moderation/").get_data(as_text=True)

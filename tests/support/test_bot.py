"""Help on return in Telegram, end to end through the Bot API double: a member asks in Kyrgyz
(the bot's shared widgets: kind, home place in one tap, description, contact, special
services, preview), the authority of the home place is told, its answer comes back to the
member in Kyrgyz through the outbox, and the member answers by typing; the services of the
home place by kind; a phone number asked only when chosen, checked as typed; a restart in the
middle of a request."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.notifications.models import Notification
from diaspora.places.models import Place
from diaspora.support import service as support
from diaspora.support.models import SupportRequest
from tests.bot.conftest import BotRunner, chat_user
from tests.delivery.conftest import send_all

TEXTS = {
    "ky": {
        "intro": "Кайтып келгенде жардам",
        "kind": "Эмнеге жардам керек?",
        "thanks": "Рахмат! Өтүнүчүңүз жергиликтүү бийлик органына жөнөтүлдү.",
        "answered": "Жергиликтүү бийлик органы сиздин өтүнүчүңүзгө жооп берди (Жумуш):",
        "new_here": "Кайтып келген жаран",
        "sent": "Жообуңуз жөнөтүлдү.",
    },
    "en": {
        "intro": "Help on return",
        "kind": "What do you need help with?",
        "thanks": "Thank you! Your request is sent to the local authority.",
        "answered": "The local authority answered your request (Employment):",
        "new_here": "A returnee asks for support",
        "sent": "Your answer is sent.",
    },
}


def _authority_of(app, place_id: int, chat_id: int, locale: str) -> int:
    with app.app_context():
        user = User(email=f"ao{chat_id}@example.org", role="authority", locale=locale,
                    telegram_chat_id=chat_id, privacy_version="2026-11",
                    privacy_accepted_at=utcnow())
        user.authority_places.append(AuthorityPlace(place_id=place_id, organisation="Айыл өкмөтү",
                                                    verified_at=utcnow()))
        db.session.add(user)
        db.session.commit()
        found = user.id
        db.session.remove()
        return found


def _the_request(app, member_id: int) -> dict:
    with app.app_context():
        item = db.session.scalar(sa.select(SupportRequest)
                                 .where(SupportRequest.requester_id == member_id))
        found = {"id": item.id, "kind": item.kind, "place_id": item.place_id,
                 "description": item.description, "channel": item.contact_channel,
                 "contact": item.contact_value,
                 "women": item.women_services, "children": item.children_services,
                 "language": item.language, "status": item.status,
                 "messages": [(m.kind, m.body) for m in item.messages]}
        db.session.remove()
        return found


@pytest.mark.parametrize("code", ["ky", "en"])
def test_a_request_in_kyrgyz_reaches_the_authority_and_the_answer_comes_back(
        app, tg, bot, registered_chat, code):
    texts = TEXTS[code]
    chat = registered_chat(locale=code)
    # The member has a Telegram username: "Here in Telegram" passes it to the authority.
    chat.user = tg.make_user(chat.id, language_code=code, username="aibek_kg")
    member = chat_user(app, chat.id)
    home_id = member.profile.home_place_id
    authority_chat = 990_000_001
    authority_id = _authority_of(app, home_id, authority_chat, code)
    with app.app_context():
        home = db.session.get(Place, home_id)
        other = db.session.scalar(sa.select(Place.id).where(
            Place.level == 2, Place.region_id != home.region_id).order_by(Place.code).limit(1))
    stranger = _authority_of(app, other, 990_000_002, code)  # a district of another region

    menu = chat.command("menu")[0]
    assert texts["intro"] in [label for label, _ in chat.buttons(menu)]
    overview = chat.press_data("m:support", message=menu)[0]
    assert overview["plain_text"].startswith(texts["intro"])
    first = chat.press_data("sp!new", message=overview)[0]
    assert first["plain_text"].startswith("1/5 · " + texts["kind"])
    replies = chat.press_data("spkind:employment", message=first, n=2)
    assert [d for _, d in chat.buttons(replies[1])] == ["sphome:home", "sphome:other"]
    replies = chat.press_data("sphome:home", message=replies[1], n=2)
    assert replies[1]["plain_text"].startswith("3/5 · ")
    replies = chat.send("Москвадан кайттым, курулушта иштечүмүн. Жумуш издеп жатам.", n=2)
    assert replies[1]["plain_text"].startswith("4/5 · ")
    # Telegram: no contact to type, the next question comes at once.
    replies = chat.press_data("spch:telegram", message=replies[1], n=2)
    assert replies[1]["plain_text"].startswith("5/5 · ")
    chat.press_data("spsvc:women", message=replies[1])
    preview = chat.press_data("spsvc!done", message=replies[1], n=2)[1]
    assert "Москвадан кайттым" in preview["plain_text"]
    assert [d for _, d in chat.buttons(preview)] == ["spsend:send", "spsend:cancel"]
    done = chat.press_data("spsend:send", message=preview, n=2)
    assert texts["thanks"] in done[1]["plain_text"]

    found = _the_request(app, member.id)
    assert found["contact"] == "@aibek_kg"
    assert (found["kind"], found["place_id"], found["channel"], found["women"],
            found["children"], found["language"]) == ("employment", home_id, "telegram", True,
                                                      False, code)
    with app.app_context():
        told = db.session.scalars(sa.select(Notification.user_id).where(
            Notification.kind == "support.new")).all()
        assert told == [authority_id] and stranger not in told

        # The authority answers (on the web: the same service).
        authority = db.session.get(User, authority_id)
        support.act(authority, db.session.get(SupportRequest, found["id"]), "answer",
                    "Эртең саат 10до айыл өкмөтүнө келиңиз.")
        db.session.remove()
    send_all(app, tg)
    assert tg.sent_messages(990_000_002) == []
    (to_authority,) = tg.sent_messages(authority_chat)
    assert texts["new_here"] in to_authority["plain_text"]
    assert "Москвадан" not in to_authority["plain_text"]  # the words stay on the site
    answer = [m for m in tg.sent_messages(chat.id) if texts["answered"] in m["plain_text"]]
    assert answer and "Эртең саат 10до айыл өкмөтүнө келиңиз." in answer[0]["plain_text"]
    assert f"/support/{found['id']}?lang={code}" in answer[0]["text"]

    # The member answers from the bot: My requests, Reply, type.
    listed = chat.command("my_requests")[0]
    assert "Эртең саат 10до" in listed["plain_text"]
    prompt = chat.press_data(f"sp!r:{found['id']}", message=listed)[0]
    assert "/cancel" in prompt["plain_text"]
    replies = chat.send("Макул, барам.", n=2)
    assert texts["sent"] in replies[1]["plain_text"]
    found = _the_request(app, member.id)
    assert found["status"] == "waiting"
    assert found["messages"][-1] == ("reply", "Макул, барам.")


def test_services_of_the_home_place_by_kind_and_a_phone_checked(app, tg, bot, registered_chat):
    chat = registered_chat(locale="en")
    member = chat_user(app, chat.id)
    with app.app_context():
        admin = User(email="admin-sp@example.org", role="admin", locale="en")
        db.session.add(admin)
        db.session.commit()
        support.save_service(admin, member.profile.home_place_id, support.ServiceFields(
            name="Legal aid office", kind="legal", address="Main st. 1", phone="+996 312 1",
            languages=["ky", "ru"], hours="9-18"))
        db.session.remove()
    overview = chat.command("help_on_return")[0]
    assert "Legal matters and documents (1)" in [label for label, _ in chat.buttons(overview)]
    listed = chat.press_data("sp!k:legal", message=overview)[0]
    assert "Legal aid office" in listed["plain_text"] and "Main st. 1" in listed["plain_text"]
    assert "Кыргызча, Русский" in listed["plain_text"]

    first = chat.press_data("sp!new", message=overview)[0]
    replies = chat.press_data("spkind:legal", message=first, n=2)
    replies = chat.press_data("sphome:home", message=replies[1], n=2)
    bot.stop()  # the bot restarts between two answers: the request goes on where it was
    runner = BotRunner(app, tg, "polling").start()
    try:
        replies = chat.send("Паспорт жоголду.", n=2)
        assert replies[1]["plain_text"].startswith("4/5 · ")
        replies = chat.press_data("spch:phone", message=replies[1], n=2)
        assert replies[1]["plain_text"].startswith("4/5 · Write your phone number")
        refused = chat.send("call me maybe")
        assert refused[0]["plain_text"].startswith("Write a phone number in digits")
        replies = chat.send("+996 555 123 456", n=2)
        assert replies[1]["plain_text"].startswith("5/5 · ")
        preview = chat.press_data("spsvc!skip", message=replies[1], n=2)[1]
        assert "Phone: +996 555 123 456" in preview["plain_text"]
        assert "Паспорт жоголду." in preview["plain_text"]
        chat.press_data("spsend:cancel", message=preview, n=1)
    finally:
        runner.stop()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportRequest)) == 0

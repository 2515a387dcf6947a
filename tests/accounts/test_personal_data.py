"""Erasing and downloading personal data on the web: the same erasure as the bot's /delete,
and a download with everything held about the person."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.models import BotState, User
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from diaspora.news import service as news
from diaspora.news.models import HOME
from tests.conftest import login

CHAT = 555_000_111


def _bot_rows(chat_id: int) -> None:
    db.session.add_all([
        BotState(namespace="user_data", key=str(chat_id), data={"lang": "ru", "answers": {}}),
        BotState(namespace="conversation:registration", key=f"[{chat_id},{chat_id}]",
                 data=[3, "city"]),
        BotState(namespace="user_data", key="999", data={"lang": "ky"}),  # someone else
    ])
    db.session.commit()


def test_web_deletion_forgets_the_chat_and_the_bots_stored_answers(app, client, make_user):
    user = make_user("member", email="gone@example.org", telegram_chat_id=CHAT)
    _bot_rows(CHAT)
    login(client, user)
    assert client.post("/account/delete", data={"confirm": "y"}).status_code == 302
    with app.app_context():
        gone = db.session.get(User, user.id)
        assert gone.telegram_chat_id is None and gone.deleted_at is not None
        assert db.session.scalars(sa.select(BotState.key)).all() == ["999"]
        db.session.remove()


def test_download_holds_everything_about_the_person(app, client, make_user, here):
    author = make_user("authority", email="ao@example.org", places=(here,),
                       telegram_chat_id=CHAT)
    author.telegram_language_code = "ru-RU"
    db.session.commit()
    _bot_rows(CHAT)
    post = news.save_post(author, title={"en": "Bridge opened"}, body={"en": "Come."},
                          audience=HOME, place_id=here.id)
    admin = make_user("admin")
    db.session.add(AuditEntry(actor_id=admin.id, action="user.change_role",
                              object_type="user", object_id=author.id,
                              before={"role": "member"}, after={"role": "authority"}))
    db.session.commit()
    moderator = make_user("moderator")
    news.publish(author, post)
    news.unpublish(moderator, post)  # a moderator's decision about the member's own post
    db.session.commit()
    login(client, author)
    data = client.get("/account/data.json").get_json()
    assert data["account"]["telegram_language_code"] == "ru-RU"
    assert {row["key"] for row in data["bot_state"]} == {str(CHAT), f"[{CHAT},{CHAT}]"}
    assert [row["title"] for row in data["records"]["news_posts"]] == [{"en": "Bridge opened"}]
    assert data["records"]["news_posts"][0]["id"] == post.id
    about = data["audit_log_about_you"]
    assert ("user.change_role", {"role": "authority"}) in [
        (row["action"], row["after"]) for row in about]
    taken_down = [row for row in about if row["action"] == "news.unpublish"]
    assert [(row["object_id"], row["by_you"]) for row in taken_down] == [(post.id, False)]
    text = client.get("/account/data.json").get_data(as_text=True)
    assert "password" not in text and "token_hash" not in text


def test_messages_sent_to_the_member_are_in_the_download_and_erasure_stops_them(
        app, client, make_user):
    """The outbox keeps no foreign keys (fast enqueue), so it says itself what it holds."""
    from diaspora.delivery import service as delivery
    from diaspora.delivery.models import OutboxMessage

    member = make_user("member", email="m@example.org", telegram_chat_id=CHAT)
    delivery.enqueue_notification(member, "text", {"text": {"en": "Your project & you"}})
    db.session.commit()
    login(client, member)
    data = client.get("/account/data.json").get_json()
    assert [row["params"]["text"]["en"] for row in data["telegram_messages"]] == [
        "Your project & you"]
    assert client.post("/account/delete", data={"confirm": "y"}).status_code == 302
    with app.app_context():
        left = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.user_id == member.id)).all()
        assert left == []  # the personal text is gone, and nothing is sent any more
        db.session.remove()

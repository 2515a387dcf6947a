"""Publish -> outbox rows -> sender -> messages in each recipient's language."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.delivery import service as delivery
from diaspora.delivery.models import Broadcast, OutboxMessage
from diaspora.extensions import db
from diaspora.news import service as news
from tests.delivery.conftest import send_all

TITLE = {"ky": "Жаңылык <1>", "ru": "Новость <1>", "en": "News <1>"}
BODY = {"ky": "Кыргызча **текст** & башкалар", "ru": "Русский текст", "en": "English text"}


def statuses(broadcast_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id).group_by(OutboxMessage.status)
    ).all())


def publish_news(actor, **kwargs):
    fields = {"title": TITLE, "body": BODY, "push_telegram": True, **kwargs}
    post = news.save_post(actor, **fields)
    return news.publish(actor, post)


def test_publish_enqueues_and_sender_delivers_in_each_language(app, make_user, users, tg):
    moderator = users["moderator"]
    ky = make_user(locale="ky", telegram_chat_id=101)
    ru = make_user(locale="ru", telegram_chat_id=102)
    en = make_user(locale="en", telegram_chat_id=103)
    make_user(locale="ru")  # no Telegram: no row
    post = publish_news(moderator)
    broadcast = db.session.get(Broadcast, post.broadcast_id)
    assert broadcast.total == 3
    assert statuses(broadcast.id) == {"queued": 3}

    sender = send_all(app, tg)
    assert sender.sent == 3
    texts = {m["chat_id"]: m for m in tg.sent_messages()}
    assert set(texts) == {101, 102, 103}
    assert "Жаңылык &lt;1&gt;" in texts[101]["text"]
    assert "Кыргызча текст &amp; башкалар" in texts[101]["text"]
    assert texts[102]["plain_text"].startswith("Новость <1>")
    assert texts[103]["plain_text"].startswith("News <1>")
    assert f"http://mekendesh.test/news/{post.id}" in texts[103]["text"]
    assert all(m["parse_mode"] == "HTML" for m in texts.values())
    db.session.expire_all()
    assert statuses(broadcast.id) == {"sent": 3}
    progress = delivery.progress(broadcast)
    assert (progress.sent, progress.done, progress.percent) == (3, True, 100.0)
    assert {ky.id, ru.id, en.id} == set(db.session.scalars(
        sa.select(OutboxMessage.user_id).where(OutboxMessage.status == "sent")))


def test_language_falls_back_to_kyrgyz(app, make_user, users, tg):
    make_user(locale="en", telegram_chat_id=201)
    publish_news(users["moderator"], title={"ky": "Салам"}, body={"ky": "Текст"})
    send_all(app, tg)
    (message,) = tg.sent_messages(201)
    assert message["plain_text"].startswith("Салам")


def test_stopped_and_blocked_members_are_skipped(app, make_user, users, tg):
    paused = make_user(telegram_chat_id=301)
    paused.broadcasts_paused = True
    blocked = make_user(telegram_chat_id=302)
    blocked.telegram_blocked_at = sa.func.now()
    inactive = make_user(telegram_chat_id=303)
    inactive.active = False
    make_user(telegram_chat_id=304)
    db.session.commit()
    post = publish_news(users["moderator"])
    assert db.session.get(Broadcast, post.broadcast_id).total == 1
    send_all(app, tg)
    assert [m["chat_id"] for m in tg.sent_messages()] == [304]


def test_paused_after_enqueue_is_skipped_at_send_time(app, make_user, users, tg):
    member = make_user(telegram_chat_id=401)
    post = publish_news(users["moderator"])
    member.broadcasts_paused = True
    db.session.commit()
    send_all(app, tg)
    assert tg.sent_messages() == []
    db.session.expire_all()
    assert statuses(post.broadcast_id) == {"skipped": 1}


def test_personal_notification_goes_even_when_broadcasts_paused(app, make_user, tg):
    member = make_user(locale="ru", telegram_chat_id=501)
    member.broadcasts_paused = True
    row = delivery.enqueue_notification(
        member, "text", {"text": {"ru": "Вам ответили", "en": "You got an answer"},
                         "url": "/projects/1"})
    db.session.commit()
    assert row is not None and row.priority < 10
    assert delivery.enqueue_notification(
        db.session.merge(make_user()), "text", {"text": {"en": "x"}}) is None  # no chat
    send_all(app, tg)
    (message,) = tg.sent_messages(501)
    assert message["plain_text"].startswith("Вам ответили")
    assert "http://mekendesh.test/projects/1" in message["text"]

"""`make run`'s local Telegram: refused where it must be, and the chat page talks to the real
bot process through the local Bot API, outbox messages included."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from diaspora import create_app
from diaspora.delivery import service as delivery
from diaspora.devchat.runner import LocalTelegram, LocalTelegramRefused
from diaspora.extensions import db
from tests.conftest import make_test_config


def test_refused_in_production_and_with_a_real_token(database_url: str) -> None:
    production = create_app(make_test_config(database_url, TESTING=False), environ={
        "MEKENDESH_ENV": "production", "SECRET_KEY": "x" * 64,
        "DATABASE_URL": database_url})
    with pytest.raises(LocalTelegramRefused, match="production"):
        LocalTelegram(production)
    with_token = create_app(make_test_config(database_url, TELEGRAM_BOT_TOKEN="123:real"),
                            environ={})
    with pytest.raises(LocalTelegramRefused, match="TELEGRAM_BOT_TOKEN"):
        LocalTelegram(with_token)


def test_the_chat_page_is_not_there_without_the_local_telegram(client) -> None:
    assert client.get("/dev/chat").status_code == 404
    assert client.post("/dev/chat/restart").status_code in (400, 404)


@pytest.fixture
def local(app: Flask) -> Iterator[LocalTelegram]:
    telegram = LocalTelegram(app).start()
    try:
        yield telegram
    finally:
        telegram.stop()


def _fragment(client, user_id: int) -> str:
    answer = client.get(f"/dev/chat/{user_id}/messages")
    return answer.get_data(as_text=True) if answer.status_code == 200 else ""


def _wait_for(client, user_id: int, pattern: str, timeout: float = 40.0) -> str:
    deadline = time.monotonic() + timeout
    html = ""
    while time.monotonic() < deadline:
        html = _fragment(client, user_id)
        if re.search(pattern, html):
            return html
        time.sleep(0.3)
    raise AssertionError(f"{pattern!r} never appeared; the chat shows: {html[-2000:]}")


def test_the_bot_answers_on_the_chat_page_and_outbox_messages_arrive(
        local: LocalTelegram, app: Flask, client, make_user) -> None:
    person = next(iter(local.users.values()))
    page = client.get("/dev/chat")
    assert page.status_code == 200 and "Mekendesh" in page.get_data(as_text=True)
    client.post(f"/dev/chat/{person.id}/send", data={"text": "/start"})
    html = _wait_for(client, person.id, "Кыргызча")  # the bot's first question
    message_id = re.search(r'name="message_id" value="(\d+)"', html).group(1)
    client.post(f"/dev/chat/{person.id}/press", data={"message_id": message_id,
                                                      "data": "lang:ky"})
    _wait_for(client, person.id, "[өүң]")  # the bot goes on in Kyrgyz

    # A member whose chat is this simulated person gets the outbox's broadcasts.
    make_user(telegram_chat_id=person.id, locale="ru")
    delivery.enqueue_broadcast(None, subject="devchat-test", template="text", params={"text": {
        "ky": "Салам & <жаңылык>", "ru": "Привет & <новость>", "en": "Hi"}})
    db.session.commit()
    html = _wait_for(client, person.id, "Привет")
    assert "Привет &amp; &lt;новость&gt;" in html

    local.restart_bot()
    assert local.bot_running
    answered = _fragment(client, person.id).count('class="message bot"')
    client.post(f"/dev/chat/{person.id}/send", data={"text": "/start"})
    deadline = time.monotonic() + 40
    while _fragment(client, person.id).count('class="message bot"') <= answered:
        assert time.monotonic() < deadline, "the restarted bot did not answer"
        time.sleep(0.3)

""""Join my Telegram chat in one tap": the web's one-time deep link, opened in Telegram, asks
to join; the member confirms on the website, which names the chat that asked."""

from __future__ import annotations

import re

import pytest

from tests.bot.conftest import Chat, _ids, chat_user
from tests.conftest import login

BOT = "mekendesh_test_bot"


@pytest.fixture
def bot_username(app, monkeypatch):
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_USERNAME", BOT)


def _deep_link(client) -> str:
    page = client.get("/account/telegram/join?lang=en").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    return re.search(rf"https://t\.me/{BOT}\?start=(j[A-Za-z0-9_-]+)", page).group(1)


def _chat(tg, name: str, username: str) -> Chat:
    return Chat(tg, tg.make_user(next(_ids), first_name=name, username=username,
                                 language_code="ru"))


def test_the_chat_that_opens_the_link_joins_once_confirmed(app, bot, tg, bot_username,
                                                           make_user, client) -> None:
    member = make_user(email="aida@example.org")
    login(client, member)
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert "/account/telegram/join" in account
    start = _deep_link(client)

    chat = _chat(tg, "Aida", "aida_kg")
    chat._inject(lambda: tg.send_command(chat.user, "start", start))
    reply = chat.settle(1)[0]["plain_text"]
    assert "http://mekendesh.test/account/telegram/join" in reply
    assert "сайт" in reply  # in the chat's language (Telegram said ru)
    assert chat_user(app, chat.id) is None  # nothing joined before the member confirms

    page = client.get("/account/telegram/join?lang=en").get_data(as_text=True)
    assert "Aida" in page and "@aida_kg" in page
    token = re.search(r'name="token" value="(\d+)"', page).group(1)
    client.post("/account/telegram/join/confirm", data={"token": token})
    assert chat_user(app, chat.id).email == "aida@example.org"
    account = client.get("/account?lang=en").get_data(as_text=True)
    assert f'href="https://t.me/{BOT}"' in account  # joined: the bot is one tap away

    # The link was used: a second chat opening it joins nothing.
    other = _chat(tg, "Someone", "someone")
    other._inject(lambda: tg.send_command(other.user, "start", start))
    refusal = other.settle(1)[0]["plain_text"]
    assert "сайт" in refusal and "/account/telegram/join" not in refusal
    assert chat_user(app, other.id) is None


def test_someone_who_caught_the_link_is_named_before_anything_joins(
        app, bot, tg, bot_username, make_user, client) -> None:
    member = make_user(email="aida@example.org")
    login(client, member)
    start = _deep_link(client)
    thief = _chat(tg, "Mallory", "mallory")
    thief._inject(lambda: tg.send_command(thief.user, "start", start))
    thief.settle(1)
    page = client.get("/account/telegram/join?lang=en").get_data(as_text=True)
    assert "Mallory" in page and "@mallory" in page  # the member sees it is not theirs
    client.get("/account?lang=en")  # and simply does not confirm
    assert chat_user(app, thief.id) is None
    assert client.post("/account/telegram/join/confirm", data={"token": "999999"},
                       follow_redirects=True).status_code == 200
    assert chat_user(app, thief.id) is None

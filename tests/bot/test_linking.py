"""/link joins a Telegram chat to a web account; /web sends a one-time login link."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from diaspora.accounts.models import TelegramToken, User
from diaspora.extensions import db
from tests.bot.conftest import chat_user
from tests.conftest import login


def _code(text: str) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text).group(1)


def test_link_code_joins_chat_to_web_account(app, bot, registered_chat, make_user, client):
    chat = registered_chat(locale="en", return_plan="later", interest_sectors=["it"])
    web_user = make_user(email="aida@example.org", country=None)
    web_user_id = web_user.id
    reply = chat.command("link")[0]
    code = _code(reply["plain_text"])
    assert "<code>" in reply["text"] and "http://mekendesh.test/account" in reply["plain_text"]
    with app.app_context():
        stored = db.session.scalar(sa.select(TelegramToken.token_hash))
        assert code.replace("-", "") not in stored  # only a hash is kept
        db.session.remove()

    login(client, web_user)
    page = client.post("/account/telegram/link", data={"code": code.lower()}, follow_redirects=True)
    assert page.status_code == 200
    linked = chat_user(app, chat.id)
    assert linked.id == web_user_id and linked.email == "aida@example.org"
    # the answers given in the bot filled the blanks of the web profile
    assert linked.profile.country_code == "RU" and linked.profile.city == "Москва"
    assert linked.profile.return_plan == "later" and linked.profile.interest_sectors == ["it"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # bot-only row gone
        db.session.remove()
    # the bot now speaks for the web account
    assert "Москва" in chat.command("profile")[0]["plain_text"]

    # single use
    again = client.post("/account/telegram/link", data={"code": code}, follow_redirects=True)
    assert b"expired" in again.data


def test_link_code_expires_and_wrong_codes_fail(app, bot, registered_chat, make_user, client):
    chat = registered_chat()
    code = _code(chat.command("link")[0]["plain_text"])
    with app.app_context():
        token = db.session.scalar(sa.select(TelegramToken))
        token.expires_at = token.expires_at - timedelta(minutes=11)
        db.session.commit()
        db.session.remove()
    web_user = make_user()
    login(client, web_user)
    for attempt in (code, "ABCD-2345", "short", ""):
        page = client.post("/account/telegram/link", data={"code": attempt}, follow_redirects=True)
        assert b"Send /link" in page.data or b"8-character" in page.data
    assert chat_user(app, chat.id).email is None


def test_web_sends_one_time_login_link(app, bot, registered_chat, client):
    chat = registered_chat()
    reply = chat.command("web")[0]
    url = re.search(r"http://mekendesh\.test(/login/telegram/[\w-]+)", reply["plain_text"]).group(1)
    assert f'href="http://mekendesh.test{url}"' in reply["text"]
    assert reply["params"]["link_preview_options"]["is_disabled"] is True
    # looking at the page does not use the link; pressing the button logs in
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    account = client.get("/account")
    assert account.status_code == 200
    with client.session_transaction() as session:
        assert session["_user_id"] == str(chat_user(app, chat.id).id)
    # the link works once
    other = app.test_client()
    assert other.post(url).status_code == 410
    assert other.get(url).status_code == 410


def test_web_link_expires(app, bot, registered_chat, client):
    chat = registered_chat()
    url = re.search(r"(/login/telegram/[\w-]+)", chat.command("web")[0]["plain_text"]).group(1)
    with app.app_context():
        token = db.session.scalar(sa.select(TelegramToken))
        token.expires_at = token.expires_at - timedelta(minutes=10, seconds=1)
        db.session.commit()
        db.session.remove()
    assert client.post(url).status_code == 410


def test_web_for_unregistered_chat(bot, new_chat):
    chat = new_chat()
    assert "/start" in chat.command("web")[0]["plain_text"]


def test_service_refusals_are_answered_in_the_members_language(bot, new_chat):
    """call_service: a DomainError from the service becomes one message in the chat's language."""
    expected = {
        "ru": "Вы ещё не зарегистрированы. Чтобы начать, отправьте /start.",
        "ky": "Сиз азырынча катталган эмессиз. Баштоо үчүн /start жөнөтүңүз.",
        "en": "You are not registered yet. Send /start to begin.",
    }
    for code, text in expected.items():
        chat = new_chat(language_code=code)
        assert [m["plain_text"] for m in chat.command("web")] == [text]
        assert [m["plain_text"] for m in chat.command("stop")] == [text]

"""/link joins a Telegram chat to a web account; /web sends a one-time login link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import Profile, TelegramToken, User
from diaspora.delivery.models import OutboxMessage
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation.models import AuditEntry
from tests.bot.conftest import Chat, _ids, chat_user
from tests.conftest import login


def _code(text: str) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text).group(1)


def _join(client, code: str):
    """Both steps on the web: enter the code, then confirm on the page that names the chat."""
    preview = client.post("/account/telegram/link", data={"code": code})
    assert preview.status_code == 200, preview.headers.get("Location")
    confirmed = client.post("/account/telegram/link/confirm", data={"code": code},
                            follow_redirects=True)
    return preview, confirmed


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def _chat(tg, app, *, username: str | None, first_name: str = "Aibek",
          last_name: str | None = None, **user_fields) -> Chat:
    """A chat whose Telegram account has a name and @username, registered in the bot."""
    chat = Chat(tg, tg.make_user(next(_ids), first_name=first_name, last_name=last_name,
                                 username=username, language_code="en"))
    with app.app_context():
        user = User(telegram_chat_id=chat.id, locale="en", privacy_version="2026-11",
                    privacy_accepted_at=utcnow(), **user_fields)
        user.profile = Profile(country_code="KZ")
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return chat


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
    _, page = _join(client, code.lower())
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


def test_web_shows_whose_chat_and_links_only_once_confirmed(app, bot, tg, make_user, client):
    chat = _chat(tg, app, first_name="Aibek", last_name="Osmonov", username="aibek_kg")
    code = _code(chat.command("link")[0]["plain_text"])
    web_user = make_user(email="aida@example.org")
    login(client, web_user)

    preview = client.post("/account/telegram/link?lang=en", data={"code": code})
    page = preview.get_data(as_text=True)
    assert "Aibek Osmonov" in page and "@aibek_kg" in page
    assert 'action="/account/telegram/link/confirm"' in page
    assert chat_user(app, chat.id).email is None  # looking joined nothing
    assert _outbox(app) == []

    client.post("/account/telegram/link/confirm", data={"code": code})
    assert chat_user(app, chat.id).email == "aida@example.org"
    # the chat is told it was joined, through the outbox, in its member's language
    (told,) = _outbox(app)
    assert told.user_id == web_user.id and told.chat_id is None and told.template == "text"
    # the address masked: whoever made the chat must not learn the account's whole e-mail
    assert "a•••@example.org" in told.params["text"]["en"]
    assert "aida@example.org" not in told.params["text"]["en"]
    assert "joined" in told.params["text"]["en"]
    assert told.params["text"]["ru"] != told.params["text"]["en"]


def test_a_chat_the_link_moves_away_from_is_told(app, bot, tg, make_user, client):
    old_chat = Chat(tg, tg.make_user(next(_ids), username="old_phone"))
    web_user = make_user(email="aida@example.org", telegram_chat_id=old_chat.id)
    new_chat = _chat(tg, app, username="new_phone")
    code = _code(new_chat.command("link")[0]["plain_text"])
    login(client, web_user)
    preview, _ = _join(client, code)
    assert "another Telegram chat" in preview.get_data(as_text=True)
    assert chat_user(app, new_chat.id).id == web_user.id
    assert chat_user(app, old_chat.id) is None
    joined, moved = _outbox(app)
    assert joined.chat_id is None and moved.chat_id == old_chat.id
    assert "no longer joined" in moved.params["text"]["en"]

    # the sender delivers the warning to the old chat, not to the account's new one
    from diaspora.delivery.worker import claim

    with app.app_context():
        jobs = {job.id: job for job in claim("test", 10, 60)}
        db.session.remove()
    assert jobs[moved.id].chat_id == old_chat.id and jobs[moved.id].user_id is None
    assert jobs[joined.id].chat_id == new_chat.id


@pytest.mark.parametrize("kind", ["authority", "with_password", "moderator", "switched_off"])
def test_only_a_bot_only_account_is_merged(app, bot, tg, make_user, client, here, kind):
    """A chat whose account has its own login, a role or places is never folded into another
    account: its places stay, the chat stays, and nothing in the audit log changes."""
    if kind == "authority":  # no login of its own, but verified places
        owner = make_user("authority", places=(here,))
        owner.email = owner.password_hash = None
    elif kind == "moderator":
        owner = make_user("moderator")
    elif kind == "switched_off":  # a bot-only account, but switched off
        owner = make_user("member")
        owner.email = owner.password_hash = None
        owner.active = False
    else:
        owner = make_user("member")
    owner_id = owner.id
    chat = Chat(tg, tg.make_user(next(_ids), first_name="Nurlan", username="nurlan"))
    owner.telegram_chat_id = chat.id
    db.session.add(AuditEntry(actor_id=owner_id, action="news.publish", object_type="newspost",
                              object_id=1))
    db.session.commit()
    code = _code(chat.command("link")[0]["plain_text"])
    web_user = make_user(email="aida@example.org")
    login(client, web_user)

    for step in ("/account/telegram/link", "/account/telegram/link/confirm"):
        page = client.post(f"{step}?lang=en", data={"code": code}, follow_redirects=True)
        assert "belongs to another Mekendesh account" in page.get_data(as_text=True)
    assert chat_user(app, chat.id).id == owner_id
    with app.app_context():
        kept = db.session.get(User, owner_id)
        assert kept.deleted_at is None and kept.role == owner.role
        assert [p.place_id for p in kept.authority_places] == (
            [here.id] if kind == "authority" else [])
        assert db.session.scalar(sa.select(AuditEntry.actor_id)) == owner_id
        assert db.session.get(User, web_user.id).telegram_chat_id is None
        db.session.remove()
    assert _outbox(app) == []


def test_merging_a_bot_only_account_leaves_its_audit_rows_alone(
    app, bot, registered_chat, make_user, client
):
    chat = registered_chat()
    bot_only = chat_user(app, chat.id)
    with app.app_context():
        db.session.add(AuditEntry(actor_id=bot_only.id, action="report.create",
                                  object_type="newspost", object_id=1))
        db.session.commit()
        db.session.remove()
    code = _code(chat.command("link")[0]["plain_text"])
    web_user = make_user(email="aida@example.org")
    login(client, web_user)
    _join(client, code)
    assert chat_user(app, chat.id).id == web_user.id
    with app.app_context():
        old_row = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "report.create"))
        assert old_row.actor_id == bot_only.id  # not rewritten to the web account
        gone = db.session.get(User, bot_only.id)
        assert gone.deleted_at is not None and gone.telegram_chat_id is None
        db.session.remove()


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
        for step in ("/account/telegram/link", "/account/telegram/link/confirm"):
            page = client.post(step, data={"code": attempt}, follow_redirects=True)
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
        assert session["_user_id"] == chat_user(app, chat.id).get_id()
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

"""Sanctions in Telegram, through the real bot against the Bot API double: a blocked member's
every message, command and button gets one answer (blocked, until when, why, how to appeal)
and nothing else; a muted member asking to propose a project is told until when."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import sanctions
from diaspora.moderation.models import Sanction
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import chat_user

# The bot's fixtures, here without a conftest of this folder's own.
bot, mode, new_chat = bot_fixtures.bot, bot_fixtures.mode, bot_fixtures.new_chat
registered_chat, tg = bot_fixtures.registered_chat, bot_fixtures.tg


def _sanction(app, chat_id: int, kind: str, reason: str, days: float | None) -> int:
    with app.app_context():
        moderator = User(email=f"mod{chat_id}@example.org", role="moderator",
                         privacy_version="2026-11", privacy_accepted_at=utcnow())
        db.session.add(moderator)
        db.session.commit()
        member = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat_id))
        row = sanctions.issue(moderator, member, kind, reason,
                              utcnow() + timedelta(days=days) if days else None)
        row_id = row.id
        db.session.remove()
    return row_id


def _lift(app, row_id: int) -> None:
    with app.app_context():
        row = db.session.get(Sanction, row_id)
        sanctions.lift(row.issued_by, row, "Appeal accepted")
        db.session.remove()


def test_a_blocked_member_gets_one_answer_to_anything_until_the_block_is_lifted(
        app, bot, registered_chat, monkeypatch):
    monkeypatch.setitem(app.config, "APPEAL_CONTACT", "@mekendesh_appeals")
    chat = registered_chat("en")
    menu = chat.command("menu")[0]
    row_id = _sanction(app, chat.id, "block", "Selling fake visas", 7)

    for attempt in (lambda: chat.send("Hello"), lambda: chat.command("projects"),
                    lambda: chat.command("start"),
                    lambda: chat.press_data(chat.buttons(menu)[0][1], message=menu)):
        replies = attempt()
        assert len(replies) == 1
        text = replies[0]["plain_text"]
        assert text.startswith("Your account is blocked until ")
        assert "Selling fake visas" in text and "@mekendesh_appeals" in text
        assert not chat.buttons(replies[0])

    _lift(app, row_id)
    assert "blocked" not in chat.command("menu")[0]["plain_text"]


def test_a_blocked_member_is_told_in_kyrgyz(app, bot, registered_chat):
    chat = registered_chat("ky")
    _sanction(app, chat.id, "block", "Спам", None)
    [reply] = chat.send("Салам")
    assert "Спам" in reply["plain_text"]
    assert "blocked" not in reply["plain_text"] and "Why" not in reply["plain_text"]


def test_a_muted_member_is_refused_a_proposal_with_the_end_of_the_mute(app, bot,
                                                                     registered_chat):
    chat = registered_chat("en")
    row_id = _sanction(app, chat.id, "mute", "Insults", 3)
    [reply] = chat.command("propose")
    assert "you can read but not post until" in reply["plain_text"]
    # Reading still works.
    assert "blocked" not in chat.command("projects")[0]["plain_text"]

    _lift(app, row_id)
    first = chat.command("propose")[0]
    assert "not post" not in first["plain_text"]
    assert chat_user(app, chat.id).muted_until is None

"""A changed privacy notice is asked for again on the member's next message, through the real
bot against the Bot API double."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.consent import PrivacyAcceptance
from diaspora.extensions import db
from tests.bot.conftest import chat_user

NEW = "2027-01"


def _history(app, chat_id: int) -> list[tuple[str, str]]:
    user = chat_user(app, chat_id)
    with app.app_context():
        rows = db.session.execute(
            sa.select(PrivacyAcceptance.version, PrivacyAcceptance.channel)
            .where(PrivacyAcceptance.user_id == user.id).order_by(PrivacyAcceptance.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_the_next_message_brings_the_notice_then_is_answered(app, bot, registered_chat,
                                                             monkeypatch):
    chat = registered_chat("en")
    assert "Country of residence" in chat.command("profile")[0]["plain_text"]
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", NEW)

    asked = chat.command("profile")
    assert len(asked) == 1
    assert "privacy notice has changed (version 2027-01)" in asked[0]["plain_text"]
    assert [label for label, _ in chat.buttons(asked[0])] == ["I agree", "No, thanks"]
    assert chat_user(app, chat.id).privacy_version == "2026-11"

    replies = chat.press("I agree", n=3)
    texts = [m["plain_text"] for m in replies]
    assert any("Now to your message" in text for text in texts)
    # What they asked for before the notice came is answered now.
    assert "Country of residence" in texts[-1]
    user = chat_user(app, chat.id)
    assert user.privacy_version == NEW
    assert _history(app, chat.id) == [(NEW, "telegram")]
    # Asked once: the next message is simply answered.
    assert "Country of residence" in chat.command("profile")[0]["plain_text"]


def test_a_member_who_declines_is_asked_again_and_may_still_erase(app, bot, registered_chat,
                                                                  monkeypatch):
    chat = registered_chat("ru")
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", NEW)
    asked = chat.send("Привет")
    assert "2027-01" in asked[0]["plain_text"]
    assert "политика конфиденциальности изменилась" in asked[0]["plain_text"]
    assert [label for label, _ in chat.buttons(asked[0])] == ["Принимаю", "Нет, спасибо"]
    replies = chat.press_data("pv:no", n=2)
    assert "/delete" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).privacy_version == "2026-11"
    assert _history(app, chat.id) == []
    # Nothing else is handled until they agree...
    again = chat.command("menu")
    assert "2027-01" in again[0]["plain_text"]
    # ...except erasing their data.
    erase = chat.command("delete")
    assert "2027-01" not in erase[0]["plain_text"]
    assert len(chat.buttons(erase[0])) == 2


def test_an_old_button_pressed_under_the_old_notice_leads_to_the_menu(app, bot,
                                                                      registered_chat,
                                                                      monkeypatch):
    chat = registered_chat("en")
    menu = chat.command("menu")
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", NEW)
    asked = chat.press_data(chat.buttons(menu[-1])[0][1], message=menu[-1])
    assert "version 2027-01" in asked[-1]["plain_text"]
    replies = chat.press("I agree", n=2)
    assert "Here is the main menu" in replies[-1]["plain_text"]


def test_a_newcomer_is_asked_once_by_the_registration(app, bot, new_chat):
    chat = new_chat(language_code="en")
    chat.command("start")
    chat.press("English", n=2)
    replies = chat.press_data("consent:yes", n=2)
    assert "changed" not in " ".join(m["plain_text"] for m in replies)
    assert _history(app, chat.id) == [("2026-11", "telegram")]

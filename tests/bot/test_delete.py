"""/delete erases a member's personal data after a confirmation."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.models import BotState, Profile, User
from diaspora.extensions import db
from tests.bot.conftest import chat_user


def test_delete_after_confirmation(app, bot, new_chat):
    chat = new_chat(language_code="en")
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:TR", n=2)
    chat.send("Istanbul", n=2)
    user_id = chat_user(app, chat.id).id

    chat.command("delete")
    replies = chat.press("No, keep it", n=2)
    assert "Nothing was erased" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id) is not None

    chat.command("delete")
    replies = chat.press("Yes, erase everything", n=2)
    assert "erased" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id) is None
    # whatever the bot still holds in memory is written now: the erasure must survive it
    bot.call(bot.application.update_persistence())
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.deleted_at is not None and not user.active
        assert user.telegram_chat_id is None and user.locale is None and user.email is None
        assert user.privacy_accepted_at is None
        assert db.session.get(Profile, user_id) is None
        keys = db.session.scalars(sa.select(BotState.key)).all()
        assert not any(str(chat.id) == k for k in keys)
        db.session.remove()
    assert "/start" in chat.command("profile")[0]["plain_text"]
    # they can come back as a new member
    replies = chat.command("start")
    assert [b[0] for b in chat.buttons(replies[0])] == ["Кыргызча", "Русский", "English"]


def test_decline_privacy_stores_nothing(app, bot, new_chat):
    chat = new_chat(language_code="ru")
    chat.command("start")
    chat.press("Русский", n=2)
    chat.press_data("consent:no", n=2)
    assert chat_user(app, chat.id) is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
        db.session.remove()


def test_erasing_on_the_web_while_the_bot_runs(app, bot, new_chat):
    """The member erases their data on the website in the middle of the bot's questions: the
    next answer is not saved to anyone, the chat is told to start again, and /start treats it
    as a newcomer."""
    from diaspora.accounts import service

    chat = new_chat(language_code="en")
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:TR", n=2)  # the bot now waits for the city
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat.id))
        user_id = user.id
        service.delete_personal_data(user, user)
        db.session.commit()
        db.session.remove()
    replies = chat.send("Istanbul")
    assert "Send /start" in replies[-1]["plain_text"]
    with app.app_context():
        assert db.session.get(Profile, user_id) is None
        assert db.session.scalar(sa.select(sa.func.count(User.id))
                                 .where(User.telegram_chat_id == chat.id)) == 0
        db.session.remove()
    replies = chat.command("start")
    assert [b[0] for b in chat.buttons(replies[0])] == ["Кыргызча", "Русский", "English"]

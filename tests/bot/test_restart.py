"""Stop the bot in the middle of a registration, start a new one: the next answer continues."""

from __future__ import annotations

import re

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.places.models import Place
from tests.bot.conftest import BotRunner, chat_user


def test_restart_mid_registration_continues(app, tg, bot, new_chat):
    chat = new_chat(language_code="ru")
    chat.command("start")
    chat.press("Русский", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:KZ", n=2)
    city_question = chat.messages()[-1]
    assert city_question["plain_text"].startswith("2/6 · ")  # the city question
    assert [d for _, d in chat.buttons(city_question)] == ["cy!skip"]

    bot.stop()  # the process goes away between two answers
    again = BotRunner(app, tg, "polling").start()
    try:
        replies = chat.send("Алматы", n=2)
        # the typed text was taken as the city, and the next question is the home region
        assert replies[0]["plain_text"] == "✅ Алматы"
        assert replies[1]["plain_text"].startswith("3/6 · ")
        offered = {int(d[3:]) for _, d in chat.buttons(replies[1]) if re.fullmatch(r"pl:\d+", d)}
        with app.app_context():
            regions = set(db.session.scalars(sa.select(Place.id).where(Place.parent_id.is_(None))))
            db.session.remove()
        assert offered and offered <= regions
        assert chat_user(app, chat.id).profile.city == "Алматы"
        # and the language chosen before the restart is still the chat's language
        assert chat_user(app, chat.id).locale == "ru"
    finally:
        again.stop()


def test_state_saved_by_the_previous_version_resumes(app, tg, new_chat):
    """A member who was at the city question when the bot was upgraded (the old flat
    user_data keys) answers it after the upgrade as if nothing happened."""
    from diaspora.accounts.models import BotState, Profile, User
    from diaspora.models import utcnow

    chat = new_chat(language_code="ru")
    with app.app_context():
        user = User(telegram_chat_id=chat.id, locale="ru", privacy_version="2026-11",
                    privacy_accepted_at=utcnow())
        user.profile = Profile(country_code="KZ")
        db.session.add(user)
        old_user_data = {"lang": "ru", "mode": "register", "step": "city"}
        db.session.add_all([
            BotState(namespace="user_data", key=str(chat.id), data=old_user_data,
                     updated_at=utcnow()),
            BotState(namespace="conversation:registration", key=f"[{chat.id},{chat.id}]",
                     data="city", updated_at=utcnow()),
        ])
        db.session.commit()
        db.session.remove()
    runner = BotRunner(app, tg, "polling").start()
    try:
        replies = chat.send("Алматы", n=2)
        assert replies[0]["plain_text"] == "✅ Алматы"
        assert replies[1]["plain_text"].startswith("3/6 · ")
        assert chat_user(app, chat.id).profile.city == "Алматы"
    finally:
        runner.stop()

"""Stop the bot in the middle of a registration, start a new one: the next answer continues."""

from __future__ import annotations

from tests.bot.conftest import BotRunner, chat_user


def test_restart_mid_registration_continues(app, tg, bot, new_chat):
    chat = new_chat(language_code="ru")
    chat.command("start")
    chat.press("Русский", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:KZ", n=2)
    assert "city" in chat.texts()[-1].lower() or chat.buttons(chat.messages()[-1])

    bot.stop()  # the process goes away between two answers
    again = BotRunner(app, tg, "polling").start()
    try:
        replies = chat.send("Алматы", n=2)
        assert any(any(d.startswith("pl:") for _, d in chat.buttons(m)) for m in replies), [
            m["plain_text"] for m in replies
        ]
        assert chat_user(app, chat.id).profile.city == "Алматы"
        # and the language chosen before the restart is still the chat's language
        assert chat_user(app, chat.id).locale == "ru"
    finally:
        again.stop()

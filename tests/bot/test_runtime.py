"""The process: no token, flood control, Telegram telling us a member blocked the bot."""

from __future__ import annotations

import time

from bot.__main__ import main
from tests.bot.conftest import chat_user


def test_without_token_says_how_to_start(monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert main([]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_reply_waits_out_a_short_flood_control(bot, tg, registered_chat):
    chat = registered_chat()
    tg.rate_limit(retry_after=1, times=1, methods=["sendMessage"], chat_id=chat.id)
    started = time.monotonic()
    replies = chat.command("help")
    assert "Mekendesh" in replies[0]["plain_text"]
    assert time.monotonic() - started >= 0.9
    assert any(c.status == 429 for c in tg.calls)


def test_blocking_the_bot_is_recorded_and_cleared(app, bot, tg, registered_chat):
    chat = registered_chat()
    tg.block(chat.id, notify=True)
    deadline = time.monotonic() + 5
    while chat_user(app, chat.id).telegram_blocked_at is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    tg.unblock(chat.id)
    assert "Welcome back" in chat.command("start")[-1]["plain_text"]
    assert chat_user(app, chat.id).telegram_blocked_at is None


def test_commands_in_the_middle_of_registration_keep_the_question(bot, new_chat, app):
    chat = new_chat()
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:KZ", n=2)
    assert "/delete" in chat.command("help")[0]["plain_text"]
    chat.send("Астана", n=2)  # still the city question
    assert chat_user(app, chat.id).profile.city == "Астана"


def test_one_slow_chat_does_not_hold_the_others(bot, tg, registered_chat):
    slow, quick = registered_chat(), registered_chat()
    tg.rate_limit(retry_after=2, times=1, methods=["sendMessage"], chat_id=slow.id)
    slow._inject(lambda: tg.send_command(slow.user, "help"))
    time.sleep(0.3)  # the slow chat's answer is now waiting out Telegram's flood control
    started = time.monotonic()
    assert quick.command("help")
    assert time.monotonic() - started < 1.5
    assert slow.settle(1)  # and the slow one is answered too


def test_catalog_texts_read_as_flask_babel_renders_them(app):
    """The bot looks catalog strings up directly (bot.runtime.render); what a member reads
    must be what Flask-Babel gives in that language: plain, with values, with a translated
    value inside, and a string the catalog lacks."""
    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    from bot.runtime import render

    texts = [
        _l("Main menu"),
        _l("Site: %(url)s", url="http://x.test/a&b"),
        _l("Why: %(reason)s", reason=_l("Main menu")),
        _l("a sentence no catalog has"),
    ]
    seen = set()
    for locale in ("ky", "ru", "en"):
        for text in texts:
            with app.app_context(), force_locale(locale):
                expected = str(text)
            assert render(app, locale, text) == expected
            seen.add(expected)
    assert {"Башкы меню", "Главное меню", "Main menu"} <= seen

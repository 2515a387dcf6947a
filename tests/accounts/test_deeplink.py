"""'Open in Telegram' asks the Bot API for the bot's username once, and an unreachable Bot
API does not make every page wait."""

from __future__ import annotations

from diaspora.accounts import deeplink


def test_the_username_is_asked_once_and_a_failure_is_not_retried_on_every_page(
        app, monkeypatch) -> None:
    asked: list[int] = []
    answers = iter([None, "mekendesh_bot"])

    def ask(_app):
        asked.append(1)
        return next(answers)

    monkeypatch.setattr(deeplink, "_ask_username", ask)
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_USERNAME", "")
    app.extensions.pop(deeplink._USERNAME_KEY, None)
    with app.test_request_context():
        assert deeplink.open_in_telegram() is None  # the Bot API did not answer
        assert deeplink.open_in_telegram() is None  # and is not asked again at once
        assert len(asked) == 1
        monkeypatch.setattr(deeplink, "ASK_AGAIN_AFTER", -1.0)
        assert deeplink.open_in_telegram("j" + "a" * 10) == (
            "https://t.me/mekendesh_bot?start=jaaaaaaaaaa")
        assert deeplink.open_in_telegram() == "https://t.me/mekendesh_bot"
        assert len(asked) == 2  # a known username is not asked again
    app.extensions.pop(deeplink._USERNAME_KEY, None)

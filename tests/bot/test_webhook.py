"""Webhook mode: updates arrive by HTTPS POST with the secret header; others are refused."""

from __future__ import annotations

import pytest

from tests.bot.conftest import WEBHOOK_SECRET, chat_user


@pytest.mark.parametrize("mode", ["webhook"], indirect=True)
def test_webhook_registration_and_secret(app, bot, tg, new_chat):
    assert tg.webhook["url"] == bot.webhook_url
    assert tg.webhook["secret_token"] == WEBHOOK_SECRET
    chat = new_chat(language_code="en")
    replies = chat.command("start")
    assert [b[0] for b in chat.buttons(replies[0])] == ["Кыргызча", "Русский", "English"]
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:KR", n=2)
    assert chat_user(app, chat.id).profile.country_code == "KR"
    deliveries = tg.wait_for_webhook_deliveries(4)
    assert all(d.secret_sent and d.status == 200 for d in deliveries)

    forged = {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat.id, "type": "private"},
            "from": {"id": chat.id, "is_bot": False, "first_name": "X"},
            "text": "/delete",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        }
    }
    before = len(tg.calls)
    assert tg.post_raw_webhook(bot.webhook_url, forged)[0] == 403
    assert tg.post_raw_webhook(bot.webhook_url, forged, secret="wrong")[0] == 403
    assert not [c for c in tg.calls[before:] if c.method == "sendMessage"]

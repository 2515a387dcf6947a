"""bot/replybot.py: a reply sent inside `result_unused()` is the same request, without the
Message built from the answer; outside it, and for errors, nothing changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.http import AiohttpRequest
from bot.replybot import ReplyBot, result_unused
from tests.telegram.bot_api_double import BotApiDouble

CHAT = 4343
MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Кыргызча ң ө ү", callback_data="lang:ky")]])


@pytest.fixture
def tg() -> Iterator[BotApiDouble]:
    with BotApiDouble() as double:
        yield double


def with_bot(tg: BotApiDouble, action):  # noqa: ANN001, ANN201
    async def main():  # noqa: ANN202
        request = AiohttpRequest(2)
        bot = ReplyBot(tg.token, base_url=tg.base_url, request=request)
        await request.initialize()
        try:
            return await action(bot)
        finally:
            await request.shutdown()

    return asyncio.run(main())


def test_an_unread_reply_is_sent_the_same_and_gives_true(tg):
    async def action(bot):  # noqa: ANN001, ANN202
        with result_unused():
            quiet = await bot.send_message(CHAT, "Салам <b>мекендеш</b>", parse_mode="HTML",
                                           reply_markup=MARKUP)
        read = await bot.send_message(CHAT, "Салам <b>мекендеш</b>", parse_mode="HTML",
                                      reply_markup=MARKUP)
        return quiet, read

    quiet, read = with_bot(tg, action)
    assert quiet is True
    assert isinstance(read, Message) and read.message_id > 0
    first, second = tg.sent_messages(CHAT)
    for key in ("text", "plain_text", "parse_mode", "reply_markup"):
        assert first[key] == second[key], key
    assert first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "lang:ky"


def test_an_unread_edit_gives_true_and_errors_still_raise(tg):
    async def action(bot):  # noqa: ANN001, ANN202
        sent = await bot.send_message(CHAT, "Суроо")
        with result_unused():
            edited = await bot.edit_message_text("Жооп", chat_id=CHAT,
                                                 message_id=sent.message_id)
            with pytest.raises(BadRequest):
                await bot.edit_message_text("Жооп", chat_id=CHAT, message_id=999_999)
        return edited

    assert with_bot(tg, action) is True
    assert tg.sent_messages(CHAT)[-1]["plain_text"] == "Жооп"

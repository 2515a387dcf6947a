"""Helpers for the delivery tests: the Bot API double, a sender run to completion."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from telegram import Bot

from bot.http import AiohttpRequest
from bot.sender import Sender, run_sender
from tests.telegram.bot_api_double import BotApiDouble


@pytest.fixture
def tg() -> Iterator[BotApiDouble]:
    with BotApiDouble() as double:
        yield double


def make_test_bot(tg: BotApiDouble, pool: int = 32) -> Bot:
    request = AiohttpRequest(pool, read_timeout=5, write_timeout=5, connect_timeout=5,
                             pool_timeout=5)
    return Bot(tg.token, base_url=tg.base_url, request=request)


FAST = {"rate": 500.0, "retry_base": 0.05, "lease_seconds": 5.0, "idle_interval": 0.05}


async def _run(app: Flask, tg: BotApiDouble, **options: Any) -> Sender:
    bot = make_test_bot(tg)
    async with bot:
        return await run_sender(app, bot=bot, **options)


def send_all(app: Flask, tg: BotApiDouble, **options: Any) -> Sender:
    """Run a sender until the outbox is empty (or max_seconds), as the bot process would."""
    settings = {**FAST, "until_idle": True, "max_seconds": 20.0, **options}
    return asyncio.run(_run(app, tg, **settings))

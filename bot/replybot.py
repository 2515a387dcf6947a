"""The bot's `ExtBot`, which can skip building a `Message` from an answer nobody reads.

Every sendMessage or editMessageText returns the message Telegram stored, and
python-telegram-bot turns that JSON into a `telegram.Message` (some hundred attributes, each
set through a checked `__setattr__`): about a tenth of the bot's CPU for an update under load.
Almost every reply (`send`, `ack`, a question's page being edited) ignores it. Inside
`with result_unused():` such a call returns True instead; the request, its checks and its
errors (BadRequest, RetryAfter, Forbidden...) are exactly the same. Code that keeps a message
id for a later edit (the moderators' chat) does not use the block and gets its Message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from telegram.ext import ExtBot

# Set inside `result_unused()`; a context variable, so it holds for the awaiting task only
# (asyncio gives every task its own copy of the context).
_UNUSED: ContextVar[bool] = ContextVar("bot_result_unused", default=False)


@contextlib.contextmanager
def result_unused() -> Iterator[None]:
    """Message-returning calls awaited inside return True, not a `Message` (see above)."""
    token = _UNUSED.set(True)
    try:
        yield
    finally:
        _UNUSED.reset(token)


class ReplyBot(ExtBot):
    """ExtBot whose message answers are not de-jsoned inside `result_unused()`."""

    async def _post(self, endpoint: str, data: dict | None = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if _UNUSED.get() and isinstance(result, dict):
            # Bot._send_message returns True as is (as for an inline message's edit).
            return True
        return result

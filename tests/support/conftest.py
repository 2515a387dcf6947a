"""The support tests' fixtures: the bot's (the Bot API double, a running bot, chats) and a
request of a member for the place "here" (a district), ready to be answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.bot.conftest import bot, mode, new_chat, registered_chat, tg  # noqa: F401


@pytest.fixture
def ask(ctx: None) -> Callable[..., Any]:
    """`ask(member, place, **fields)`: a support request as the service makes it."""
    from diaspora.support import service as support

    def factory(member: Any, place: Any, **fields: Any) -> Any:
        draft = support.RequestDraft(**{
            "kind": "employment", "place_id": place.id,
            "description": "Мен Москвадан кайттым, иш издеп жатам.",
            "contact_channel": "phone", "contact_value": "+996 555 123 456",
            "language": "ky", **fields})
        return support.create_request(member, draft)

    return factory

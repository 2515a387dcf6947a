"""The bot's state in the database: a python-telegram-bot `BasePersistence` over `bot_state`.

Stored: conversation positions (so a restart in the middle of a registration continues at
the same question) and user_data (the chosen language and a few in-progress answers).
chat_data, bot_data and callback_data are not used by the bot and are not stored.

Writes from one persistence run are coalesced into one transaction (PTB hands us one
coroutine per changed key, all at once); they run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask
from telegram.ext import BasePersistence, PersistenceInput

from bot.runtime import run_in_app_context
from diaspora.accounts.models import BotState
from diaspora.extensions import db
from diaspora.models import utcnow

log = logging.getLogger(__name__)

USER_DATA = "user_data"
CONVERSATION = "conversation:"


def _conv_key(key: tuple) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class SQLPersistence(BasePersistence):
    def __init__(self, flask_app: Flask, *, update_interval: float = 2.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.flask_app = flask_app
        self._pending: dict[tuple[str, str], Any] = {}
        self._lock = asyncio.Lock()

    # -- reading (once, at start-up) ----------------------------------------------------------

    def _rows(self, namespace: str) -> list[tuple[str, Any]]:
        rows = db.session.execute(
            sa.select(BotState.key, BotState.data).where(BotState.namespace == namespace)
        )
        return [(key, data) for key, data in rows]

    async def _read(self, namespace: str) -> list[tuple[str, Any]]:
        return await asyncio.to_thread(run_in_app_context, self.flask_app, self._rows, namespace)

    async def get_user_data(self) -> dict[int, dict]:
        return {int(key): dict(data or {}) for key, data in await self._read(USER_DATA)}

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict:
        return {tuple(json.loads(key)): data for key, data in await self._read(CONVERSATION + name)}

    # -- writing ----------------------------------------------------------------------------

    def _write(self, batch: dict[tuple[str, str], Any]) -> None:
        keys = list(batch)
        for namespace in {ns for ns, _ in keys}:
            db.session.execute(
                sa.delete(BotState).where(
                    BotState.namespace == namespace,
                    BotState.key.in_([k for ns, k in keys if ns == namespace]),
                )
            )
        now = utcnow()
        rows = [
            {"namespace": ns, "key": key, "data": data, "updated_at": now}
            for (ns, key), data in batch.items()
            if data is not None
        ]
        if rows:
            db.session.execute(sa.insert(BotState), rows)
        db.session.commit()

    async def _queue(self, namespace: str, key: str, data: Any) -> None:
        # Not copied again: python-telegram-bot hands each run a deep copy of user_data of
        # its own (Application.update_persistence), and a conversation state is a string.
        self._pending[(namespace, key)] = data
        async with self._lock:
            if not self._pending:
                return  # an earlier call in this run already wrote it
            batch, self._pending = self._pending, {}
            await asyncio.to_thread(run_in_app_context, self.flask_app, self._write, batch)

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        await self._queue(CONVERSATION + name, _conv_key(key), new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._queue(USER_DATA, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._queue(USER_DATA, str(user_id), None)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        async with self._lock:
            if self._pending:
                batch, self._pending = self._pending, {}
                await asyncio.to_thread(run_in_app_context, self.flask_app, self._write, batch)

    def forget_chat(self, chat_id: int) -> None:
        """Erase everything stored about a chat now (after /delete), not at the next run:
        the rows, through the one service function the web's deletion uses too, and any
        write still waiting for the next flush."""
        from diaspora.accounts.service import erase_bot_state

        whole, prefix = str(chat_id), f"[{chat_id},"
        for pending in [k for k in self._pending if k[1] == whole or k[1].startswith(prefix)]:
            self._pending.pop(pending, None)

        def erase() -> None:
            erase_bot_state(chat_id)
            db.session.commit()

        run_in_app_context(self.flask_app, erase)

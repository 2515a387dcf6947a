"""The bot under test: the real Application, HTTP stack and database, against the Bot API
double on loopback, in polling or webhook mode, running in its own thread and event loop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from bot.application import build_application, start, stop
from tests.telegram.bot_api_double import BotApiDouble, TgUser

WEBHOOK_SECRET = "test-webhook-secret_42"
WAIT = 8.0
METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotRunner:
    """One Application in a background thread; stop() and start() again to 'restart'."""

    def __init__(self, flask_app: Flask, tg: BotApiDouble, mode: str = "polling") -> None:
        self.flask_app, self.tg, self.mode = flask_app, tg, mode
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.application: Any = None
        self.webhook_url: str | None = None

    def start(self) -> BotRunner:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name=f"bot-{self.mode}", daemon=True)
        self.thread.start()
        ready.wait()
        self.application = build_application(
            self.flask_app, token=self.tg.token, base_url=self.tg.url
        )
        kwargs: dict[str, Any] = {"poll_timeout": 1}
        if self.mode == "webhook":
            port = free_port()
            self.webhook_url = f"http://127.0.0.1:{port}/tg/hook"
            kwargs.update(
                webhook_url=self.webhook_url,
                listen="127.0.0.1",
                port=port,
                url_path="tg/hook",
                secret_token=WEBHOOK_SECRET,
            )
        self.call(start(self.application, **kwargs))
        return self

    def call(self, coro: Any, timeout: float = 20) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is None:
            return
        try:
            self.call(stop(self.application))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()
            self.loop = None


class Chat:
    """A person talking to the bot: send, press buttons by their label, read the replies."""

    def __init__(self, tg: BotApiDouble, user: TgUser) -> None:
        self.tg, self.user = tg, user
        self.mark = 0

    @property
    def id(self) -> int:
        return self.user.id

    def messages(self, since: int = 0) -> list[dict]:
        return self.tg.sent_messages(self.id, since=since, methods=METHODS)

    def _inject(self, push: Callable[[], Any]) -> None:
        self.mark = len(self.tg.calls)
        push()

    def wait(self, predicate: Callable[[list[dict]], bool], timeout: float = WAIT) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages(self.mark)
            if predicate(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"bot did not answer as expected; got {[m['plain_text'] for m in got]}"
                )
            time.sleep(0.01)

    def settle(self, n: int = 1, quiet: float = 0.15) -> list[dict]:
        """Wait for at least n messages, then until the bot stays quiet for `quiet` seconds."""
        got = self.wait(lambda ms: len(ms) >= n)
        while True:
            time.sleep(quiet)
            again = self.messages(self.mark)
            if len(again) == len(got):
                return got
            got = again

    def send(self, text: str, n: int = 1) -> list[dict]:
        self._inject(lambda: self.tg.send_text(self.user, text))
        return self.settle(n)

    def command(self, command: str, n: int = 1) -> list[dict]:
        self._inject(lambda: self.tg.send_command(self.user, command))
        return self.settle(n)

    def last_with_buttons(self) -> dict:
        for message in reversed(self.messages()):
            markup = message.get("reply_markup") or {}
            if markup.get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons")

    @staticmethod
    def buttons(message: dict) -> list[tuple[str, str]]:
        markup = message.get("reply_markup") or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def press(self, label: str, n: int = 1, message: dict | None = None) -> list[dict]:
        message = message or self.last_with_buttons()
        for text, data in self.buttons(message):
            if text == label or text == f"✓ {label}":
                return self.press_data(data, n, message)
        raise AssertionError(f"no button {label!r} in {self.buttons(message)}")

    def press_data(self, data: str, n: int = 1, message: dict | None = None) -> list[dict]:
        message = message or self.last_with_buttons()
        target = message["message"] or message
        self._inject(lambda: self.tg.press_button(self.user, target, data))
        return self.settle(n)

    def texts(self, since: int | None = None) -> list[str]:
        return [m["plain_text"] or "" for m in self.messages(self.mark if since is None else since)]


@pytest.fixture
def tg() -> Iterator[BotApiDouble]:
    with BotApiDouble(max_poll_timeout=1.0, webhook_retry_delay=0.05) as double:
        yield double


@pytest.fixture(params=["polling"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def bot(app: Flask, tg: BotApiDouble, mode: str) -> Iterator[BotRunner]:
    app.config["BOT_PERSISTENCE_INTERVAL"] = 0.5
    runner = BotRunner(app, tg, mode).start()
    yield runner
    runner.stop()


_ids = iter(range(700_000_001, 800_000_000))


@pytest.fixture
def new_chat(tg: BotApiDouble) -> Callable[..., Chat]:
    def factory(language_code: str | None = "en", first_name: str = "Aibek") -> Chat:
        return Chat(
            tg, tg.make_user(next(_ids), first_name=first_name, language_code=language_code)
        )

    return factory


@pytest.fixture
def registered_chat(app: Flask, new_chat: Callable[..., Chat]) -> Callable[..., Chat]:
    """A chat whose member registered earlier (straight in the database)."""
    import sqlalchemy as sa

    from diaspora.accounts.models import Profile, User
    from diaspora.extensions import db
    from diaspora.models import utcnow
    from diaspora.places.models import Place

    def factory(locale: str = "en", **profile: Any) -> Chat:
        chat = new_chat(language_code=locale)
        with app.app_context():
            home = db.session.scalar(sa.select(Place).where(Place.level == 2).order_by(Place.code))
            user = User(
                telegram_chat_id=chat.id,
                locale=locale,
                privacy_version="2026-11",
                privacy_accepted_at=utcnow(),
            )
            user.profile = Profile(
                **{"country_code": "RU", "city": "Москва", "home_place_id": home.id, **profile}
            )
            db.session.add(user)
            db.session.commit()
            db.session.remove()
        return chat

    return factory


def chat_user(app: Flask, chat_id: int) -> Any:
    """The account row of a chat (detached, with its profile loaded), or None."""
    import sqlalchemy as sa

    from diaspora.accounts.models import User
    from diaspora.extensions import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat_id))
        if user is not None:
            _ = user.profile
            db.session.expunge_all()
        db.session.remove()
        return user

"""The local Telegram of `make run`: the local Bot API on loopback, the bot (with its outbox
sender) as a child process talking to it, and the simulated people of the chat page.

Only for trying things out: refused in production and when a real bot token is set, and it
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from flask import Flask, current_app

from diaspora.accounts.deeplink import LOCAL_CHAT_KEY
from diaspora.devchat.local_bot_api import BotApiDouble, TgUser

EXTENSION_KEY = "mekendesh.local_telegram"
LOCAL_TOKEN = "7000000:LOCAL-mekendesh-bot-not-a-real-token"  # noqa: S105 - a stand-in
FIRST_USER_ID = 7_000_001
# Names for the simulated people, in the order the page adds them.
NAMES = ("Aibek", "Gulnara", "Nurlan", "Aizada", "Bakyt", "Cholpon", "Eldiyar", "Meerim")


class LocalTelegramRefused(RuntimeError):
    pass


@dataclass
class SimulatedUser:
    id: int
    first_name: str
    language_code: str

    def tg_user(self) -> TgUser:
        return TgUser(id=self.id, first_name=self.first_name,
                      language_code=self.language_code, username=None, last_name=None)


def refusal(app: Flask) -> str | None:
    """Why the local Telegram may not run here, or None."""
    if app.config.get("ENV_NAME") == "production":
        return "the local Bot API never runs in production (MEKENDESH_ENV=production)"
    if app.config.get("TELEGRAM_BOT_TOKEN"):
        return "a real TELEGRAM_BOT_TOKEN is set: the bot talks to Telegram (`make bot`)"
    return None


class LocalTelegram:
    """The local Bot API, the bot process, and the simulated users of the chat page."""

    def __init__(self, app: Flask, *, run_bot: bool = True) -> None:
        reason = refusal(app)
        if reason:
            raise LocalTelegramRefused(reason)
        self.app = app
        self.run_bot = run_bot
        # Lenient like Telegram: any chat the bot writes to exists (members from an earlier
        # run get their broadcasts), and the page's people write whatever they like.
        self.api = BotApiDouble(token=LOCAL_TOKEN, host="127.0.0.1", port=0,
                                max_poll_timeout=10.0)
        self.users: dict[int, SimulatedUser] = {}
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    # the servers ---------------------------------------------------------------------------

    def start(self) -> LocalTelegram:
        self.api.start()
        self.app.extensions[EXTENSION_KEY] = self
        # The site asks the local Bot API (getMe) and sends through it, like the bot, and
        # its "Open in Telegram" buttons open the chat page.
        self.app.config["TELEGRAM_API_URL"] = self.api.url
        self.app.config[LOCAL_CHAT_KEY] = "/dev/chat"
        self.add_user("ky")
        if self.run_bot:
            self.start_bot()
        return self

    def bot_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"TELEGRAM_BOT_TOKEN": LOCAL_TOKEN, "TELEGRAM_API_URL": self.api.url,
                    "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"]})
        return env

    def start_bot(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bot"], env=self.bot_environment())

    def stop_bot(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def restart_bot(self) -> None:
        """Stop the bot and start it again: conversations resume where they were."""
        self.stop_bot()
        self.start_bot()

    @property
    def bot_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        self.stop_bot()
        self.api.stop()
        self.app.extensions.pop(EXTENSION_KEY, None)
        self.app.config.pop(LOCAL_CHAT_KEY, None)

    # the simulated people ------------------------------------------------------------------

    def add_user(self, language_code: str = "ky") -> SimulatedUser:
        with self._lock:
            number = len(self.users)
            user = SimulatedUser(FIRST_USER_ID + number, NAMES[number % len(NAMES)],
                                 language_code)
            self.users[user.id] = user
            return user

    def user(self, user_id: int) -> SimulatedUser | None:
        return self.users.get(user_id)


def active() -> LocalTelegram | None:
    """The local Telegram of this app, when `flask serve` started one."""
    return current_app.extensions.get(EXTENSION_KEY)

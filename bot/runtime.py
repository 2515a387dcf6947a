"""What every handler needs: the Flask app, database calls off the event loop, texts.

* `await db(context, fn, *args)` runs `fn` in a worker thread inside an application context
  (and removes the session afterwards), so one slow query never holds the other chats.
* `t(context, locale, lazy_text)` renders a catalog string in a given language;
  `h(...)` does the same and escapes it for HTML parse mode (user values included, as they
  are formatted into the lazy string before escaping).
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask
from flask_babel import force_locale, get_translations, gettext
from flask_babel.speaklater import LazyString
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from diaspora.extensions import db as _db
from diaspora.i18n import SUPPORTED_LOCALES, normalize_locale

T = TypeVar("T")
log = logging.getLogger("bot")
SLOW_DB_CALL = 1.0  # seconds; slower calls are logged
FLASK_APP_KEY = "flask_app"
DEFAULT_LOCALE = "ky"
MAX_MESSAGE = 4096


def run_in_app_context(app: Flask, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with app.app_context():
        try:
            return fn(*args, **kwargs)
        finally:
            _db.session.remove()


def flask_app(context: ContextTypes.DEFAULT_TYPE) -> Flask:
    return context.application.bot_data[FLASK_APP_KEY]


async def db(
    context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    queued = time.perf_counter()
    started: list[float] = []

    def timed() -> T:
        started.append(time.perf_counter())
        return run_in_app_context(flask_app(context), fn, *args, **kwargs)

    try:
        return await asyncio.to_thread(timed)
    finally:
        done = time.perf_counter()
        if done - queued > SLOW_DB_CALL:
            wait = (started[0] - queued) if started else done - queued
            log.warning(
                "slow database call %s: %.0f ms (%.0f ms waiting for a worker thread)",
                getattr(fn, "__name__", fn),
                (done - queued) * 1000,
                wait * 1000,
            )


# Plain values a catalog string may be formatted with; a lazy string among the values must be
# rendered in the locale too, so such a message takes the general path.
_PLAIN = (str, int, float, type(None))


def _translations(app: Flask, locale: str) -> Any:
    """The app's catalog for `locale`, looked up once (Flask-Babel keeps the loaded catalogs
    for the process too; the bot only skips finding them again for every text)."""
    cache = app.extensions.setdefault("bot_translations", {})
    found = cache.get(locale)
    if found is None:
        with app.app_context(), force_locale(locale):
            found = cache[locale] = get_translations()
    return found


def render(app: Flask, locale: str, message: Any) -> str:
    """A catalog string in `locale`. An answer shows a dozen of them (buttons, headings):
    `_l("...")` with plain values is looked up in the catalog directly, as Flask-Babel's
    gettext does, instead of pushing an app context and forcing the locale for each."""
    if (type(message) is LazyString and message._func is gettext  # noqa: SLF001
            and len(message._args) == 1  # noqa: SLF001
            and all(type(v) in _PLAIN for v in message._kwargs.values())):  # noqa: SLF001
        text = _translations(app, locale).ugettext(message._args[0])  # noqa: SLF001
        return text % message._kwargs if message._kwargs else text  # noqa: SLF001
    with app.app_context(), force_locale(locale):
        return str(message)


def t(context: ContextTypes.DEFAULT_TYPE, locale: str, message: Any) -> str:
    return render(flask_app(context), locale, message)


def h(context: ContextTypes.DEFAULT_TYPE, locale: str, message: Any) -> str:
    return html.escape(t(context, locale, message), quote=False)


def esc(text: Any) -> str:
    return html.escape(str(text), quote=False)


def guess_locale(update: Update | None) -> str:
    user = update.effective_user if update else None
    return normalize_locale(user.language_code if user else None) or DEFAULT_LOCALE


def lang(update: Update | None, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The chat's language: chosen in the bot, else Telegram's guess, else Kyrgyz."""
    chosen = context.user_data.get("lang") if context.user_data is not None else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return guess_locale(update)


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's 429 wait in seconds (an int in PTB 22, a timedelta in later versions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        delay = error.retry_after
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """Never over Telegram's limit (callers keep user text short; this is the last guard)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc_clip(text: Any, limit: int) -> str:
    """Someone's text escaped for Telegram's HTML in at most `limit` characters, cut at a
    character of the text, never inside an entity: "&" becomes five characters, so a text
    cut before escaping could still grow past a message's 4,096, and `clip` would then cut
    the HTML and Telegram refuse the whole message."""
    parts: list[str] = []
    size = 0
    for char in str(text or ""):
        escaped = esc(char)
        if size + len(escaped) > limit - 1:
            return "".join(parts) + "…"
        parts.append(escaped)
        size += len(escaped)
    return "".join(parts)

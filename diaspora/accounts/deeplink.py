""""Open in Telegram": the bot's t.me deep link (or, with the local Bot API of `make run`,
the /dev/chat page) and its QR code, for the home, registration and account pages.

The bot's username comes from TELEGRAM_BOT_USERNAME, or is asked of the Bot API once
(getMe) when a token is set. Without either there is no button: no link to a bot that is
not there.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
import urllib.request
from urllib.parse import quote

import segno
from flask import Flask, current_app
from markupsafe import Markup

log = logging.getLogger(__name__)
_USERNAME_KEY = "mekendesh.bot_username"
# The key `flask serve` sets when it runs the local Bot API: the chat page's address.
LOCAL_CHAT_KEY = "LOCAL_TELEGRAM_CHAT_URL"
_START = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ASK_AGAIN_AFTER = 300.0  # seconds


def _ask_username(app: Flask) -> str | None:
    token = app.config.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    url = f"{app.config['TELEGRAM_API_URL']}/bot{token}/getMe"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 - our setting
            return json.load(answer)["result"]["username"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("getMe failed, no 'Open in Telegram' button for now: %s", error)
        return None


def bot_username() -> str | None:
    app = current_app._get_current_object()
    configured = app.config.get("TELEGRAM_BOT_USERNAME")
    if configured:
        return configured.lstrip("@")
    username, asked_at = app.extensions.get(_USERNAME_KEY, (None, None))
    # A failed getMe is asked again only after a while: a page must not wait on Telegram
    # every time it is shown while the Bot API is unreachable.
    if username is None and (asked_at is None or time.monotonic() - asked_at > ASK_AGAIN_AFTER):
        username = _ask_username(app)
        app.extensions[_USERNAME_KEY] = (username, time.monotonic())
    return username


def open_in_telegram(start: str | None = None) -> str | None:
    """The link that opens the bot (with `start` as its /start parameter), or None."""
    if start is not None and not _START.match(start):
        raise ValueError("a start parameter is 1-64 characters of A-Z a-z 0-9 _ -")
    local = current_app.config.get(LOCAL_CHAT_KEY)
    if local:
        return f"{local}?start={quote(start)}" if start else local
    username = bot_username()
    if not username:
        return None
    link = f"https://t.me/{quote(username)}"
    return f"{link}?start={quote(start)}" if start else link


def qr_svg(data: str, title: str = "") -> Markup:
    """`data` as a QR code drawn server-side: inline SVG, no script, no third party."""
    code = segno.make(data, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
              title=title or None, svgclass="qr", lineclass=None, dark="#000", light="#fff")
    return Markup(out.getvalue().decode())  # noqa: S704 - segno escapes the title

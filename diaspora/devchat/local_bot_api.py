"""A local Telegram Bot API served on loopback: the tests' double and `make run`'s chat page.

The double is a small HTTP server (stdlib only) that speaks the Bot API wire
protocol, so a python-telegram-bot (PTB) application can be tested through its
real HTTP stack (``HTTPXRequest``)::

    with BotApiDouble() as tg:
        app = (
            Application.builder()
            .token(tg.token)
            .base_url(f"{tg.url}/bot")
            .base_file_url(f"{tg.url}/file/bot")
            .build()
        )
        ...
        user = tg.make_user(42)
        tg.send_text(user, "salam")
        replies = tg.wait_for_messages(user.id, 1)      # (use the *_async variant
                                                        #  inside the bot's loop)

Wire format (checked against PTB 22 ``telegram/request``):

* PTB posts ``application/x-www-form-urlencoded`` (Mekendesh's bot/http.py: JSON; or ``multipart/form-data``
  when uploading files).  String parameters are sent verbatim; every other value
  (ints, bools, lists, dicts such as ``reply_markup``, ``allowed_updates``,
  ``commands``, ``scope``) is sent as a JSON-encoded string.  The double decodes
  them back; ``application/json`` bodies and GET query strings work too.
* Success answers are ``{"ok": true, "result": ...}`` with HTTP 200.
* Errors are ``{"ok": false, "error_code": N, "description": "...",
  "parameters": {...}}`` with HTTP status N.  PTB maps them by *HTTP status*:
  400 -> BadRequest, 403 -> Forbidden, 401/404 -> InvalidToken, 409 -> Conflict,
  other -> NetworkError; ``parameters.retry_after`` -> RetryAfter (any status),
  ``parameters.migrate_to_chat_id`` -> ChatMigrated.

Everything is thread safe (one re-entrant lock + Condition).  Nothing here
depends on project code.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import email.parser
import email.policy
import http.server
import itertools
import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

__all__ = [
    "ApiError",
    "BotApiDouble",
    "EntityParseError",
    "SentCall",
    "TgUser",
    "WebhookDelivery",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

_LOG = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

# Update types delivered when allowed_updates is not specified / empty.
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# "send calls": methods that count towards rate_limit()/fail_server()/latency
# and the send counters by default (lower-case).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "sendphoto",
        "senddocument",
        "sendsticker",
        "sendvoice",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendlocation",
    }
)
MESSAGE_METHODS = ("sendMessage", "editMessageText")

# Parameters that are always strings on the wire (never JSON-decoded).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "action",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "question",
        "explanation",
        "address",
        "first_name",
        "last_name",
        "vcard",
        "phone_number",
        "foursquare_id",
        "foursquare_type",
        "google_place_id",
        "google_place_type",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "photo",
        "document",
        "sticker",
        "voice",
        "audio",
        "video",
        "animation",
        "video_note",
        "thumbnail",
        "file_id",
        "game_short_name",
        "invite_link",
        "custom_title",
        "sticker_set_name",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "performer",
        "file_name",
        "format",
    }
)
# Parameters whose value is a JSON document (decoded even in JSON bodies).
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "options",
        "reaction",
        "message_ids",
        "explanation_entities",
        "question_entities",
    }
)

_BOT_USER = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Mekendesh",
    "username": "mekendesh_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}

_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


# --------------------------------------------------------------------------- #
# small value types
# --------------------------------------------------------------------------- #


class ApiError(Exception):
    """Raise from a custom method handler to answer with a Bot API error."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(f"{error_code} {description}")
        self.error_code = int(error_code)
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


@dataclasses.dataclass
class SentCall:
    """One request the bot made to the double (every method, incl. failures)."""

    method: str  # canonical Bot API spelling, e.g. "sendMessage" (as sent if unknown)
    params: (
        dict  # JSON-decoded where applicable; uploads -> {"filename","content_type","size","data"}
    )
    time: float  # time.time() when the answer was produced
    status: int = 200  # HTTP status answered (200 or the error_code)
    result: Any = None  # "result" on success
    error: str | None = None  # "description" on failure
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclasses.dataclass(frozen=True)
class TgUser:
    """A Telegram user as injected by the tests."""

    id: int
    first_name: str = "Aibek"
    language_code: str | None = "ky"
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            d["last_name"] = self.last_name
        if self.username is not None:
            d["username"] = self.username
        if self.language_code is not None:
            d["language_code"] = self.language_code
        return d

    def chat_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            d["last_name"] = self.last_name
        if self.username is not None:
            d["username"] = self.username
        return d


@dataclasses.dataclass
class WebhookDelivery:
    update_id: int
    url: str
    status: int | None  # HTTP status of the bot's answer; None if never connected
    error: str | None
    attempts: int
    secret_sent: bool
    time: float


# --------------------------------------------------------------------------- #
# entity parsing (approximation of tdlib's parsers)
# --------------------------------------------------------------------------- #


class EntityParseError(ValueError):
    """Text could not be parsed; str(exc) is the part after "can't parse entities: "."""


def _u16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}


def _decode_html_entity(m: re.Match) -> str:
    name = m.group(1)
    if name in _HTML_NAMED:
        return _HTML_NAMED[name]
    try:
        code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
        return chr(code)
    except (ValueError, OverflowError):
        return m.group(0)


def _finish(out: list[str], entities: list[dict]) -> tuple[str, list[dict]]:
    """Join the text, strip surrounding whitespace like Telegram, fix offsets."""
    text = "".join(out)
    stripped_left = text.lstrip()
    lead = _u16(text) - _u16(stripped_left)
    plain = stripped_left.rstrip()
    total = _u16(plain)
    fixed = []
    for e in entities:
        start = max(0, e["offset"] - lead)
        end = min(total, e["offset"] + e["length"] - lead)
        if end > start:
            fixed.append({**e, "offset": start, "length": end - start})
    fixed.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, fixed


def parse_html(text: str, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Parse Bot API HTML; return (plain_text, entities) or raise EntityParseError.

    Mirrors tdlib's rules and messages closely enough for tests: supported tags
    only, properly nested, ``<`` must start a tag, only &lt; &gt; &amp; &quot;
    and numeric entities.  With ``strict_ampersand`` (default) a bare ``&`` that
    is not an entity is rejected too (real Telegram keeps it literally).
    """
    out: list[str] = []
    entities: list[dict] = []
    stack: list[dict] = []
    u16 = 0
    i = 0
    n = len(text)

    def bo(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    while i < n:
        c = text[i]
        if c == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            if m:
                ch = _decode_html_entity(m)
                out.append(ch)
                u16 += _u16(ch)
                i = m.end()
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unsupported HTML entity at byte offset {bo(i)}: "&" must be escaped as "&amp;"'
                )
        if c != "<":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue
        start = i
        if i + 1 < n and text[i + 1] == "/":
            j = text.find(">", i)
            if j == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {bo(start)}")
            name = text[i + 2 : j].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {bo(start)}")
            top = stack.pop()
            if name != top["name"]:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {bo(start)}, expected "</{top["name"]}>", '
                    f'found "</{name}>"'
                )
            _close_html_entity(top, u16, stack, entities)
            i = j + 1
            continue
        # start tag
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {bo(start)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {bo(start)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {bo(start)}")
            if text[j] == ">":
                j += 1
                break
            k = j
            while k < n and (text[k].isalnum() or text[k] in "-_"):
                k += 1
            attr = text[j:k].lower()
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {bo(start)}'
                )
            j = k
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {bo(start)}")
            if text[j] != "=":
                attrs[attr] = ""  # value-less attribute, e.g. <blockquote expandable>
                continue
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {bo(start)}")
            if text[j] in "\"'":
                e = text.find(text[j], j + 1)
                if e == -1:
                    raise EntityParseError(f"Unclosed start tag at byte offset {bo(start)}")
                raw = text[j + 1 : e]
                j = e + 1
            else:
                k = j
                while k < n and not text[k].isspace() and text[k] != ">":
                    k += 1
                raw = text[j:k]
                j = k
            attrs[attr] = _HTML_ENTITY_RE.sub(_decode_html_entity, raw)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {bo(start)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {bo(start)}'
            )
        stack.append({"name": name, "start": u16, "attrs": attrs})
        i = j
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1]["name"]}"'
        )
    return _finish(out, entities)


def _close_html_entity(top: dict, u16: int, stack: list[dict], entities: list[dict]) -> None:
    name, attrs = top["name"], top["attrs"]
    length = u16 - top["start"]
    if name == "code" and stack and stack[-1]["name"] == "pre":
        cls = attrs.get("class", "")
        if cls.startswith("language-"):
            stack[-1]["language"] = cls[len("language-") :]
            return
    if length <= 0:
        return
    ent: dict[str, Any] = {
        "type": _HTML_ENTITY_TYPE[name],
        "offset": top["start"],
        "length": length,
    }
    if name == "a":
        href = attrs.get("href")
        if not href:
            return
        ent["url"] = href
    elif name == "pre" and top.get("language"):
        ent["language"] = top["language"]
    elif name == "blockquote" and "expandable" in attrs:
        ent["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        ent["custom_emoji_id"] = attrs["emoji-id"]
    entities.append(ent)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!\\")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    """Approximate MarkdownV2 parser (reserved characters, unclosed entities)."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[dict] = []
    u16 = 0
    i = 0
    n = len(text)

    def bo(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    def emit(s: str) -> None:
        nonlocal u16
        out.append(s)
        u16 += _u16(s)

    def toggle(kind: str, width: int) -> None:
        if stack and stack[-1]["type"] == kind:
            top = stack.pop()
            if u16 > top["offset"]:
                ent = {"type": kind, "offset": top["offset"], "length": u16 - top["offset"]}
                if top.get("language"):
                    ent["language"] = top["language"]
                entities.append(ent)
        else:
            stack.append({"type": kind, "offset": u16, "byte": bo(i)})

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        top_kind = stack[-1]["type"] if stack else None
        if top_kind in ("code", "pre"):
            if top_kind == "pre" and text.startswith("```", i):
                toggle("pre", 3)
                i += 3
            elif top_kind == "code" and c == "`":
                toggle("code", 1)
                i += 1
            else:
                emit(c)
                i += 1
            continue
        if c not in _MDV2_RESERVED:
            emit(c)
            i += 1
            continue
        if text.startswith("```", i):
            toggle("pre", 3)
            i += 3
            nl = text.find("\n", i)
            lang = text[i:nl] if nl != -1 else ""
            if lang and not any(ch.isspace() for ch in lang):
                stack[-1]["language"] = lang
                i = nl + 1
            continue
        if text.startswith("__", i):
            toggle("underline", 2)
            i += 2
        elif c == "_":
            toggle("italic", 1)
            i += 1
        elif c == "*":
            toggle("bold", 1)
            i += 1
        elif c == "~":
            toggle("strikethrough", 1)
            i += 1
        elif text.startswith("||", i):
            toggle("spoiler", 2)
            i += 2
        elif c == "`":
            toggle("code", 1)
            i += 1
        elif c == "[":
            stack.append({"type": "text_link", "offset": u16, "byte": bo(i)})
            i += 1
        elif c == "]" and stack and stack[-1]["type"] == "text_link":
            top = stack.pop()
            if i + 1 < n and text[i + 1] == "(":
                end = i + 2
                url_chars = []
                while end < n and text[end] != ")":
                    if text[end] == "\\" and end + 1 < n:
                        end += 1
                    url_chars.append(text[end])
                    end += 1
                if end >= n:
                    raise EntityParseError(f"Can't find end of a url at byte offset {bo(i + 1)}")
                if u16 > top["offset"]:
                    entities.append(
                        {
                            "type": "text_link",
                            "offset": top["offset"],
                            "length": u16 - top["offset"],
                            "url": "".join(url_chars),
                        }
                    )
                i = end + 1
            else:
                i += 1
        elif c == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # blockquote marker (entity not tracked)
        else:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES.get(top['type'], top['type'])} entity at byte offset {top['byte']}"
        )
    return _finish(out, entities)


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    """Approximate legacy Markdown parser (*bold* _italic_ `code` ```pre``` [t](url))."""
    out: list[str] = []
    entities: list[dict] = []
    u16 = 0
    i = 0
    n = len(text)

    def bo(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue
        start = i
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {bo(start)}"
                )
            inner = text[i + 3 : end]
            kind, i = "pre", end + 3
        elif c == "[":
            close = text.find("]", i + 1)
            if close == -1 or close + 1 >= n or text[close + 1] != "(":
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {bo(start)}"
                )
            paren = text.find(")", close + 2)
            if paren == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {bo(start)}"
                )
            inner = text[i + 1 : close]
            url = text[close + 2 : paren]
            kind, i = "text_link", paren + 1
        else:
            end = text.find(c, i + 1)
            if end == -1:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {bo(start)}"
                )
            inner = text[i + 1 : end]
            kind, i = {"*": "bold", "_": "italic", "`": "code"}[c], end + 1
        if inner:
            ent: dict[str, Any] = {"type": kind, "offset": u16, "length": _u16(inner)}
            if kind == "text_link":
                ent["url"] = url
            entities.append(ent)
        out.append(inner)
        u16 += _u16(inner)
    return _finish(out, entities)


# --------------------------------------------------------------------------- #
# HTTP plumbing
# --------------------------------------------------------------------------- #


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # noqa: D401 - quiet on disconnects
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError)):
            return
        _LOG.exception("BotApiDouble: error while handling request from %s", client_address)


def _make_handler(double: BotApiDouble) -> type:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "BotApiDouble/1.0"

        def log_message(self, format, *args):  # noqa: A002 - silence stderr
            pass

        def setup(self):
            super().setup()
            try:  # answers are written in one piece; avoid Nagle/delayed-ACK stalls anyway
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            double._track_connection(self.connection, True)

        def finish(self):
            try:
                super().finish()
            finally:
                double._track_connection(self.connection, False)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    line = self.rfile.readline()
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _serve(self):
            body = self._read_body()
            status, payload, ctype = double._handle_http(
                self.command, self.path, self.headers, body
            )
            if status is None:  # double stopped: drop the connection
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            # headers + body in a single write
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(payload)
            self.flush_headers()

        do_GET = do_POST = do_HEAD = _serve

    return Handler


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _parse_multipart(content_type: str, body: bytes) -> dict:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    if not msg.is_multipart():
        return fields
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            charset = part.get_content_charset() or "utf-8"
            fields[name] = data.decode(charset, "replace")
        else:
            fields[name] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "size": len(data),
                "data": data,
            }
    return fields


def _decode_form_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


# --------------------------------------------------------------------------- #
# the double
# --------------------------------------------------------------------------- #


class BotApiDouble:
    """Fake Telegram Bot API server on 127.0.0.1 (see module docstring)."""

    DEFAULT_TOKEN = "1000:TEST-mekendesh-bot-token"

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_poll_timeout: float = 2.0,
        latency: float = 0.0,
        strict_token: bool = False,
        strict_ampersand: bool = True,
        known_chats_only: bool = False,
        require_https_webhook: bool = False,
        detect_polling_conflict: bool = True,
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.1,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.max_poll_timeout = max_poll_timeout
        self.latency = latency  # seconds added to each send call (SEND_METHODS)
        self.strict_token = strict_token  # reject other tokens with 401
        self.strict_ampersand = strict_ampersand
        self.known_chats_only = known_chats_only  # unknown chat -> 400 chat not found
        self.require_https_webhook = require_https_webhook
        self.detect_polling_conflict = detect_polling_conflict
        self.webhook_retries = webhook_retries
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.bot_user: dict = dict(_BOT_USER)

        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._delivery_thread: threading.Thread | None = None
        self._stopping = False
        self._connections: set[socket.socket] = set()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        self.tokens_seen: set[str] = set()
        self._methods = self._build_method_table()
        self._custom_methods: dict[str, tuple[str, Callable[[dict], Any]]] = {}
        self._reset_state()

    # ------------------------------------------------------------------ state

    def _reset_state(self) -> None:
        self.calls: list[SentCall] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._pending: list[dict] = []
        self._update_ids = itertools.count(100_000_001)
        self._last_update_id = 100_000_000
        self._msg_counters: dict[Any, int] = {}
        self._messages: dict[tuple[Any, int], dict] = {}
        self._chats: dict[Any, dict] = {}
        self._blocked: dict[Any, str] = {}
        self._faults: list[dict] = []
        self._flood: dict | None = None
        self._webhook: dict | None = None
        self._webhook_last_error: tuple[int, str] | None = None
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._menu_buttons: dict[Any, dict] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._callback_queries: dict[str, dict] = {}
        self._callback_ids = itertools.count(4_382_000_000_000_000_001)
        self._files: dict[str, dict] = {}
        self._file_seq = itertools.count(1)
        self._markers: dict[Any, int] = {}
        self._default_marker = 0
        self._send_times: dict[Any, list[float]] = {}
        self._total_sends = 0
        self._send_attempts = 0
        self._poll_generation = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> BotApiDouble:
        with self._cond:
            if self._server is not None:
                return self
            self._stopping = False
        server = _Server((self.host, self.port), _make_handler(self))
        self._server = server
        self.port = server.server_address[1]
        self._serve_thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="BotApiDouble-http",
            daemon=True,
        )
        self._serve_thread.start()
        self._delivery_thread = threading.Thread(
            target=self._delivery_loop, name="BotApiDouble-webhook", daemon=True
        )
        self._delivery_thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            if self._server is None:
                return
            self._stopping = True
            self._cond.notify_all()
            server, self._server = self._server, None
            conns = list(self._connections)
        server.shutdown()
        server.server_close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in (self._serve_thread, self._delivery_thread):
            if t is not None:
                t.join(timeout=5)

    def __enter__(self) -> BotApiDouble:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ApplicationBuilder.base_url() / Bot(base_url=...)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def _track_connection(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ------------------------------------------------------------ test configuration

    def block(
        self,
        chat_id: Any,
        description: str = "Forbidden: bot was blocked by the user",
        notify: bool = False,
    ) -> None:
        """Calls addressed to chat_id answer 403 `description` until unblock().

        notify=True also queues a my_chat_member update (member -> kicked)."""
        with self._cond:
            self._blocked[chat_id] = description
            if notify:
                chat = self._chat_for(chat_id)
                user = {
                    k: v
                    for k, v in chat.items()
                    if k in ("id", "first_name", "last_name", "username")
                }
                user["is_bot"] = False
                user.setdefault("first_name", "User")
                self._enqueue_locked(
                    {
                        "my_chat_member": {
                            "chat": chat,
                            "from": user,
                            "date": int(time.time()),
                            "old_chat_member": {"status": "member", "user": dict(self.bot_user)},
                            "new_chat_member": {
                                "status": "kicked",
                                "user": dict(self.bot_user),
                                "until_date": 0,
                            },
                        }
                    }
                )

    def unblock(self, chat_id: Any) -> None:
        with self._cond:
            self._blocked.pop(chat_id, None)

    def inject_error(
        self,
        error_code: int,
        description: str,
        *,
        times: int | None = 1,
        methods: Iterable[str] | None = None,
        chat_id: Any = None,
        parameters: dict | None = None,
    ) -> None:
        """The next `times` matching calls (None = forever) answer this error.

        methods: Bot API method names (default: SEND_METHODS); chat_id: only calls to that chat."""
        mset = SEND_METHODS if methods is None else frozenset(m.lower() for m in methods)
        with self._cond:
            self._faults.append(
                {
                    "error": ApiError(error_code, description, parameters),
                    "times": times,
                    "methods": mset,
                    "chat_id": chat_id,
                }
            )

    def rate_limit(
        self,
        retry_after: int = 3,
        times: int = 1,
        *,
        methods: Iterable[str] | None = None,
        chat_id: Any = None,
    ) -> None:
        """The next `times` send calls answer 429 with parameters.retry_after."""
        self.inject_error(
            429,
            f"Too Many Requests: retry after {retry_after}",
            times=times,
            methods=methods,
            chat_id=chat_id,
            parameters={"retry_after": retry_after},
        )

    def fail_server(
        self,
        times: int = 1,
        status: int = 502,
        *,
        methods: Iterable[str] | None = None,
        chat_id: Any = None,
    ) -> None:
        """The next `times` send calls answer a 5xx error (PTB: NetworkError)."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Server Error"
        self.inject_error(status, phrase, times=times, methods=methods, chat_id=chat_id)

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()
            self._flood = None

    def flood_control(
        self,
        per_chat_limit: int | None = None,
        global_limit: int | None = None,
        window: float = 1.0,
        retry_after: int = 1,
    ) -> None:
        """Emulate Telegram's flood limits: more than `per_chat_limit` successful sends to one
        chat (or `global_limit` overall) within `window` seconds -> 429 retry_after.
        flood_control() with no limits disables it."""
        with self._cond:
            if per_chat_limit is None and global_limit is None:
                self._flood = None
            else:
                self._flood = {
                    "per_chat": per_chat_limit,
                    "global": global_limit,
                    "window": window,
                    "retry_after": retry_after,
                }

    def register_method(self, name: str, handler: Callable[[dict], Any]) -> None:
        """Serve (or override) a Bot API method: handler(params) -> result, or raise ApiError.
        Runs with the double's lock held."""
        self._custom_methods[name.lower()] = (name, handler)

    def add_file(
        self,
        content: bytes = b"\x00" * 16,
        *,
        file_path: str | None = None,
        file_id: str | None = None,
    ) -> dict:
        """Register a downloadable file (getFile + /file/bot<token>/<path>); returns its info."""
        with self._cond:
            return self._add_file_locked(content, file_path=file_path, file_id=file_id)

    def _add_file_locked(
        self,
        content: bytes,
        *,
        file_path: str | None = None,
        file_id: str | None = None,
        prefix: str = "documents",
        ext: str = "bin",
    ) -> dict:
        seq = next(self._file_seq)
        file_id = file_id or f"AgACAgIAAxkBAAI{seq:06d}TestFileId"
        info = {
            "file_id": file_id,
            "file_unique_id": f"AQAD{seq:06d}",
            "file_size": len(content),
            "file_path": file_path or f"{prefix}/file_{seq}.{ext}",
            "content": content,
        }
        self._files[file_id] = info
        return {k: v for k, v in info.items() if k != "content"}

    # ------------------------------------------------------------ update injection

    @staticmethod
    def make_user(
        id: int,
        first_name: str = "Aibek",
        language_code: str | None = "ky",  # noqa: A002
        username: str | None = None,
        last_name: str | None = None,
    ) -> TgUser:
        return TgUser(
            id=id,
            first_name=first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )

    @staticmethod
    def make_group(id: int, title: str = "Test group", type: str = "supergroup") -> dict:  # noqa: A002
        return {"id": id, "type": type, "title": title}

    def push_update(self, update: dict) -> dict:
        """Queue a custom update (update_id assigned if missing). Returns the stored copy."""
        with self._cond:
            return self._enqueue_locked(copy.deepcopy(update))

    def send_text(
        self,
        user: TgUser,
        text: str,
        *,
        chat: dict | None = None,
        entities: list[dict] | None = None,
        reply_to: dict | None = None,
    ) -> dict:
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        if reply_to is not None:
            fields["reply_to_message"] = self._as_message(reply_to)
        return self._user_message(user, chat, fields)

    def send_command(
        self, user: TgUser, command: str, args: str = "", *, chat: dict | None = None
    ) -> dict:
        cmd = command if command.startswith("/") else f"/{command}"
        text = f"{cmd} {args}" if args else cmd
        entities = [{"type": "bot_command", "offset": 0, "length": _u16(cmd)}]
        return self._user_message(user, chat, {"text": text, "entities": entities})

    def send_sticker(
        self, user: TgUser, *, emoji: str = "\U0001f44d", chat: dict | None = None
    ) -> dict:
        with self._cond:
            f = self._add_file_locked(b"RIFF-webp-sticker", prefix="stickers", ext="webp")
        sticker = {
            "file_id": f["file_id"],
            "file_unique_id": f["file_unique_id"],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": f["file_size"],
        }
        return self._user_message(user, chat, {"sticker": sticker})

    def send_photo(
        self,
        user: TgUser,
        *,
        caption: str | None = None,
        content: bytes = b"\xff\xd8\xff\xe0fakejpeg",
        chat: dict | None = None,
    ) -> dict:
        with self._cond:
            sizes = []
            for w, h in ((90, 67), (320, 240), (1280, 960)):
                f = self._add_file_locked(content, prefix="photos", ext="jpg")
                sizes.append(
                    {
                        "file_id": f["file_id"],
                        "file_unique_id": f["file_unique_id"],
                        "width": w,
                        "height": h,
                        "file_size": f["file_size"],
                    }
                )
        fields: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user, chat, fields)

    def send_voice(
        self,
        user: TgUser,
        *,
        duration: int = 3,
        content: bytes = b"OggS-fake-voice",
        chat: dict | None = None,
    ) -> dict:
        with self._cond:
            f = self._add_file_locked(content, prefix="voice", ext="oga")
        voice = {
            "file_id": f["file_id"],
            "file_unique_id": f["file_unique_id"],
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": f["file_size"],
        }
        return self._user_message(user, chat, {"voice": voice})

    def send_location(
        self,
        user: TgUser,
        latitude: float = 42.8746,
        longitude: float = 74.5698,
        *,
        chat: dict | None = None,
    ) -> dict:
        return self._user_message(
            user, chat, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def send_document(
        self,
        user: TgUser,
        *,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        content: bytes = b"%PDF-1.4 fake",
        caption: str | None = None,
        chat: dict | None = None,
    ) -> dict:
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        with self._cond:
            f = self._add_file_locked(content, prefix="documents", ext=ext)
        doc = {
            "file_id": f["file_id"],
            "file_unique_id": f["file_unique_id"],
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": f["file_size"],
        }
        fields: dict[str, Any] = {"document": doc}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user, chat, fields)

    def press_button(self, user: TgUser, message: Any, data: str, *, strict: bool = False) -> dict:
        """Queue a callback_query for a button on `message` (a sent_messages() entry, a Message
        dict or a telegram.Message).  strict=True: data must be on one of its buttons."""
        msg = self._as_message(message)
        with self._cond:
            key = (msg["chat"]["id"], msg["message_id"])
            if key in self._messages:
                msg = copy.deepcopy(self._messages[key])
            if strict:
                buttons = [
                    b.get("callback_data")
                    for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ]
                if data not in buttons:
                    raise ValueError(f"no button with callback_data {data!r} on message: {buttons}")
            qid = str(next(self._callback_ids))
            self._callback_queries[qid] = {"answered": False, "answer": None, "data": data}
            chat_id = msg["chat"]["id"]
            self._markers[chat_id] = len(self.calls)
            return self._enqueue_locked(
                {
                    "callback_query": {
                        "id": qid,
                        "from": user.to_dict(),
                        "message": msg,
                        "chat_instance": str(abs(hash(("chat_instance", chat_id))) % 10**19),
                        "data": data,
                    }
                }
            )

    def _user_message(self, user: TgUser, chat: dict | None, fields: dict) -> dict:
        with self._cond:
            chat = dict(chat) if chat is not None else user.chat_dict()
            self._chats.setdefault(chat["id"], chat)
            self._markers[chat["id"]] = len(self.calls)
            msg = self._new_message_locked(chat, user.to_dict(), **fields)
            return self._enqueue_locked({"message": copy.deepcopy(msg)})

    def _enqueue_locked(self, update: dict) -> dict:
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            uid = int(update["update_id"])
            if uid > self._last_update_id:
                self._update_ids = itertools.count(uid + 1)
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._pending.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    @staticmethod
    def _as_message(message: Any) -> dict:
        if hasattr(message, "to_dict"):
            message = message.to_dict()
        if (
            isinstance(message, dict)
            and isinstance(message.get("message"), dict)
            and "chat" not in message
        ):
            message = message["message"]
        if not isinstance(message, dict) or "chat" not in message or "message_id" not in message:
            raise TypeError(f"not a message: {message!r}")
        return copy.deepcopy(message)

    # ------------------------------------------------------------ the chat page's view

    def chat_history(self, chat_id: Any, limit: int = 200) -> list[dict]:
        """The last `limit` messages of a chat, both sides, as they stand now (edits applied,
        deleted ones gone), oldest first."""
        with self._cond:
            found = [copy.deepcopy(m) for (cid, _mid), m in self._messages.items()
                     if cid == chat_id]
        found.sort(key=lambda m: m["message_id"])
        return found[-limit:]

    def reply_keyboard(self, chat_id: Any) -> list | None:
        """The reply keyboard the bot last set in a chat (None once removed, or never set):
        Telegram keeps it under the input field, not on a message."""
        with self._cond:
            for call in reversed(self.calls):
                if not call.ok or str(call.params.get("chat_id")) != str(chat_id):
                    continue
                markup = call.params.get("reply_markup")
                if isinstance(markup, str):
                    try:
                        markup = json.loads(markup)
                    except ValueError:
                        continue
                if isinstance(markup, dict) and "keyboard" in markup:
                    return copy.deepcopy(markup["keyboard"])
                if isinstance(markup, dict) and markup.get("remove_keyboard"):
                    return None
        return None

    def chat_version(self, chat_id: Any) -> int:
        """Changes whenever the chat shows something new (a message, an edit, a deletion)."""
        with self._cond:
            return len(self.calls) + self._msg_counters.get(chat_id, 0)

    def file_content(self, file_id: str) -> bytes | None:
        with self._cond:
            info = self._files.get(file_id)
            return None if info is None else info["content"]

    # ------------------------------------------------------------ inspection

    def mark(self, chat_id: Any = None) -> int:
        """Set the 'since' marker of wait_for_messages (for one chat, or the default)."""
        with self._cond:
            pos = len(self.calls)
            if chat_id is None:
                self._default_marker = pos
                self._markers.clear()
            else:
                self._markers[chat_id] = pos
            return pos

    def clear(self) -> None:
        """Forget recorded calls, send counters, webhook deliveries and markers
        (chats, messages, blocks, faults, webhook and pending updates are kept)."""
        with self._cond:
            self.calls.clear()
            self.webhook_deliveries.clear()
            self._markers.clear()
            self._default_marker = 0
            self._send_times.clear()
            self._total_sends = 0
            self._send_attempts = 0
            self._cond.notify_all()

    def calls_of(self, method: str, *, ok_only: bool = False) -> list[SentCall]:
        m = method.lower()
        with self._cond:
            return [c for c in self.calls if c.method.lower() == m and (c.ok or not ok_only)]

    def _message_entry(self, call: SentCall) -> dict:
        p = call.params
        res = call.result if isinstance(call.result, dict) else {}
        return {
            "method": call.method,
            "chat_id": p.get("chat_id", res.get("chat", {}).get("id")),
            "message_id": p.get("message_id", res.get("message_id")),
            "text": p.get("text"),
            "plain_text": res.get("text"),
            "parse_mode": p.get("parse_mode"),
            "reply_markup": p.get("reply_markup"),
            "message": copy.deepcopy(res) if res else None,
            "params": copy.deepcopy(p),
            "time": call.time,
        }

    def sent_messages(
        self, chat_id: Any = None, *, methods: Iterable[str] = MESSAGE_METHODS, since: int = 0
    ) -> list[dict]:
        """Successful sendMessage/editMessageText calls (optionally to one chat), each as
        {method, chat_id, message_id, text (as sent), plain_text, parse_mode,
         reply_markup (decoded), message (Message dict returned), params, time}."""
        mset = {m.lower() for m in methods}
        with self._cond:
            return [
                self._message_entry(c)
                for c in self.calls[since:]
                if c.ok
                and c.method.lower() in mset
                and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def wait_for_messages(
        self,
        chat_id: Any,
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int | None = None,
        methods: Iterable[str] = MESSAGE_METHODS,
        raise_on_timeout: bool = True,
    ) -> list[dict]:
        """Block until >= count messages went to chat_id since the marker (set automatically when
        an update from that chat is injected, or by mark(); `since` overrides). Returns them.
        Do not call from the bot's own event loop (use wait_for_messages_async there)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            start = since if since is not None else self._markers.get(chat_id, self._default_marker)
            while True:
                got = self.sent_messages(chat_id, methods=methods, since=start)
                if len(got) >= count:
                    return got
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    if raise_on_timeout:
                        raise AssertionError(
                            f"expected {count} message(s) to chat {chat_id} within {timeout}s, "
                            f"got {len(got)}: {[m['text'] for m in got]}; recent calls: "
                            f"{[(c.method, c.status, c.error) for c in self.calls[-10:]]}"
                        )
                    return got
                self._cond.wait(min(remaining, 0.5))

    async def wait_for_messages_async(
        self, chat_id: Any, count: int = 1, timeout: float = 5.0, **kwargs: Any
    ) -> list[dict]:
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout, **kwargs)

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[SentCall], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
    ) -> SentCall:
        m = method.lower()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for c in self.calls[since:]:
                    if c.method.lower() == m and (predicate is None or predicate(c)):
                        return c
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {method} call within {timeout}s")
                self._cond.wait(min(remaining, 0.5))

    async def wait_for_call_async(
        self, method: str, predicate=None, timeout: float = 5.0, **kw
    ) -> SentCall:
        return await asyncio.to_thread(self.wait_for_call, method, predicate, timeout, **kw)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until every queued update was confirmed (getUpdates offset) or delivered."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{len(self._pending)} update(s) still pending after {timeout}s"
                    )
                self._cond.wait(min(remaining, 0.5))

    def wait_for_webhook_deliveries(
        self, count: int, timeout: float = 5.0
    ) -> list[WebhookDelivery]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.webhook_deliveries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"only {len(self.webhook_deliveries)} webhook deliveries after {timeout}s"
                    )
                self._cond.wait(min(remaining, 0.5))
            return list(self.webhook_deliveries)

    @property
    def pending_updates(self) -> list[dict]:
        with self._cond:
            return copy.deepcopy(self._pending)

    @property
    def webhook(self) -> dict | None:
        """Current webhook settings {url, secret_token, allowed_updates, ...} or None."""
        with self._cond:
            return copy.deepcopy(self._webhook)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    def menu_button(self, chat_id: Any = None) -> dict:
        with self._cond:
            return copy.deepcopy(self._menu_buttons.get(chat_id, {"type": "commands"}))

    def callback_answers(self) -> dict[str, dict]:
        """{callback_query_id: {"answered", "answer" (params), "data"}}"""
        with self._cond:
            return copy.deepcopy(self._callback_queries)

    def message(self, chat_id: Any, message_id: int) -> dict | None:
        """Current state of a stored message (after edits), None if unknown/deleted."""
        with self._cond:
            m = self._messages.get((chat_id, message_id))
            return copy.deepcopy(m) if m else None

    @property
    def total_sends(self) -> int:
        """Successful send calls (SEND_METHODS)."""
        with self._cond:
            return self._total_sends

    @property
    def send_attempts(self) -> int:
        """All send calls including those answered with an error."""
        with self._cond:
            return self._send_attempts

    @property
    def sends_per_chat(self) -> dict[Any, list[float]]:
        """{chat_id: [time.time() of each successful send call]}"""
        with self._cond:
            return {k: list(v) for k, v in self._send_times.items()}

    def max_sends_in_window(self, window: float = 1.0, chat_id: Any = None) -> int:
        """Max number of successful sends (to chat_id, or overall) within any `window` seconds."""
        with self._cond:
            if chat_id is None:
                times = sorted(t for v in self._send_times.values() for t in v)
            else:
                times = list(self._send_times.get(chat_id, []))
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # ------------------------------------------------------------ webhook helpers

    def post_raw_webhook(
        self,
        url: str,
        update: dict,
        secret: str | None = None,
        *,
        headers: dict | None = None,
        content_type: str = "application/json",
        timeout: float = 5.0,
    ) -> tuple[int, bytes]:
        """POST `update` to url directly (e.g. a forged request without/with a wrong secret).
        Returns (HTTP status, body). update_id is assigned if missing."""
        if "update_id" not in update:
            with self._cond:
                update = {**update, "update_id": next(self._update_ids)}
        hdrs = {"Content-Type": content_type, **(headers or {})}
        if secret is not None:
            hdrs["X-Telegram-Bot-Api-Secret-Token"] = secret
        req = urllib.request.Request(
            url, data=json.dumps(update).encode(), headers=hdrs, method="POST"
        )
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    async def post_raw_webhook_async(
        self, url: str, update: dict, secret: str | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        """post_raw_webhook from inside the event loop that runs the bot's webhook server."""
        return await asyncio.to_thread(self.post_raw_webhook, url, update, secret, **kwargs)

    def _delivery_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._webhook and self._pending:
                        break
                    self._cond.wait(0.5)
                if self._stopping:
                    return
                update = self._pending[0]
                if self._update_type(update) not in self._allowed_updates:
                    self._pending.pop(0)
                    self._cond.notify_all()
                    continue
                url = self._webhook["url"]
                secret = self._webhook.get("secret_token")
                body = json.dumps(update, ensure_ascii=False).encode("utf-8")
            status, error, attempts = self._deliver(url, body, secret)
            with self._cond:
                self.webhook_deliveries.append(
                    WebhookDelivery(
                        update_id=update["update_id"],
                        url=url,
                        status=status,
                        error=error,
                        attempts=attempts,
                        secret_sent=secret is not None,
                        time=time.time(),
                    )
                )
                if status is None or not 200 <= status < 300:
                    self._webhook_last_error = (
                        int(time.time()),
                        error or f"Wrong response from the webhook: {status}",
                    )
                for idx, u in enumerate(self._pending):
                    if u is update:
                        del self._pending[idx]
                        break
                self._cond.notify_all()

    def _deliver(
        self, url: str, body: bytes, secret: str | None
    ) -> tuple[int | None, str | None, int]:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        error = None
        attempts = 0
        for attempt in range(max(1, self.webhook_retries + 1)):
            if self._stopping:
                break
            attempts += 1
            req = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with self._opener.open(req, timeout=self.webhook_timeout) as resp:
                    resp.read()
                    return resp.status, None, attempts
            except urllib.error.HTTPError as e:
                return e.code, f"Wrong response from the webhook: {e.code} {e.reason}", attempts
            except (urllib.error.URLError, OSError) as e:
                error = f"Connection failed: {e}"
                time.sleep(self.webhook_retry_delay * (attempt + 1))
        return None, error, attempts

    # ------------------------------------------------------------ request handling

    def _handle_http(
        self, verb: str, raw_path: str, headers, body: bytes
    ) -> tuple[int | None, bytes, str]:
        if self._stopping:
            return None, b"", ""
        parts = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parts.path)
        m = re.match(r"^/file/bot([^/]+)/(.+)$", path)
        if m:
            return self._serve_file(m.group(1), m.group(2))
        m = re.match(r"^/bot([^/]*)/([A-Za-z0-9_]+)/?$", path)
        if not m:
            return (
                404,
                _json_bytes({"ok": False, "error_code": 404, "description": "Not Found"}),
                "application/json",
            )
        token, method = m.group(1), m.group(2)
        try:
            params = self._parse_params(parts.query, headers, body)
        except Exception as exc:  # noqa: BLE001 - malformed request
            err = ApiError(400, f"Bad Request: can't parse request: {exc}")
            return 400, _json_bytes(err.payload()), "application/json"
        status, payload = self._handle_api(token, method, params)
        return status, _json_bytes(payload), "application/json"

    def _serve_file(self, token: str, file_path: str) -> tuple[int, bytes, str]:
        with self._cond:
            self.tokens_seen.add(token)
            for info in self._files.values():
                if info["file_path"] == file_path:
                    return 200, info["content"], "application/octet-stream"
        return (
            404,
            _json_bytes({"ok": False, "error_code": 404, "description": "Not Found"}),
            "application/json",
        )

    @staticmethod
    def _parse_params(query: str, headers, body: bytes) -> dict:
        params: dict[str, Any] = {}
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
            params[k] = _decode_form_value(k, v)
        ctype = headers.get("Content-Type", "") or ""
        main = ctype.split(";")[0].strip().lower()
        if not body:
            return params
        if main == "application/json":
            data = json.loads(body.decode("utf-8"))
            for k, v in (data or {}).items():
                if isinstance(v, str) and k in _JSON_PARAMS:
                    try:
                        v = json.loads(v)
                    except ValueError:
                        pass
                params[k] = v
        elif main == "multipart/form-data":
            for k, v in _parse_multipart(ctype, body).items():
                params[k] = _decode_form_value(k, v)
        else:
            for k, v in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                params[k] = _decode_form_value(k, v)
        return params

    def _handle_api(self, token: str, method: str, params: dict) -> tuple[int, dict]:
        lname = method.lower()
        custom = self._custom_methods.get(lname)
        entry = custom or self._methods.get(lname)
        canonical = entry[0] if entry else method
        is_send = lname in SEND_METHODS

        with self._cond:
            self.tokens_seen.add(token)
            if self.strict_token and token != self.token:
                return self._record_locked(canonical, params, token, ApiError(401, "Unauthorized"))
            if entry is None:
                return self._record_locked(
                    canonical, params, token, ApiError(404, "Not Found: method not found")
                )
            fault = self._take_fault_locked(lname, params.get("chat_id"))
            if fault is not None:
                if is_send:
                    self._send_attempts += 1
                return self._record_locked(canonical, params, token, fault)

        if is_send and self.latency > 0:
            time.sleep(self.latency)

        with self._cond:
            if is_send:
                self._send_attempts += 1
                flood = self._check_flood_locked(params.get("chat_id"))
                if flood is not None:
                    return self._record_locked(canonical, params, token, flood)
            try:
                result = entry[1](params)
            except ApiError as err:
                return self._record_locked(canonical, params, token, err)
            except Exception as exc:  # noqa: BLE001 - bug in a handler: answer 500, keep serving
                _LOG.exception("BotApiDouble: handler %s failed", canonical)
                return self._record_locked(
                    canonical, params, token, ApiError(500, f"Internal Server Error: {exc!r}")
                )
            if is_send:
                self._total_sends += 1
                self._send_times.setdefault(params.get("chat_id"), []).append(time.time())
            return self._record_locked(canonical, params, token, None, result)

    def _record_locked(
        self, method: str, params: dict, token: str, error: ApiError | None, result: Any = None
    ) -> tuple[int, dict]:
        if error is None:
            payload = {"ok": True, "result": result}
            call = SentCall(method, params, time.time(), 200, copy.deepcopy(result), None, token)
            status = 200
        else:
            payload = error.payload()
            call = SentCall(
                method, params, time.time(), error.error_code, None, error.description, token
            )
            status = error.error_code
        self.calls.append(call)
        self._cond.notify_all()
        return status, payload

    def _take_fault_locked(self, lname: str, chat_id: Any) -> ApiError | None:
        for fault in self._faults:
            if lname not in fault["methods"]:
                continue
            if fault["chat_id"] is not None and fault["chat_id"] != chat_id:
                continue
            if fault["times"] is not None:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self._faults.remove(fault)
            return fault["error"]
        return None

    def _check_flood_locked(self, chat_id: Any) -> ApiError | None:
        fl = self._flood
        if not fl:
            return None
        now = time.time()
        cutoff = now - fl["window"]
        err = ApiError(
            429,
            f"Too Many Requests: retry after {fl['retry_after']}",
            {"retry_after": fl["retry_after"]},
        )
        if fl["per_chat"] is not None:
            recent = [t for t in self._send_times.get(chat_id, []) if t > cutoff]
            if len(recent) >= fl["per_chat"]:
                return err
        if fl["global"] is not None:
            recent = [t for v in self._send_times.values() for t in v if t > cutoff]
            if len(recent) >= fl["global"]:
                return err
        return None

    # ------------------------------------------------------------ helpers used by methods

    @staticmethod
    def _update_type(update: dict) -> str:
        for k in update:
            if k != "update_id":
                return k
        return ""

    def _chat_for(self, chat_id: Any) -> dict:
        chat = self._chats.get(chat_id)
        if chat is not None:
            return dict(chat)
        if isinstance(chat_id, str):
            return {
                "id": -1001000000000 - (abs(hash(chat_id)) % 10**9),
                "type": "channel",
                "title": chat_id.lstrip("@"),
                "username": chat_id.lstrip("@"),
            }
        if chat_id < -1000000000000:
            return {"id": chat_id, "type": "supergroup", "title": "Test supergroup"}
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": "Test group"}
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}

    def _require_chat(self, params: dict) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, float):
            chat_id = int(chat_id)
        if self.known_chats_only and chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_blocked(self, chat_id: Any) -> None:
        desc = self._blocked.get(chat_id)
        if desc is not None:
            raise ApiError(403, desc)

    def _new_message_locked(self, chat: dict, from_user: dict | None, **fields: Any) -> dict:
        chat_id = chat["id"]
        mid = self._msg_counters.get(chat_id, 0) + 1
        self._msg_counters[chat_id] = mid
        msg: dict[str, Any] = {"message_id": mid}
        if from_user is not None:
            msg["from"] = from_user
        msg["chat"] = dict(chat)
        msg["date"] = int(time.time())
        msg.update({k: v for k, v in fields.items() if v is not None})
        self._messages[(chat_id, mid)] = msg
        return copy.deepcopy(msg)

    def _parse_text(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[dict]]:
        empty = (
            "Bad Request: message caption is empty"
            if caption
            else "Bad Request: message text is empty"
        )
        if text is None:
            raise ApiError(400, empty)
        text = str(text)
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        try:
            if mode == "html":
                plain, ents = parse_html(text, strict_ampersand=self.strict_ampersand)
            elif mode == "markdownv2":
                plain, ents = parse_markdown_v2(text)
            elif mode == "markdown":
                plain, ents = parse_markdown(text)
            elif mode:
                raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
            else:
                plain, ents = _finish([text], list(entities) if isinstance(entities, list) else [])
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        if not caption and not plain.strip():
            raise ApiError(400, empty)
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if len(plain) > limit:
            raise ApiError(
                400,
                "Bad Request: message caption is too long"
                if caption
                else "Bad Request: message is too long",
            )
        return plain, ents

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        """Validate reply_markup; return it if it is an inline keyboard (echoed), else None."""
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(
                    400,
                    'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
                )
            for row in rows:
                for btn in row:
                    if not isinstance(btn, dict) or "text" not in btn:
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: Text is not specified",
                        )
                    if "callback_data" in btn:
                        data = btn["callback_data"]
                        if (
                            not isinstance(data, str)
                            or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
                        ):
                            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                    elif not any(
                        k in btn
                        for k in (
                            "url",
                            "login_url",
                            "switch_inline_query",
                            "switch_inline_query_current_chat",
                            "switch_inline_query_chosen_chat",
                            "callback_game",
                            "pay",
                            "web_app",
                            "copy_text",
                        )
                    ):
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard",
                        )
            return markup if rows else None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(
                    400,
                    'Bad Request: field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays',
                )
            return None
        if "remove_keyboard" in markup or "force_reply" in markup:
            return None
        raise ApiError(400, 'Bad Request: can\'t find field "inline_keyboard"')

    def _reply_to(self, chat_id: Any, params: dict) -> dict | None:
        rp = params.get("reply_parameters")
        mid = rp.get("message_id") if isinstance(rp, dict) else params.get("reply_to_message_id")
        if mid is None:
            return None
        target = self._messages.get((chat_id, int(mid)))
        if target is None:
            allow = (
                (rp or {}).get("allow_sending_without_reply")
                if isinstance(rp, dict)
                else params.get("allow_sending_without_reply")
            )
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        reply = copy.deepcopy(target)
        reply.pop("reply_to_message", None)
        return reply

    def _find_editable(self, params: dict) -> dict:
        chat_id = self._require_chat(params)
        mid = params.get("message_id")
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        msg = self._messages.get((chat_id, int(mid)))
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        self._check_blocked(chat_id)
        return msg

    # ------------------------------------------------------------ Bot API methods

    def _build_method_table(self) -> dict[str, tuple[str, Callable[[dict], Any]]]:
        names = [
            "getMe",
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "editMessageCaption",
            "answerCallbackQuery",
            "deleteMessage",
            "deleteMessages",
            "sendChatAction",
            "setChatMenuButton",
            "getChatMenuButton",
            "close",
            "logOut",
            "getChat",
            "getFile",
            "setMyDescription",
            "getMyDescription",
            "setMyShortDescription",
            "getMyShortDescription",
            "setMyName",
            "getMyName",
            "sendPhoto",
            "sendDocument",
            "sendSticker",
            "sendVoice",
            "sendAudio",
            "sendVideo",
            "sendAnimation",
            "sendLocation",
        ]
        table = {}
        for name in names:
            table[name.lower()] = (name, getattr(self, f"_m_{name}"))
        return table

    def _m_getMe(self, p: dict) -> dict:
        return dict(self.bot_user)

    def _m_close(self, p: dict) -> bool:
        return True

    def _m_logOut(self, p: dict) -> bool:
        return True

    def _m_getUpdates(self, p: dict) -> list[dict]:
        if self._webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get("offset")
        if offset is not None:
            offset = int(offset)
            if offset < 0:
                self._pending = (
                    self._pending[offset:] if -offset < len(self._pending) else self._pending
                )
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            self._cond.notify_all()
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        limit = int(p.get("limit") or 100)
        limit = min(max(limit, 1), 100)
        timeout = max(0.0, min(float(p.get("timeout") or 0), self.max_poll_timeout))

        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            if self._webhook:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            kept = [u for u in self._pending if self._update_type(u) in self._allowed_updates]
            if len(kept) != len(self._pending):
                self._pending = kept
                self._cond.notify_all()
            if kept:
                return copy.deepcopy(kept[:limit])
            if self.detect_polling_conflict and generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping:
                return []
            self._cond.wait(remaining)

    def _m_setWebhook(self, p: dict) -> bool:
        url = p.get("url") or ""
        if not url:
            return self._m_deleteWebhook(p)
        url = str(url)
        if self.require_https_webhook and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if not url.startswith(("http://", "https://")):
            raise ApiError(
                400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
            )
        secret = p.get("secret_token")
        if secret is not None and secret != "" and not _SECRET_TOKEN_RE.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook = {
            "url": url,
            "secret_token": secret or None,
            "max_connections": int(p.get("max_connections") or 40),
            "ip_address": p.get("ip_address"),
            "allowed_updates": allowed if isinstance(allowed, list) else None,
            "has_custom_certificate": bool(p.get("certificate")),
        }
        self._webhook_last_error = None
        self._cond.notify_all()
        return True

    def _m_deleteWebhook(self, p: dict) -> bool:
        self._webhook = None
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._cond.notify_all()
        return True

    def _m_getWebhookInfo(self, p: dict) -> dict:
        wh = self._webhook
        info: dict[str, Any] = {
            "url": wh["url"] if wh else "",
            "has_custom_certificate": bool(wh and wh["has_custom_certificate"]),
            "pending_update_count": len(self._pending),
        }
        if wh:
            info["max_connections"] = wh["max_connections"]
            if wh["ip_address"]:
                info["ip_address"] = wh["ip_address"]
            if wh["allowed_updates"] is not None:
                info["allowed_updates"] = wh["allowed_updates"]
            if self._webhook_last_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if not isinstance(scope, dict):
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _m_setMyCommands(self, p: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        clean = []
        for c in commands:
            if not isinstance(c, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand")
            cmd = str(c.get("command", "")).lstrip("/")
            desc = str(c.get("description", ""))
            if not _COMMAND_RE.match(cmd):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
            clean.append({"command": cmd, "description": desc})
        self._commands[self._commands_key(p.get("scope"), p.get("language_code"))] = clean
        return True

    def _m_getMyCommands(self, p: dict) -> list[dict]:
        return copy.deepcopy(
            self._commands.get(self._commands_key(p.get("scope"), p.get("language_code")), [])
        )

    def _m_deleteMyCommands(self, p: dict) -> bool:
        self._commands.pop(self._commands_key(p.get("scope"), p.get("language_code")), None)
        return True

    def _m_setChatMenuButton(self, p: dict) -> bool:
        button = p.get("menu_button")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise ApiError(400, "Bad Request: can't parse menu button JSON object")
        chat_id = p.get("chat_id")
        if chat_id is not None:
            self._check_blocked(chat_id)
        self._menu_buttons[chat_id] = button
        return True

    def _m_getChatMenuButton(self, p: dict) -> dict:
        return copy.deepcopy(
            self._menu_buttons.get(
                p.get("chat_id"), self._menu_buttons.get(None, {"type": "commands"})
            )
        )

    def _bot_text(self, field: str, p: dict, setter: bool, limit: int) -> Any:
        key = (field, str(p.get("language_code") or ""))
        if setter:
            value = p.get(field) or ""
            if len(str(value)) > limit:
                raise ApiError(400, f"Bad Request: {field} is too long")
            if value:
                self._bot_texts[key] = str(value)
            else:
                self._bot_texts.pop(key, None)
            return True
        return {
            field: self._bot_texts.get(key, self.bot_user["first_name"] if field == "name" else "")
        }

    def _m_setMyDescription(self, p):
        return self._bot_text("description", p, True, 512)

    def _m_getMyDescription(self, p):
        return self._bot_text("description", p, False, 512)

    def _m_setMyShortDescription(self, p):
        return self._bot_text("short_description", p, True, 120)

    def _m_getMyShortDescription(self, p):
        return self._bot_text("short_description", p, False, 120)

    def _m_setMyName(self, p):
        return self._bot_text("name", p, True, 64)

    def _m_getMyName(self, p):
        return self._bot_text("name", p, False, 64)

    def _m_getChat(self, p: dict) -> dict:
        chat_id = self._require_chat(p)
        if chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        chat = dict(self._chats[chat_id])
        chat.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return chat

    def _m_getFile(self, p: dict) -> dict:
        info = self._files.get(str(p.get("file_id", "")))
        if info is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {k: v for k, v in info.items() if k != "content"}

    def _m_sendMessage(self, p: dict) -> dict:
        chat_id = self._require_chat(p)
        plain, ents = self._parse_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
        markup = self._check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        reply = self._reply_to(chat_id, p)
        return self._new_message_locked(
            self._chat_for(chat_id),
            dict(self.bot_user),
            text=plain,
            entities=ents or None,
            reply_markup=markup,
            reply_to_message=reply,
        )

    def _m_editMessageText(self, p: dict) -> Any:
        plain, ents = self._parse_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        msg = self._find_editable(p)
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if (
            msg.get("text") == plain
            and msg.get("entities") == (ents or None)
            and msg.get("reply_markup") == markup
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same as a current content and reply "
                "markup of the message",
            )
        msg["text"] = plain
        self._set_opt(msg, "entities", ents or None)
        self._set_opt(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        return copy.deepcopy(msg)

    def _m_editMessageCaption(self, p: dict) -> Any:
        caption = p.get("caption")
        plain, ents = self._parse_text(
            caption or "", p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        msg = self._find_editable(p)
        if msg.get("caption") == (plain or None) and msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same as a current content and reply "
                "markup of the message",
            )
        self._set_opt(msg, "caption", plain or None)
        self._set_opt(msg, "caption_entities", ents or None)
        self._set_opt(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        return copy.deepcopy(msg)

    def _m_editMessageReplyMarkup(self, p: dict) -> Any:
        markup = self._check_markup(p.get("reply_markup"))
        if p.get("inline_message_id"):
            return True
        msg = self._find_editable(p)
        if msg.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same as a current content and reply "
                "markup of the message",
            )
        self._set_opt(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        return copy.deepcopy(msg)

    @staticmethod
    def _set_opt(msg: dict, key: str, value: Any) -> None:
        if value is None:
            msg.pop(key, None)
        else:
            msg[key] = value

    def _m_deleteMessage(self, p: dict) -> bool:
        chat_id = self._require_chat(p)
        mid = p.get("message_id")
        if mid is None or (chat_id, int(mid)) not in self._messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._check_blocked(chat_id)
        del self._messages[(chat_id, int(mid))]
        return True

    def _m_deleteMessages(self, p: dict) -> bool:
        chat_id = self._require_chat(p)
        for mid in p.get("message_ids") or []:
            self._messages.pop((chat_id, int(mid)), None)
        return True

    def _m_answerCallbackQuery(self, p: dict) -> bool:
        qid = str(p.get("callback_query_id", ""))
        q = self._callback_queries.get(qid)
        if q is None or q["answered"]:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(p.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        q["answered"] = True
        q["answer"] = dict(p)
        return True

    def _m_sendChatAction(self, p: dict) -> bool:
        chat_id = self._require_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._check_blocked(chat_id)
        return True

    def _send_media(self, p: dict, field: str, build: Callable[[Any], Any]) -> dict:
        chat_id = self._require_chat(p)
        value = p.get(field)
        if value in (None, ""):
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        caption = p.get("caption")
        plain, ents = ("", [])
        if caption:
            plain, ents = self._parse_text(
                caption, p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
        markup = self._check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        if isinstance(value, dict) and "data" in value:  # uploaded file
            info = self._add_file_locked(
                value["data"],
                prefix=field + "s",
                ext=(value.get("filename") or "f.bin").rsplit(".", 1)[-1],
            )
        elif isinstance(value, str) and value in self._files:
            info = {k: v for k, v in self._files[value].items() if k != "content"}
        else:  # a URL or unknown file_id: invent a file
            info = self._add_file_locked(b"remote:" + str(value).encode(), prefix=field + "s")
        return self._new_message_locked(
            self._chat_for(chat_id),
            dict(self.bot_user),
            **{field: build(info)},
            caption=plain or None,
            caption_entities=ents or None,
            reply_markup=markup,
            reply_to_message=self._reply_to(chat_id, p),
        )

    @staticmethod
    def _fid(info: dict) -> dict:
        return {
            "file_id": info["file_id"],
            "file_unique_id": info["file_unique_id"],
            "file_size": info["file_size"],
        }

    def _m_sendPhoto(self, p):
        return self._send_media(
            p, "photo", lambda i: [{**self._fid(i), "width": 1280, "height": 960}]
        )

    def _m_sendDocument(self, p):
        return self._send_media(
            p,
            "document",
            lambda i: {**self._fid(i), "file_name": i["file_path"].rsplit("/", 1)[-1]},
        )

    def _m_sendSticker(self, p):
        return self._send_media(
            p,
            "sticker",
            lambda i: {
                **self._fid(i),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        )

    def _m_sendVoice(self, p):
        return self._send_media(
            p, "voice", lambda i: {**self._fid(i), "duration": int(p.get("duration") or 1)}
        )

    def _m_sendAudio(self, p):
        return self._send_media(
            p, "audio", lambda i: {**self._fid(i), "duration": int(p.get("duration") or 1)}
        )

    def _m_sendVideo(self, p):
        return self._send_media(
            p,
            "video",
            lambda i: {
                **self._fid(i),
                "width": 640,
                "height": 480,
                "duration": int(p.get("duration") or 1),
            },
        )

    def _m_sendAnimation(self, p):
        return self._send_media(
            p,
            "animation",
            lambda i: {
                **self._fid(i),
                "width": 320,
                "height": 240,
                "duration": int(p.get("duration") or 1),
            },
        )

    def _m_sendLocation(self, p: dict) -> dict:
        chat_id = self._require_chat(p)
        try:
            lat, lon = float(p["latitude"]), float(p["longitude"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        markup = self._check_markup(p.get("reply_markup"))
        self._check_blocked(chat_id)
        return self._new_message_locked(
            self._chat_for(chat_id),
            dict(self.bot_user),
            location={"latitude": lat, "longitude": lon},
            reply_markup=markup,
        )

"""Telegram messages as HTML for the chat page: text plus entities, escaped, nothing else.

A message arrives as Telegram keeps it: plain text and entities whose offsets count UTF-16
code units. Only the entity kinds Telegram formats become tags; a link keeps an http(s) or
tg: address only; every character of the text is escaped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_LINK_SCHEMES = {"http", "https", "tg", "mailto"}


def safe_url(url: str) -> str | None:
    """`url` when it is a web, Telegram or mail address; None (no link) otherwise."""
    try:
        scheme = urlsplit(url or "").scheme.lower()
    except ValueError:
        return None
    return url if scheme in _LINK_SCHEMES else None


def _open_tag(entity: dict, piece: str) -> tuple[str, str]:
    kind = entity.get("type")
    if kind in _TAGS:
        return _TAGS[kind]
    if kind in ("text_link", "url"):
        url = safe_url(entity.get("url") or piece if kind == "text_link" else piece)
        if url:
            return (f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">',
                    "</a>")
    if kind == "bot_command":
        return ('<span class="command">', "</span>")
    return ("", "")


def message_html(text: str | None, entities: list[dict[str, Any]] | None) -> Markup:
    """`text` with its `entities` as safe HTML (line breaks kept by the page's CSS)."""
    text = text or ""
    units = text.encode("utf-16-le")
    length = len(units) // 2

    def piece(start: int, end: int) -> str:
        return units[2 * start : 2 * end].decode("utf-16-le", errors="replace")

    spans = []
    for entity in entities or []:
        try:
            start, size = int(entity["offset"]), int(entity["length"])
        except (KeyError, TypeError, ValueError):
            continue
        if size <= 0 or start < 0 or start + size > length:
            continue
        opening, closing = _open_tag(entity, piece(start, start + size))
        if opening:
            spans.append((start, start + size, opening, closing))
    # Outer entities open first and close last.
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    position = 0
    events = sorted({0, length, *(s[0] for s in spans), *(s[1] for s in spans)})
    index = 0
    for point in events:
        if point > position:
            out.append(str(escape(piece(position, point))))
            position = point
        while stack and stack[-1][0] <= point:
            out.append(stack.pop()[1])
        while index < len(spans) and spans[index][0] == point:
            start, end, opening, closing = spans[index]
            # A span crossing one still open would break the nesting: it is left plain.
            if not stack or end <= stack[-1][0]:
                out.append(opening)
                stack.append((end, closing))
            index += 1
    while stack:
        out.append(stack.pop()[1])
    return Markup("".join(out))  # noqa: S704 - text escaped, tags ours

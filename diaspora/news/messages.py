"""The Telegram message that announces a news post (outbox template "news")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from diaspora.delivery.messages import SUMMARY_MAX, absolute_url, escape, shorten
from diaspora.i18n import localized, localized_text

TEMPLATE = "news"


def render_news(params: Mapping[str, Any], locale: str) -> str:
    """A news post: bold title (marked when not in the reader's language), a short summary,
    and a link to the full post. The push and the bot's News list both show this."""
    title = localized(params.get("title"), locale)
    summary = shorten(localized_text(params.get("summary"), locale), SUMMARY_MAX)
    url = absolute_url(f"{params.get('url', '/')}?lang={locale}")
    heading = f"<b>{escape(shorten(title.text, 300))}</b>"
    if not title.exact:
        note = escape(_("(not available in your language)"))
        heading += f" <i>{note}</i>"
    parts = [heading]
    if summary:
        parts.append(escape(summary))
    link_text = escape(_("Read the full post"))
    parts.append(f'<a href="{escape(url)}">{link_text}</a>')
    return "\n\n".join(parts)

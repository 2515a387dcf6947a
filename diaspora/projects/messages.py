"""The Telegram message telling a proposer what happened to their project (outbox template
"project.status")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from diaspora.delivery.messages import absolute_url, escape, shorten

STATUS_TEMPLATE = "project.status"


def render_status(params: Mapping[str, Any], locale: str) -> str:
    from diaspora.projects.lifecycle import STATE_LABELS

    label = STATE_LABELS.get(str(params.get("status")))
    title = shorten(str(params.get("title") or ""), 300)
    parts = [escape(_("Your project “%(title)s” has a new status:", title=title))
             + " <b>" + escape(str(label) if label else "") + "</b>"]
    note = shorten(str(params.get("note") or ""), 1500)
    if note:
        parts.append("<i>" + escape(note) + "</i>")
    url = absolute_url(f"{params.get('url', '/projects/')}?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("Open the project")) + "</a>")
    return "\n\n".join(parts)


COMMENT_TEMPLATE = "project.comment"


def render_comment(params: Mapping[str, Any], locale: str) -> str:
    """A new comment or question on the recipient's project, or an answer to theirs (params:
    event comment|question|reply|answer, who, title, text, official, url)."""
    who = shorten(str(params.get("who") or ""), 80) or _("A member")
    title = shorten(str(params.get("title") or ""), 300)
    event = params.get("event")
    if event == "answer" and params.get("official"):
        head = _("%(who)s answered you officially about the project “%(title)s”:",
                 who=who, title=title)
    elif event == "answer":
        head = _("%(who)s answered you about the project “%(title)s”:", who=who, title=title)
    elif event == "question":
        head = _("%(who)s asked a question about your project “%(title)s”:",
                 who=who, title=title)
    elif event == "reply":
        head = _("%(who)s answered a comment on your project “%(title)s”:",
                 who=who, title=title)
    else:
        head = _("%(who)s commented on your project “%(title)s”:", who=who, title=title)
    parts = [escape(head)]
    text = shorten(str(params.get("text") or ""), 600)
    if text:
        parts.append("<i>" + escape(text) + "</i>")
    url = absolute_url(f"{params.get('url', '/projects/')}?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("Read and answer")) + "</a>")
    return "\n\n".join(parts)

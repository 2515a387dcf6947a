"""The Telegram messages of projects: what happened to a proposer's project (outbox template
"project.status") and a progress update for its followers ("project.update")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from diaspora.delivery.messages import absolute_url, escape, shorten

STATUS_TEMPLATE = "project.status"
UPDATE_TEMPLATE = "project.update"


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


def render_update(params: Mapping[str, Any], locale: str) -> str:
    """The project's title, who wrote (the proposer or the local authority), the update cut
    short, and a link to it on the project page."""
    from diaspora.projects.lifecycle import PROPOSER

    title = shorten(str(params.get("title") or ""), 300)
    heading = (_("The proposer of “%(title)s” posted an update:", title=title)
               if params.get("part") == PROPOSER
               else _("The local authority posted an update on “%(title)s”:", title=title))
    parts = ["📣 <b>" + escape(heading) + "</b>"]
    text = shorten(str(params.get("text") or ""), 1500)
    if text:
        parts.append(escape(text))
    try:
        photos = int(params.get("photos") or 0)
    except (TypeError, ValueError):
        photos = 0
    if photos:
        parts.append(escape(ngettext("%(num)d photo", "%(num)d photos", photos)))
    url = str(params.get("url") or "/projects/")
    path, _hash, anchor = url.partition("#")
    link = absolute_url(f"{path}?lang={locale}") + (f"#{anchor}" if anchor else "")
    parts.append(f'<a href="{escape(link)}">' + escape(_("Read the update")) + "</a>")
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


PUBLISHED_HERE_TEMPLATE = "project.published_here"
SUPPORTED_STATUS_TEMPLATE = "project.supported_status"


def render_published_here(params: Mapping[str, Any], locale: str) -> str:
    """To the authorities of a place: a member's proposal for it was published."""
    from diaspora.i18n import localized_text

    title = shorten(str(params.get("title") or ""), 300)
    place = localized_text(params.get("place"), locale) if params.get("place") else ""
    summary = shorten(str(params.get("summary") or ""), 600)
    parts = [escape(_("A new proposal for %(place)s: “%(title)s”. Its proposer waits for "
                      "your answer.", place=place, title=title))]
    if summary:
        parts.append("<i>" + escape(summary) + "</i>")
    url = absolute_url(f"{params.get('url', '/projects/')}?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("Open the project")) + "</a>")
    return "\n\n".join(parts)


def render_supported_status(params: Mapping[str, Any], locale: str) -> str:
    """To a project's supporters: its status changed."""
    from diaspora.projects.lifecycle import STATE_LABELS

    label = STATE_LABELS.get(str(params.get("status")))
    title = shorten(str(params.get("title") or ""), 300)
    parts = [escape(_("A project you support, “%(title)s”, has a new status:", title=title))
             + " <b>" + escape(str(label) if label else "") + "</b>"]
    url = absolute_url(f"{params.get('url', '/projects/')}?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("Open the project")) + "</a>")
    return "\n\n".join(parts)

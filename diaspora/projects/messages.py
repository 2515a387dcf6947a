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

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

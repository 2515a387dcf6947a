"""The Telegram messages of support requests: to the requester, what the authority did
("support.step": an answer, a referral to a service, the closing); to the authorities of the
place, a new request, a reply or a moderator's reminder ("support.authority")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from diaspora.delivery.messages import absolute_url, escape, shorten

STEP_TEMPLATE = "support.step"
AUTHORITY_TEMPLATE = "support.authority"


def _kind(params: Mapping[str, Any]) -> str:
    from diaspora.support.service import KINDS

    label = KINDS.get(str(params.get("kind")))
    return str(label) if label else ""


def _link(params: Mapping[str, Any], locale: str, label: str) -> str:
    url = absolute_url(f"{params.get('url', '/support/')}?lang={locale}")
    return f'<a href="{escape(url)}">' + escape(label) + "</a>"


def render_step(params: Mapping[str, Any], locale: str) -> str:
    """To the requester (params: event answer|referral|closing, kind, text, service, url)."""
    event, kind = params.get("event"), _kind(params)
    if event == "referral":
        head = _("The local authority referred you to a service about your request (%(kind)s):",
                 kind=kind)
    elif event == "closing":
        head = _("The local authority closed your request (%(kind)s).", kind=kind)
    else:
        head = _("The local authority answered your request (%(kind)s):", kind=kind)
    parts = ["<b>" + escape(head) + "</b>"]
    service = params.get("service")
    if isinstance(service, Mapping):
        lines = ["🏢 <b>" + escape(shorten(str(service.get("name") or ""), 200)) + "</b>"]
        for icon, key in (("📍", "address"), ("📞", "phone"), ("🕘", "hours")):
            value = shorten(str(service.get(key) or ""), 300)
            if value:
                lines.append(f"{icon} " + escape(value))
        parts.append("\n".join(lines))
    text = shorten(str(params.get("text") or ""), 1500)
    if text:
        parts.append("<i>" + escape(text) + "</i>")
    if event != "closing":
        parts.append(escape(_("You can answer here: open “Help on return”, then “My requests”.")))
    parts.append(_link(params, locale, _("Open the request")))
    return "\n\n".join(parts)


def render_authority(params: Mapping[str, Any], locale: str) -> str:
    """To the authorities of the place: the need and the place, never the member's words
    (they may be about health or family: they stay on the site)."""
    from diaspora.i18n import localized_text

    place = localized_text(params.get("place"), locale) if params.get("place") else ""
    kind, event = _kind(params), params.get("event")
    if event == "support.reply":
        head = _("A member answered on their support request (%(kind)s, %(place)s).",
                 kind=kind, place=place)
    elif event == "support.remind":
        head = _("Reminder: a support request for %(place)s (%(kind)s) has waited for an "
                 "answer for more than 14 days.", place=place, kind=kind)
    else:
        head = _("A returnee asks for support in %(place)s: %(kind)s. They wait for your "
                 "answer.", place=place, kind=kind)
    return "\n\n".join([escape(head), _link(params, locale, _("Open the request"))])

"""The Telegram message that invites a member to a survey (outbox template
"survey.invitation")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from diaspora.delivery.messages import SUMMARY_MAX, absolute_url, escape, shorten
from diaspora.i18n import localized, localized_text

TEMPLATE = "survey.invitation"
RESULTS_TEMPLATE = "survey.results"


def render_invitation(params: Mapping[str, Any], locale: str) -> str:
    """The survey's title, its introduction, and how to answer: in the bot (/surveys) or on
    the site."""
    title = localized(params.get("title"), locale)
    intro = shorten(localized_text(params.get("intro"), locale), SUMMARY_MAX)
    url = absolute_url(f"{params.get('url', '/surveys/')}?lang={locale}")
    heading = (escape(_("A new survey for you:"))
               + f" <b>{escape(shorten(title.text, 300))}</b>")
    if not title.exact:
        heading += " <i>" + escape(_("(not available in your language)")) + "</i>"
    parts = [heading]
    if intro:
        parts.append(escape(intro))
    parts.append(escape(_("Answer here with /surveys, or on the site:"))
                 + f' <a href="{escape(url)}">' + escape(_("open the survey")) + "</a>")
    return "\n\n".join(parts)


def render_results(params: Mapping[str, Any], locale: str) -> str:
    """To a member who answered: the results of the survey are published, with a link."""
    title = localized(params.get("title"), locale)
    url = absolute_url(f"{params.get('url', '/surveys/')}?lang={locale}")
    heading = (escape(_("The results of a survey you answered are published:"))
               + f" <b>{escape(shorten(title.text, 300))}</b>")
    if not title.exact:
        heading += " <i>" + escape(_("(not available in your language)")) + "</i>"
    return (heading + "\n\n" + escape(_("Thank you for taking part."))
            + f' <a href="{escape(url)}">' + escape(_("See the results")) + "</a>")

"""/queue in Telegram: a verified local authority's proposals waiting for its answer (the web's
/projects/queue), the oldest first, each with a link to answer it on the site.

Registered by bot/handlers/projects.py. Whether the member is a verified authority is read
from the database at every /queue (`projects.authority_queue` checks `projects.answer_queue`),
so a verification or a revocation counts from the next message on.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from telegram import Update
from telegram.ext import Application, ContextTypes
from telegram.ext import filters as tg_filters

from bot.handlers import menu
from bot.handlers.common import call_service, say, send
from bot.runtime import clip, esc, esc_clip, h, lang
from diaspora.accounts import telegram as tg
from diaspora.accounts.permissions import can
from diaspora.delivery.messages import absolute_url
from diaspora.errors import PermissionDenied
from diaspora.projects import service as projects

Ctx = ContextTypes.DEFAULT_TYPE
SHOWN = 10  # proposals a message; the rest are on the site
NOT_AN_AUTHORITY = _l("Only a verified local authority has proposals to answer. To represent "
                      "your aiyl okmotu, district or city, ask on your account page on the "
                      "website.")


@dataclass(frozen=True)
class Waiting:
    title: str
    place: str
    days: int | None
    url: str


@dataclass(frozen=True)
class Queue:
    items: list[Waiting]
    more: bool


def _queue(chat_id: int, locale: str) -> Queue:
    user = tg.require_chat_user(chat_id)
    if not can(user, "projects.answer_queue"):
        raise PermissionDenied(NOT_AN_AUTHORITY)
    page = projects.authority_queue(user, 1)
    items = [Waiting(project.title, project.place.full_name(locale) if project.place else "",
                     projects.days_waiting(project),
                     absolute_url(f"/projects/{project.id}?lang={locale}"))
             for project in page.items[:SHOWN]]
    return Queue(items, page.has_next or len(page.items) > SHOWN)


async def queue_command(update: Update, context: Ctx) -> None:
    locale = lang(update, context)
    found = await call_service(update, context, _queue, update.effective_chat.id, locale)
    if found is None:
        return  # refused: the service said why
    if not found.items:
        await say(update, context, _l("No proposal is waiting for your answer."))
        return
    heading = h(context, locale, _l("Proposals waiting for your answer"))
    lines = [f"<b>{heading}</b>"]
    for number, item in enumerate(found.items, start=1):
        waited = ("" if item.days is None
                  else " · " + h(context, locale, lazy_ngettext(
                      "waiting for an answer for %(num)d day",
                      "waiting for an answer for %(num)d days", item.days)))
        answer = h(context, locale, _l("Answer on the site"))
        lines += ["", f"<b>{number}. {esc_clip(item.title, 200)}</b>",
                  f"📍 {esc_clip(item.place, 150)}{waited}",
                  f'<a href="{esc(item.url)}">{answer}</a>']
    if found.more:
        queue_url = absolute_url(f"/projects/queue?lang={locale}")
        lines += ["", f'<a href="{esc(queue_url)}">'
                  + h(context, locale, _l("More on the site")) + "</a>"]
    await send(update, context, clip("\n".join(lines)))


def register(application: Application) -> None:
    menu.add_command(application, "queue", _l("Local authorities: proposals to answer"),
                     queue_command, order=28, handler_filters=tg_filters.ChatType.PRIVATE)

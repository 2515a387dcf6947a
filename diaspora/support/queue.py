"""Support requests left unanswered for 14 days, in the moderators' one queue: a moderator
reminds the place's authorities (they are told again) or dismisses the entry. The decision's
row and its audit are the queue's; the reminder is audited here."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from diaspora.moderation.queue import QueueItem, QueueSource, action, register_source
from diaspora.support import service as support
from diaspora.support.models import SupportRequest

SOURCE = "support_unanswered"


def init_app(app: Flask) -> None:
    register_source(app, QueueSource(SOURCE, _l("Support request unanswered for 14 days"),
                                     items=_items, get=_get, act=_act))


def _locale() -> str:
    from diaspora.main.templating import current_locale

    return current_locale()


def _item(request: SupportRequest) -> QueueItem:
    locale = _locale()
    place = request.place.full_name(locale) if request.place is not None else ""
    stamp = str(int(request.flagged_at.timestamp())) if request.flagged_at else "0"
    return QueueItem(
        source=SOURCE, item_id=request.id, token=stamp,
        label=_l("Support request unanswered for 14 days"),
        title=str(support.KINDS.get(request.kind, request.kind)),
        # The member's words stay on the request's page (moderators may open it).
        excerpt=place, url=f"/support/{request.id}", author_id=request.requester_id,
        created_at=request.created_at, actions=(action("remind"), action("dismiss")),
        history_of=("supportrequest", request.id), details=(place,) if place else ())


def _items(limit: int) -> list[QueueItem]:
    return [_item(request) for request in support.flagged_requests(limit)]


def _get(request_id: int) -> QueueItem | None:
    found = support.flagged_requests(1, request_id)
    return _item(found[0]) if found else None


def _act(actor: Any, request_id: int, name: str, reason: str) -> None:
    if name == "remind":
        request = support.flagged_requests(1, request_id)[0]
        support.remind_authorities(actor, request)

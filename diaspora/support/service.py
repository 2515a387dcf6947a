"""Support operations shared by the web site, the bot and housekeeping.

Asking: `create_request` (the member, any place; the place's verified authorities, and those of
its district and region, are told). The thread: `act` (the authority or staff answer, refer the
member to a service of the directory, or close), `reply` (the requester writes back). Each step
is audited and tells the other side in their own language. Reading: `get_request` (404 for
whoever may not see it), `own_requests`, `authority_queue`. Housekeeping: `flag_unanswered`
(14 days without an answer: the moderators' queue). The local services directory:
`save_service`, `delete_service`, `directory`. Personal data: `export_member_requests`,
`erase_member_requests`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import selectinload

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.accounts.permissions import can, require, verified_place_ids
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.notifications.service import notify, notify_all
from diaspora.places.models import Place
from diaspora.support.models import (
    ANSWER,
    ANSWERED,
    CLOSED,
    CLOSING,
    CONTACT_CHANNELS,
    REFERRAL,
    REPLY,
    WAITING,
    SupportMessage,
    SupportRequest,
    SupportService,
)

DESCRIPTION_MAX = 2000
MESSAGE_MAX = 2000
CONTACT_MAX = 200
UNANSWERED_AFTER = timedelta(days=14)
PER_PAGE = 20

# What a returnee may ask help with (the national migration policy's list of needs).
KINDS: dict[str, Any] = {
    "employment": _l("Employment"),
    "business": _l("Starting a business"),
    "legal": _l("Legal matters and documents"),
    "schooling": _l("Children's schooling"),
    "health": _l("Health"),
    "psychological": _l("Psychological support"),
    "housing": _l("Housing"),
    "information": _l("Information"),
}
CONTACT_LABELS: dict[str, Any] = {
    "telegram": _l("Telegram"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
}
STATE_LABELS: dict[str, Any] = {
    WAITING: _l("Waiting for an answer"),
    ANSWERED: _l("Answered"),
    CLOSED: _l("Closed"),
}
# What the authority (or staff) may do on a request.
ACTIONS = ("answer", "refer", "close")

SERVICE_NAME_MAX, ADDRESS_MAX, PHONE_MAX, HOURS_MAX = 200, 300, 50, 200

_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,24}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TELEGRAM_USERNAME = re.compile(r"@?[A-Za-z0-9_]{5,32}")


# -- checking what is typed (the web forms and the bot's questions call these) --------------------


def _text(value: str | None, limit: int, field: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(_l("This field is required."), field=field)
    if len(text) > limit:
        raise ValidationError(_l("This is too long: at most %(n)d characters.", n=limit),
                              field=field)
    return text


def clean_description(value: str | None) -> str:
    return _text(value, DESCRIPTION_MAX, "description", required=True)


def clean_message(value: str | None) -> str:
    return _text(value, MESSAGE_MAX, "body", required=True)


def clean_kind(value: str | None) -> str:
    if value not in KINDS:
        raise ValidationError(_l("Choose one of the options offered."), field="kind")
    return str(value)


def clean_phone(value: str | None) -> str:
    text = " ".join((value or "").split())
    digits = sum(ch.isdigit() for ch in text)
    if not _PHONE.fullmatch(text) or digits < 6 or digits > 15:
        raise ValidationError(_l("Write a phone number in digits, for example +996 555 123 456."),
                              field="contact_value")
    return text


def clean_email(value: str | None) -> str:
    text = (value or "").strip()
    if not _EMAIL.fullmatch(text) or len(text) > CONTACT_MAX:
        raise ValidationError(_l("Write an e-mail address, for example name@example.org."),
                              field="contact_value")
    return text


def clean_contact(channel: str | None, value: str | None) -> tuple[str, str]:
    """How the member wants to be contacted. Telegram needs no value when the member uses the
    bot (the authority answers through the site and the bot); otherwise a username."""
    if channel not in CONTACT_CHANNELS:
        raise ValidationError(_l("Choose one of the options offered."), field="contact_channel")
    if channel == "phone":
        return channel, clean_phone(value)
    if channel == "email":
        return channel, clean_email(value)
    text = (value or "").strip()
    if text and not TELEGRAM_USERNAME.fullmatch(text):
        raise ValidationError(_l("Write your Telegram username, for example @aibek_95, or "
                                 "leave it empty."), field="contact_value")
    return channel, ("@" + text.lstrip("@")) if text else ""


def _place(place_id: int | None) -> Place:
    place = db.session.get(Place, place_id) if place_id else None
    if place is None:
        raise ValidationError(_l("Choose the place."), field="place_id")
    return place


# -- asking ---------------------------------------------------------------------------------------


@dataclass
class RequestDraft:
    kind: str | None
    place_id: int | None
    description: str
    contact_channel: str | None = "telegram"
    contact_value: str = ""
    women_services: bool = False
    children_services: bool = False
    language: str = "ky"


def home_place_of(user: Any) -> Place | None:
    profile = getattr(user, "profile", None)
    return getattr(profile, "home_place", None) if profile is not None else None


def create_request(actor: User, draft: RequestDraft) -> SupportRequest:
    require(actor, "support.ask")
    kind = clean_kind(draft.kind)
    place = _place(draft.place_id)
    description = clean_description(draft.description)
    channel, value = clean_contact(draft.contact_channel, draft.contact_value)
    request = SupportRequest(
        requester_id=actor.id, place_id=place.id, region_id=place.region_id,
        district_id=place.district_id, kind=kind, description=description,
        language=draft.language if draft.language in SUPPORTED_LOCALES else "ky",
        contact_channel=channel, contact_value=value,
        women_services=bool(draft.women_services),
        children_services=bool(draft.children_services), status=WAITING,
        created_at=utcnow(), waiting_since=utcnow())
    db.session.add(request)
    db.session.flush()
    audit.record(actor, "support.request", request,
                 after={"status": WAITING, "kind": kind, "place_id": place.id})
    tell_place_authorities(actor, request, "support.new")
    db.session.commit()
    return request


def _authorities_of(request: SupportRequest) -> Any:
    """The verified authorities of the request's place and of the places it lies in."""
    place = request.place
    place_ids = {place.id, place.district_id, place.region_id, place.parent_id} - {None}
    return (select(AuthorityPlace.user_id)
            .join(User, User.id == AuthorityPlace.user_id)
            .where(AuthorityPlace.place_id.in_(place_ids), AuthorityPlace.verified_at.is_not(None),
                   User.role == "authority", AuthorityPlace.user_id != request.requester_id))


def tell_place_authorities(actor: Any, request: SupportRequest, event: str) -> int:
    """The authorities hear of a new request, a member's reply or a moderator's reminder.
    The message names the need and the place only: the description (health, family) stays
    on the site, behind the authority's login, never in a Telegram chat's history."""
    from diaspora.support.messages import AUTHORITY_TEMPLATE

    url = f"/support/{request.id}"
    kind = "support.reply" if event == "support.reply" else "support.new"
    return notify_all(_authorities_of(request), kind, AUTHORITY_TEMPLATE,
                      {"event": event, "kind": request.kind, "request_id": request.id,
                       "place": {code: request.place.full_name(code)
                                 for code in SUPPORTED_LOCALES},
                       "url": url}, url=url, actor=actor)


# -- reading --------------------------------------------------------------------------------------


def get_request(actor: Any, request_id: int) -> SupportRequest:
    """The request if `actor` may see it; for anybody else it does not exist."""
    request = db.session.get(SupportRequest, request_id)
    if request is None or not can(actor, "support.view", request):
        raise NotFound(_l("This request does not exist."))
    return request


def thread(request: SupportRequest) -> list[SupportMessage]:
    return list(db.session.scalars(
        select(SupportMessage).where(SupportMessage.request_id == request.id)
        .options(selectinload(SupportMessage.author))
        .order_by(SupportMessage.id)))


def own_requests(actor: User, limit: int = 100, *, with_thread: bool = False
                 ) -> list[SupportRequest]:
    """The member's requests, newest first (with their threads in one more query when the
    caller shows them: the bot's "My requests")."""
    query = (select(SupportRequest).where(SupportRequest.requester_id == actor.id)
             .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc()).limit(limit))
    if with_thread:
        query = query.options(selectinload(SupportRequest.messages))
    return list(db.session.scalars(query))


def authority_queue(actor: User, page: int = 1) -> Any:
    """Open requests for the actor's places (every place for staff): those waiting for an
    answer first, the longest waiting first; then those answered and not yet closed."""
    require(actor, "support.queue")
    query = select(SupportRequest).where(SupportRequest.status != CLOSED)
    if not can(actor, "support.any_place"):
        ids = sorted(verified_place_ids(actor))
        query = query.where(or_(SupportRequest.place_id.in_(ids),
                                SupportRequest.district_id.in_(ids),
                                SupportRequest.region_id.in_(ids)),
                            SupportRequest.requester_id != actor.id)
    query = query.order_by((SupportRequest.status != WAITING), SupportRequest.waiting_since,
                           SupportRequest.created_at, SupportRequest.id)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def days_waiting(request: SupportRequest, now: datetime | None = None) -> int | None:
    """Days the member has waited for the authority's (next) answer."""
    if request.status != WAITING or request.waiting_since is None:
        return None
    return ((now or utcnow()) - request.waiting_since).days


# -- the thread -----------------------------------------------------------------------------------


def _service_for(request: SupportRequest, service_id: int | None) -> SupportService:
    """A service of the directory of the request's place, or of the district or region it
    lies in: the member can actually go there."""
    service = db.session.get(SupportService, service_id) if service_id else None
    place = request.place
    near = {place.id, place.district_id, place.region_id, place.parent_id} - {None}
    if service is None or service.place_id not in near:
        raise ValidationError(_l("Choose a service of the directory."), field="service_id")
    return service


def services_for_request(request: SupportRequest) -> list[SupportService]:
    place = request.place
    near = {place.id, place.district_id, place.region_id, place.parent_id} - {None}
    return list(db.session.scalars(
        select(SupportService).where(SupportService.place_id.in_(near))
        .order_by(SupportService.kind != request.kind, SupportService.name)))


def act(actor: User, request: SupportRequest, action: str, body: str = "",
        service_id: int | None = None) -> SupportMessage:
    """The authority (or staff) answers, refers the member to a service, or closes the
    request; the member is told in their language."""
    require(actor, "support.answer", request)
    if action not in ACTIONS:
        raise ValidationError(_l("Choose one of the options offered."), field="action")
    if request.status == CLOSED:
        raise InvalidTransition(_l("This request is closed."))
    service = None
    if action == "answer":
        text = clean_message(body)
    elif action == "refer":
        service = _service_for(request, service_id)
        text = _text(body, MESSAGE_MAX, "body")
    else:
        text = _text(body, MESSAGE_MAX, "body")
    now, before = utcnow(), request.status
    message = SupportMessage(request_id=request.id, author_id=actor.id, body=text,
                             kind={"answer": ANSWER, "refer": REFERRAL,
                                   "close": CLOSING}[action],
                             service_id=service.id if service else None, created_at=now)
    db.session.add(message)
    request.status = CLOSED if action == "close" else ANSWERED
    request.waiting_since = None
    if action == "close":
        request.closed_at = now
    elif request.first_answered_at is None:
        request.first_answered_at = now
    db.session.flush()
    audit.record(actor, f"support.{action}", request, before={"status": before},
                 after={"status": request.status, "message_id": message.id,
                        "service_id": message.service_id})
    _tell_requester(actor, request, message)
    db.session.commit()
    return message


def _tell_requester(actor: Any, request: SupportRequest, message: SupportMessage) -> None:
    from diaspora.support.messages import STEP_TEMPLATE

    service = message.service
    params: dict[str, Any] = {"event": message.kind, "kind": request.kind,
                              "text": message.body, "url": f"/support/{request.id}"}
    if service is not None:
        params["service"] = {"name": service.name, "address": service.address,
                             "phone": service.phone, "hours": service.hours}
    notify(request.requester, "support.answered", STEP_TEMPLATE, params,
           url=f"/support/{request.id}", actor=actor)


def reply(actor: User, request: SupportRequest, body: str) -> SupportMessage:
    """The requester writes back: the request waits for the authority again."""
    require(actor, "support.reply", request)
    if request.status == CLOSED:
        raise InvalidTransition(_l("This request is closed. If you still need help, ask again."))
    text = clean_message(body)
    now, before = utcnow(), request.status
    message = SupportMessage(request_id=request.id, author_id=actor.id, body=text, kind=REPLY,
                             created_at=now)
    db.session.add(message)
    request.status, request.waiting_since = WAITING, now
    db.session.flush()
    audit.record(actor, "support.reply", request, before={"status": before},
                 after={"status": WAITING, "message_id": message.id})
    tell_place_authorities(actor, request, "support.reply")
    db.session.commit()
    return message


# -- housekeeping: the 14-day flag ----------------------------------------------------------------


def _unanswered_due() -> Any:
    return (SupportRequest.status == WAITING, SupportRequest.first_answered_at.is_(None))


def flag_unanswered() -> int:
    """Flag to moderators the requests nobody has answered for 14 days."""
    cutoff = utcnow() - UNANSWERED_AFTER
    due = db.session.scalars(
        select(SupportRequest).where(*_unanswered_due(), SupportRequest.created_at <= cutoff,
                                     SupportRequest.flagged_at.is_(None))
        .with_for_update(skip_locked=True, of=SupportRequest)
    ).all()
    now = utcnow()
    for request in due:
        request.flagged_at = now
        audit.record(None, "support.flag_unanswered", request,
                     before={"flagged": False}, after={"flagged": True})
    db.session.commit()
    return len(due)


def flagged_requests(limit: int = 200, request_id: int | None = None) -> list[SupportRequest]:
    """Flagged and still unanswered: what the moderators' queue lists."""
    query = (select(SupportRequest)
             .where(*_unanswered_due(), SupportRequest.flagged_at.is_not(None))
             .order_by(SupportRequest.created_at, SupportRequest.id).limit(limit))
    if request_id is not None:
        query = query.where(SupportRequest.id == request_id)
    return list(db.session.scalars(query))


def remind_authorities(actor: User, request: SupportRequest) -> int:
    require(actor, "support.any_place")
    told = tell_place_authorities(actor, request, "support.remind")
    audit.record(actor, "support.remind_authorities", request, after={"told": told})
    return told


# -- the local services directory -----------------------------------------------------------------


@dataclass
class ServiceFields:
    name: str
    kind: str | None
    address: str = ""
    phone: str = ""
    languages: list[str] | None = None
    hours: str = ""


def _clean_service(fields: ServiceFields) -> dict[str, Any]:
    phone = (fields.phone or "").strip()
    return {
        "name": _text(fields.name, SERVICE_NAME_MAX, "name", required=True),
        "kind": clean_kind(fields.kind),
        "address": _text(fields.address, ADDRESS_MAX, "address"),
        "phone": clean_phone(phone).strip() if phone else "",
        "languages": [code for code in SUPPORTED_LOCALES if code in (fields.languages or [])],
        "hours": _text(fields.hours, HOURS_MAX, "hours"),
    }


def _service_state(service: SupportService) -> dict[str, Any]:
    return {"name": service.name, "kind": service.kind, "address": service.address,
            "phone": service.phone, "languages": list(service.languages or []),
            "hours": service.hours, "place_id": service.place_id}


def get_service(service_id: int) -> SupportService:
    service = db.session.get(SupportService, service_id)
    if service is None:
        raise NotFound(_l("This service does not exist."))
    return service


def save_service(actor: User, place_id: int | None, fields: ServiceFields,
                 service: SupportService | None = None) -> SupportService:
    """Add a service to a place's directory, or change one (its place may change, within the
    places the actor keeps)."""
    if service is not None:
        require(actor, "support.manage_services", service.place)
    place = _place(place_id)
    require(actor, "support.manage_services", place)
    values = _clean_service(fields)
    if service is None:
        before = None
        service = SupportService(place_id=place.id, created_by_id=actor.id, **values)
        db.session.add(service)
    else:
        before = _service_state(service)
        service.place_id = place.id
        for name, value in values.items():
            setattr(service, name, value)
    db.session.flush()
    audit.record(actor, "support.service_save", service, before=before,
                 after=_service_state(service))
    db.session.commit()
    return service


def delete_service(actor: User, service: SupportService) -> None:
    require(actor, "support.manage_services", service.place)
    audit.record(actor, "support.service_delete", service, before=_service_state(service))
    db.session.delete(service)
    db.session.commit()


def directory(place: Place, kind: str | None = None) -> list[SupportService]:
    """The services serving `place`: its own and those of the district and region it lies in
    (a region's legal aid office serves every village of it), by kind then name."""
    near = {place.id, place.district_id, place.region_id, place.parent_id} - {None}
    query = select(SupportService).where(SupportService.place_id.in_(near))
    if kind is not None:
        query = query.where(SupportService.kind == kind)
    return list(db.session.scalars(query.order_by(SupportService.kind, SupportService.name)))


def managed_places(actor: Any) -> list[Place]:
    """The places whose directory the actor keeps (their verified places)."""
    from diaspora.accounts.permissions import verified_places

    return verified_places(actor)


# -- personal data --------------------------------------------------------------------------------


def export_member_requests(member: Any) -> list[dict[str, Any]]:
    requests = db.session.scalars(
        select(SupportRequest).where(SupportRequest.requester_id == member.id)
        .options(selectinload(SupportRequest.messages)).order_by(SupportRequest.id)).all()
    return [{"id": r.id, "kind": r.kind, "place_id": r.place_id, "description": r.description,
             "language": r.language, "contact": {"channel": r.contact_channel,
                                                  "value": r.contact_value},
             "women_services": r.women_services, "children_services": r.children_services,
             "status": r.status, "created_at": r.created_at.isoformat(),
             "messages": [{"kind": m.kind, "text": m.body, "mine": m.author_id == member.id,
                           "service_id": m.service_id, "created_at": m.created_at.isoformat()}
                          for m in r.messages]}
            for r in requests]


def erase_member_requests(member: Any) -> None:
    """A member's requests (and the thread of each) are theirs alone: erased whole. What they
    answered on others' requests as an authority stays: it is the office's answer, and the
    requester's record of it."""
    mine = select(SupportRequest.id).where(SupportRequest.requester_id == member.id)
    db.session.execute(delete(SupportMessage).where(SupportMessage.request_id.in_(mine)))
    db.session.execute(delete(SupportRequest).where(SupportRequest.requester_id == member.id))

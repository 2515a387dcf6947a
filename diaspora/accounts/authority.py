"""Local authorities: a member asks to speak for a place (position, organisation, an optional
document), moderators verify, reject or later revoke, and the member is told each time.

One request names one place (one `AuthorityPlace` row): each place is decided on, and can be
revoked, on its own, and its document belongs to it. An authority of several places sends the
form once per place; the form offers the position and organisation of their last request.

The powers of an authority are read from `AuthorityPlace.verified_at` on every web request
and every bot update (nothing caches them), so a decision takes effect at the next click or
message. Each decision is audited and notifies the member in their language (kind and
outbox template "authority.decision", registered by the accounts feature).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.accounts.permissions import can, is_member, is_staff, require, rule
from diaspora.errors import InvalidTransition, NotFound, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.images import process_image
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.places.models import Place

POSITION_MAX = 120
ORGANISATION_MAX = 200
REASON_MAX = 500
DEFAULT_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
PDF = "application/pdf"
NOTIFICATION_KIND = "authority.decision"
DECISION_TEMPLATE = "authority.decision"
NOTIFICATION_LABEL = _l("Moderators' decisions on my requests to represent a local authority")
NOT_A_DOCUMENT = _l("This file is neither an image (JPEG, PNG or WebP) nor a PDF. "
                    "Attach a photo or a scan of the document.")


@rule("authority.view_document")
def _view_document(user: Any, link: Any) -> bool:
    """Staff check a request's document; the member who sent it may look at it again.
    Nobody else, and never a shared cache."""
    return link is not None and (is_staff(user) or (is_member(user) and link.user_id == user.id))


def _clean(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def document_max_bytes() -> int:
    return int(current_app.config.get("AUTHORITY_DOCUMENT_MAX_BYTES",
                                       DEFAULT_DOCUMENT_MAX_BYTES))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


def _kind_of(data: bytes) -> str | None:
    """What the bytes are, whatever the file was called or claimed to be."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image"
    return None


def read_document(data: bytes) -> tuple[bytes, str]:
    """Check an uploaded proof and return what is stored: an image re-encoded by the image
    pipeline (so EXIF, such as the GPS position of the phone, is dropped), or a PDF as it
    came. Anything else is refused, whatever its name or declared type."""
    limit = document_max_bytes()
    if not data:
        raise ValidationError(_l("The file is empty."), field="document")
    if len(data) > limit:
        raise ValidationError(
            _l("The file is too large (at most %(size)s MB).", size=megabytes(limit)),
            field="document")
    kind = _kind_of(data)
    if kind == "pdf":
        return data, PDF
    if kind == "image":
        try:
            picture = process_image(data, renditions=False)  # never shown on a page
        except ValidationError as error:
            raise ValidationError(NOT_A_DOCUMENT, field="document") from error
        return picture.data, picture.content_type
    raise ValidationError(NOT_A_DOCUMENT, field="document")


# -- asking ------------------------------------------------------------------------------------


def request_authority(actor: User, place: Place | None, organisation: str, position: str = "",
                      document: bytes | None = None) -> AuthorityPlace:
    """A member says they speak for a local authority at `place`; a moderator must verify
    it. Asking again after a rejection or a revocation reopens the same row."""
    require(actor, "authority.request")
    organisation = _clean(organisation, ORGANISATION_MAX)
    position = _clean(position, POSITION_MAX)
    if not position:
        raise ValidationError(_l("Say what your position is."), field="position")
    if not organisation:
        raise ValidationError(_l("Name your authority."), field="organisation")
    if place is None:
        raise ValidationError(_l("Choose the place your authority serves."), field="place_id")
    stored = read_document(document) if document else None
    link = db.session.scalar(
        select(AuthorityPlace).where(
            AuthorityPlace.user_id == actor.id, AuthorityPlace.place_id == place.id
        )
    )
    if link is not None and link.status in ("pending", "verified"):
        raise InvalidTransition(_l("You have already asked to represent this place."))
    before = {"status": link.status} if link is not None else None
    if link is None:
        link = AuthorityPlace(user_id=actor.id, place_id=place.id)
        db.session.add(link)
    link.organisation, link.position, link.requested_at = organisation, position, utcnow()
    link.verified_by_id = None
    link.rejected_at = link.rejected_by_id = link.reject_reason = None
    link.revoked_at = link.revoked_by_id = link.revoke_reason = None
    link.document, link.document_type, link.document_size = (
        (stored[0], stored[1], len(stored[0])) if stored else (None, None, None))
    if actor.role == "member":
        actor.role = "authority"
    db.session.flush()
    audit.record(actor, "authority.request", link, before=before,
                 after={"status": "pending", "place_id": place.id, "position": position,
                        "organisation": organisation, "document": link.document_type})
    db.session.commit()
    return link


def own_requests(user: User) -> list[AuthorityPlace]:
    """The member's requests, newest first, whatever became of them."""
    return sorted(user.authority_places, key=lambda link: link.requested_at, reverse=True)


def last_request(user: User) -> AuthorityPlace | None:
    requests = own_requests(user)
    return requests[0] if requests else None


# -- what moderators see -----------------------------------------------------------------------


def pending_authorities() -> list[AuthorityPlace]:
    """Requests waiting for a moderator, oldest first, each with its member (name, e-mail)
    and place loaded: the moderation queue shows position, organisation, place, who asked,
    when, and whether a document is attached (`has_document`, `document_url`)."""
    return list(db.session.scalars(
        select(AuthorityPlace)
        .where(AuthorityPlace.verified_at.is_(None), AuthorityPlace.rejected_at.is_(None),
               AuthorityPlace.revoked_at.is_(None))
        .options(joinedload(AuthorityPlace.user))
        .order_by(AuthorityPlace.requested_at, AuthorityPlace.id)
    ).unique())


def verified_authorities(limit: int = 500) -> list[AuthorityPlace]:
    """Verified authorities, most recently verified first: what a moderator may revoke."""
    return list(db.session.scalars(
        select(AuthorityPlace)
        .where(AuthorityPlace.verified_at.is_not(None))
        .options(joinedload(AuthorityPlace.user))
        .order_by(AuthorityPlace.verified_at.desc(), AuthorityPlace.id.desc())
        .limit(limit)
    ).unique())


def get_request(link_id: int) -> AuthorityPlace:
    link = db.session.get(AuthorityPlace, link_id)
    if link is None:
        raise NotFound(_l("No such request."))
    return link


def document_url(link: AuthorityPlace) -> str | None:
    return f"/moderation/authorities/{link.id}/document" if link.has_document else None


def document_for(viewer: Any, link_id: int) -> tuple[bytes, str]:
    """The document of a request, for staff and for the member who sent it; for everybody
    else it does not exist (NotFound, not a refusal that would confirm it does)."""
    link = db.session.scalar(select(AuthorityPlace).where(AuthorityPlace.id == link_id)
                             .options(undefer(AuthorityPlace.document)))
    if link is None or link.document is None or not can(viewer, "authority.view_document", link):
        raise NotFound(_l("No such document."))
    return link.document, link.document_type or "application/octet-stream"


# -- deciding ----------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_l("Say why: the member is told."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(_l("At most %(max)d characters.", max=REASON_MAX), field="reason")
    return reason


def _back_to_member(user: User) -> None:
    """A member with nothing verified and nothing waiting is no authority any more."""
    if user.role == "authority" and not any(
            link.status in ("pending", "verified") for link in user.authority_places):
        user.role = "member"


def verify_authority(actor: User, link: AuthorityPlace) -> AuthorityPlace:
    require(actor, "authority.verify", link)
    if link.status != "pending":
        raise InvalidTransition(_l("This request was already decided."))
    link.verified_at = utcnow()
    link.verified_by_id = actor.id
    if link.user.role == "member":
        link.user.role = "authority"
    audit.record(actor, "authority.verify", link, before={"status": "pending"},
                 after={"status": "verified", "user_id": link.user_id,
                        "place_id": link.place_id})
    _notify(actor, link, "verified")
    db.session.commit()
    return link


def reject_authority(actor: User, link: AuthorityPlace, reason: str) -> AuthorityPlace:
    require(actor, "authority.verify", link)
    if link.status != "pending":
        raise InvalidTransition(_l("This request was already decided."))
    reason = _reason(reason)
    link.rejected_at, link.rejected_by_id, link.reject_reason = utcnow(), actor.id, reason
    # The document was sent to be checked; once refused nobody needs to keep it.
    link.document = link.document_type = link.document_size = None
    db.session.flush()
    _back_to_member(link.user)
    audit.record(actor, "authority.reject", link, before={"status": "pending"},
                 after={"status": "rejected", "user_id": link.user_id,
                        "place_id": link.place_id, "reason": reason})
    _notify(actor, link, "rejected", reason)
    db.session.commit()
    return link


def revoke_authority(actor: User, link: AuthorityPlace, reason: str) -> AuthorityPlace:
    """A verified authority loses its place at once: `verified_at` is cleared, so the next
    page or bot message it sends is judged without that place."""
    require(actor, "authority.verify", link)
    if link.status != "verified":
        raise InvalidTransition(_l("Only a verified authority can be revoked."))
    reason = _reason(reason)
    verified_at = link.verified_at
    link.verified_at = None
    link.revoked_at, link.revoked_by_id, link.revoke_reason = utcnow(), actor.id, reason
    db.session.flush()
    _back_to_member(link.user)
    audit.record(actor, "authority.revoke", link,
                 before={"status": "verified", "verified_at": verified_at.isoformat()},
                 after={"status": "revoked", "user_id": link.user_id,
                        "place_id": link.place_id, "reason": reason})
    _notify(actor, link, "revoked", reason)
    db.session.commit()
    return link


# -- telling the member ------------------------------------------------------------------------


def _notify(actor: User, link: AuthorityPlace, decision: str, reason: str = "") -> None:
    from diaspora.notifications.service import notify

    place = link.place
    notify(link.user, NOTIFICATION_KIND, DECISION_TEMPLATE,
           {"decision": decision, "organisation": link.organisation or "",
            "place": {locale: place.full_name(locale) for locale in SUPPORTED_LOCALES},
            "reason": reason, "url": "/account#authority"},
           url="/account#authority", actor=actor)


def render_decision(params: Mapping[str, Any], locale: str) -> str:
    """The outbox/site text of a decision, in the member's language."""
    from diaspora.delivery.messages import absolute_url, escape, shorten

    names = params.get("place") or {}
    place = str(names.get(locale) or next(iter(names.values()), "")) if isinstance(
        names, Mapping) else str(names)
    organisation = shorten(str(params.get("organisation") or ""), 200)
    what = f"{organisation} — {place}" if organisation else place
    decision = params.get("decision")
    if decision == "verified":
        head = _("Your request to represent %(what)s is verified: you can now act for it "
                 "on Mekendesh.", what=what)
    elif decision == "revoked":
        head = _("Your verification as the authority of %(what)s was revoked.", what=what)
    else:
        head = _("Your request to represent %(what)s was rejected.", what=what)
    parts = [escape(head)]
    reason = shorten(str(params.get("reason") or ""), 1000)
    if reason:
        parts.append(escape(_("Reason: %(reason)s", reason=reason)))
    url = absolute_url(f"/account?lang={locale}")
    parts.append(f'<a href="{escape(url)}">' + escape(_("Open my account")) + "</a>")
    return "\n\n".join(parts)


# -- personal data -----------------------------------------------------------------------------


def export_requests(user: User) -> list[dict[str, Any]]:
    """The member's requests for the data download, their documents included (base64)."""
    links = db.session.scalars(
        select(AuthorityPlace).where(AuthorityPlace.user_id == user.id)
        .options(undefer(AuthorityPlace.document)).order_by(AuthorityPlace.id)).all()

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return [{
        "place": link.place.code,
        "position": link.position,
        "organisation": link.organisation,
        "status": link.status,
        "requested_at": iso(link.requested_at),
        "verified_at": iso(link.verified_at),
        "rejected_at": iso(link.rejected_at),
        "reject_reason": link.reject_reason,
        "revoked_at": iso(link.revoked_at),
        "revoke_reason": link.revoke_reason,
        "document": None if link.document is None else {
            "content_type": link.document_type,
            "size": link.document_size,
            "base64": base64.b64encode(link.document).decode("ascii"),
        },
    } for link in links]

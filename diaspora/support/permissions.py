"""Who may ask for support, see a request, answer it and keep the services directory (rules
of `can()`, registered when the support feature's `init_app` imports this module).

A request carries health, family and legal worries: it is seen by its requester, the verified
authorities of its place (and of the district and region it lies in) and staff; nobody else,
and for everybody else it does not exist (the pages answer 404).
"""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import (
    is_member,
    is_staff,
    is_verified_authority_for,
    rule,
    verified_place_ids,
)


def _is_requester(user: Any, request: Any) -> bool:
    return is_member(user) and request is not None and request.requester_id == user.id


def _answers_for(user: Any, request: Any) -> bool:
    """The authority of the request's place (not on their own request) or staff."""
    if not is_member(user) or request is None or request.requester_id == user.id:
        return False
    return is_staff(user) or is_verified_authority_for(user, request.place)


@rule("support.ask")
def _ask(user: Any, obj: Any) -> bool:
    """Any member asks for support, for any place of Kyrgyzstan."""
    return is_member(user)


@rule("support.view")
def _view(user: Any, request: Any) -> bool:
    return _is_requester(user, request) or (
        is_member(user) and request is not None
        and (is_staff(user) or is_verified_authority_for(user, request.place)))


@rule("support.answer")
def _answer(user: Any, request: Any) -> bool:
    """Answer, refer to a service, close: the place's authorities and staff."""
    return _answers_for(user, request)


@rule("support.reply")
def _reply(user: Any, request: Any) -> bool:
    """The requester writes back on their own request."""
    return _is_requester(user, request)


@rule("support.queue")
def _queue(user: Any, obj: Any) -> bool:
    """The requests' queue: verified authorities (their places) and staff (every place)."""
    return is_staff(user) or (is_member(user) and bool(verified_place_ids(user)))


@rule("support.any_place")
def _any_place(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("support.manage_services")
def _manage_services(user: Any, place: Any) -> bool:
    """The directory of a place is kept by its authorities (and those of the district and
    region above it) and by staff; `place` None asks whether the user keeps any."""
    if is_staff(user):
        return True
    if place is None:
        return is_member(user) and bool(verified_place_ids(user))
    return is_verified_authority_for(user, place)

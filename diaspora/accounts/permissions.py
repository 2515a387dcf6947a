"""Who may do what: the one place that decides, used by services, views, templates and the bot.

`can(user, action, obj)` answers. The rules of accounts, places and moderation are below; a
feature writes its own in its package (`diaspora/news/permissions.py`), registered with
`@rule(...)` when its `init_app` imports them, so adding a feature edits no file here.

A user without a rule's permission is refused (deny by default); an action no rule covers is
a programming error (a typo would otherwise be a silent denial), raised in testing and debug
and refused with an error in the log otherwise. `tests/permissions/test_actions.py` checks
statically that every action the code and the templates ask about has a rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context, has_request_context, session
from flask_babel import lazy_gettext as _l

from diaspora.errors import PermissionDenied

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}
# Actions that put a member's words on the platform (rule(..., posting=True)): refused while
# a moderator's mute is in force, with a message saying until when (require()).
_POSTING: set[str] = set()

log = logging.getLogger(__name__)


class UnknownAction(LookupError):
    """can()/require() was asked about an action no rule covers: a bug, not a refusal."""


class _Anonymous:
    """Who `None` stands for (the bot before registration, a service called without a user),
    so rules see the same kind of visitor as Flask-Login's anonymous user."""

    is_authenticated = False
    active = False
    id = None
    role = None
    authority_places: tuple = ()


ANONYMOUS = _Anonymous()


def rule(action: str, *, posting: bool = False) -> Callable[[Rule], Rule]:
    """Register `predicate` as the rule of `action`. `posting`: the action publishes the
    member's words (a proposal, a comment, an update, a news post), so it also needs
    `may_post` (a muted member is refused, and `require` says until when)."""

    def register(predicate: Rule) -> Rule:
        # Two helpers choosing the same name must not silently replace each other's rule.
        if action in _RULES:
            raise ValueError(f"permission rule {action!r} is registered twice")
        if posting:
            _POSTING.add(action)
            _RULES[action] = lambda user, obj: may_post(user) and predicate(user, obj)
        else:
            _RULES[action] = predicate
        return predicate

    return register


def _strict() -> bool:
    return has_app_context() and bool(current_app.testing or current_app.debug)


def can(user: Any, action: str, obj: Any = None) -> bool:
    predicate = _RULES.get(action)
    if predicate is None:
        if _strict():
            raise UnknownAction(f"no permission rule for {action!r}")
        log.error("permission asked for an unknown action %r: refused", action)
        return False
    return bool(predicate(ANONYMOUS if user is None else user, obj))


def require(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        if action in _POSTING:
            refuse_if_muted(user)
        raise PermissionDenied(_l("You are not allowed to do this."))


def is_posting_action(action: str) -> bool:
    return action in _POSTING


def registered_actions() -> list[str]:
    return sorted(_RULES)


# -- building blocks -------------------------------------------------------------------------


def is_member(user: Any) -> bool:
    """Signed in, active and not blocked by a moderator: a blocked account can do nothing."""
    return (bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "active", False))
            and not is_blocked(user))


# -- moderators' sanctions (kept on the users row by moderation/sanctions.py) ------------------
# Read from the row, compared with the clock: a mute or a block ends by itself when its time
# is over, with no job to clear it.


def _in_force(until: Any) -> bool:
    from diaspora.models import utcnow

    return until is not None and until > utcnow()


def is_blocked(user: Any) -> bool:
    """A block in force: `blocked` with no end (until lifted) or an end still to come."""
    if not getattr(user, "blocked", False):
        return False
    until = getattr(user, "blocked_until", None)
    return until is None or _in_force(until)


def is_muted(user: Any) -> bool:
    return _in_force(getattr(user, "muted_until", None))


def may_post(user: Any) -> bool:
    """Whether a member may put words on the platform (propose, comment, post updates and
    news): a member who is neither blocked nor muted now."""
    return is_member(user) and not is_muted(user)


def muted_message(user: Any) -> Any:
    """What a muted member is told when they try to post: until when, in their zone."""
    from diaspora.formatting import LazyWhen
    from diaspora.timezones import member_timezone

    return _l("A moderator has muted your account: you can read but not post until "
              "%(until)s.", until=LazyWhen(user.muted_until, member_timezone(user)))


def refuse_if_muted(user: Any) -> None:
    """Raise the mute's refusal (saying until when) if `user` is muted now."""
    if is_member(user) and is_muted(user):
        raise PermissionDenied(muted_message(user))


STAFF_ROLES: tuple[str, ...] = ("moderator", "admin")
# What the second sign-in step stores in the session (accounts/sessions.py): the user's
# session key ("<id>:<session version>") once a code was accepted in this session.
TWO_FACTOR_SESSION_KEY = "two_factor"


def has_staff_role(user: Any) -> bool:
    """The role alone, second factor or not: who must enrol an authenticator."""
    return is_member(user) and user.role in STAFF_ROLES


def second_factor_done(user: Any) -> bool:
    """Staff powers on the web need this session's second sign-in step (two_factor.py).

    Decided here, inside is_staff/is_admin, so every rule built on them (staff.area and
    each feature's staff actions) refuses an unverified session without knowing about it.
    Only the session's own user is concerned: asked about someone else (a notification's
    recipient, a list of moderators) the role alone counts. Outside a web request (the
    bot, the CLI, housekeeping) the role alone counts too: the bot's one staff action, the
    moderators' chat (moderation/chat.py), trusts the Telegram account joined to the account.
    """
    if not has_request_context():
        return True
    key = session.get("_user_id")
    if key is None or key != user.get_id():
        return True
    return session.get(TWO_FACTOR_SESSION_KEY) == key


def is_staff(user: Any) -> bool:
    return has_staff_role(user) and second_factor_done(user)


def is_admin(user: Any) -> bool:
    return is_member(user) and user.role == "admin" and second_factor_done(user)


def verified_places(user: Any) -> list[Any]:
    """Places a verified authority speaks for (its own, not yet their descendants)."""
    if not is_member(user) or user.role != "authority":
        return []
    return [link.place for link in user.authority_places if link.verified]


def verified_place_ids(user: Any) -> set[int]:
    return {place.id for place in verified_places(user)}


def is_verified_authority_for(user: Any, place: Any) -> bool:
    """An authority acts for a place it was verified for, and for every place inside it."""
    ids = verified_place_ids(user)
    if not ids or place is None:
        return False
    return bool({place.id, place.region_id, place.district_id, place.parent_id} & ids)


# -- rules -----------------------------------------------------------------------------------


@rule("profile.edit")
def _edit_profile(user: Any, owner: Any) -> bool:
    return is_member(user) and (owner is None or owner.id == user.id)


@rule("authority.request")
def _request_authority(user: Any, obj: Any) -> bool:
    return is_member(user) and user.role in ("member", "authority")


@rule("authority.verify")
def _verify_authority(user: Any, link: Any) -> bool:
    """Staff verify, reject and revoke authorities; nobody decides on their own request."""
    return is_staff(user) and (link is None or link.user_id != user.id)


@rule("authority.act_for_place")
def _act_for_place(user: Any, place: Any) -> bool:
    return is_verified_authority_for(user, place)


@rule("places.add_community")
def _add_community(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("staff.area")
def _staff_area(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("admin.manage_roles")
def _manage_roles(user: Any, target: Any) -> bool:
    # An admin cannot demote themselves: the platform would lose its last key holder.
    return is_admin(user) and (target is None or target.id != user.id)


@rule("audit.view")
def _view_audit(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("two_factor.use")
def _use_two_factor(user: Any, obj: Any) -> bool:
    # Enrolment and the code step come before the second factor, so the role alone.
    return has_staff_role(user)


@rule("two_factor.reset")
def _reset_two_factor(user: Any, target: Any) -> bool:
    # Nobody resets their own: a stolen password alone must not replace the authenticator.
    return is_admin(user) and (target is None or target.id != user.id)

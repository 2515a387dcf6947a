"""Who may do what: the one place that decides, used by services, views, templates and the bot.

`can(user, action, obj)` answers; an action nobody registered is refused (deny by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from diaspora.errors import PermissionDenied

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(predicate: Rule) -> Rule:
        _RULES[action] = predicate
        return predicate

    return register


def can(user: Any, action: str, obj: Any = None) -> bool:
    predicate = _RULES.get(action)
    if predicate is None or user is None:
        return False
    return bool(predicate(user, obj))


def require(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(_l("You are not allowed to do this."))


def registered_actions() -> list[str]:
    return sorted(_RULES)


# -- building blocks -------------------------------------------------------------------------


def is_member(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "active", False))


def is_staff(user: Any) -> bool:
    return is_member(user) and user.role in ("moderator", "admin")


def is_admin(user: Any) -> bool:
    return is_member(user) and user.role == "admin"


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


@rule("profile.view_own")
def _view_own_profile(user: Any, obj: Any) -> bool:
    return is_member(user)


@rule("profile.edit")
def _edit_profile(user: Any, owner: Any) -> bool:
    return is_member(user) and (owner is None or owner.id == user.id)


@rule("authority.request")
def _request_authority(user: Any, obj: Any) -> bool:
    return is_member(user) and user.role in ("member", "authority")


@rule("authority.verify")
def _verify_authority(user: Any, obj: Any) -> bool:
    return is_staff(user)


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


# -- news and broadcasts (issue 4) ------------------------------------------------------------


def _has_verified_place(user: Any) -> bool:
    return bool(verified_place_ids(user))


@rule("news.create")
def _create_news(user: Any, obj: Any) -> bool:
    return is_staff(user) or _has_verified_place(user)


@rule("news.edit")
def _edit_news(user: Any, post: Any) -> bool:
    if is_staff(user):
        return True
    if post is None or not _has_verified_place(user):
        return False
    return post.author_id == user.id and is_verified_authority_for(user, post.place)


@rule("news.publish_for_place")
def _publish_news_for_place(user: Any, place: Any) -> bool:
    return is_verified_authority_for(user, place)


@rule("news.publish")
def _publish_news(user: Any, post: Any) -> bool:
    """Moderators publish anything; an authority publishes its own posts for its places,
    except one a moderator took down: only a moderator reverses that decision."""
    if is_staff(user):
        return True
    return (
        post is not None
        and getattr(post, "status", None) != "unpublished"
        and post.author_id == getattr(user, "id", None)
        and is_verified_authority_for(user, post.place)
    )


@rule("news.unpublish")
def _unpublish_news(user: Any, post: Any) -> bool:
    return is_staff(user)


@rule("delivery.view_progress")
def _view_delivery_progress(user: Any, obj: Any) -> bool:
    return is_staff(user)


@rule("delivery.cancel")
def _cancel_delivery(user: Any, broadcast: Any) -> bool:
    return is_staff(user)

"""Who may write, see, publish and take down news posts (rules of `can()`, registered when
the news feature's `init_app` imports this module)."""

from __future__ import annotations

from typing import Any

from diaspora.accounts.permissions import (
    can,
    is_staff,
    is_verified_authority_for,
    rule,
    verified_place_ids,
)
from diaspora.news.models import PUBLISHED, UNPUBLISHED


def _has_verified_place(user: Any) -> bool:
    return bool(verified_place_ids(user))


@rule("news.create", posting=True)
def _create_news(user: Any, obj: Any) -> bool:
    return is_staff(user) or _has_verified_place(user)


@rule("news.edit_any")
def _edit_any_news(user: Any, obj: Any) -> bool:
    """Programme staff write for the whole programme, any place and any audience."""
    return is_staff(user)


@rule("news.write_for_place")
def _write_news_for_place(user: Any, place: Any) -> bool:
    """A post speaks for a place (None: the whole programme): staff for any, a verified
    authority for its own places and the places inside them."""
    return is_staff(user) or can(user, "authority.act_for_place", place)


@rule("news.edit")
def _edit_news(user: Any, post: Any) -> bool:
    if is_staff(user):
        return True
    if post is None or not _has_verified_place(user):
        return False
    return post.author_id == user.id and is_verified_authority_for(user, post.place)


@rule("news.view")
def _view_news(user: Any, post: Any) -> bool:
    """Everyone reads a published post (and its image); a draft, a scheduled or an
    unpublished post only those who may edit it."""
    return post is not None and (post.status == PUBLISHED or _edit_news(user, post))


@rule("news.publish", posting=True)
def _publish_news(user: Any, post: Any) -> bool:
    """Moderators publish anything; an authority publishes its own posts for its places,
    except one a moderator took down: only a moderator reverses that decision."""
    if is_staff(user):
        return True
    return (
        post is not None
        and getattr(post, "status", None) != UNPUBLISHED
        and post.author_id == getattr(user, "id", None)
        and is_verified_authority_for(user, post.place)
    )


@rule("news.unpublish")
def _unpublish_news(user: Any, post: Any) -> bool:
    return is_staff(user)

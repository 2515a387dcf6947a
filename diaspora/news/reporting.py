"""News posts as items members can report (moderation/reports.py): what the moderators' list
shows of a post, and how a reported post is taken out of sight and put back.

Putting a post back does not push it to Telegram again: its members were told once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from diaspora.extensions import db
from diaspora.i18n import localized_text
from diaspora.moderation import audit
from diaspora.moderation.reports import SubjectInfo
from diaspora.news import service as news
from diaspora.news.models import PUBLISHED, UNPUBLISHED, NewsPost
from diaspora.rendering import shorten

SUBJECT_KIND = "news_post"


def _locale() -> str:
    from diaspora.main.templating import current_locale

    return current_locale()


def resolve_post(actor: Any, post_id: int) -> NewsPost | None:
    post = db.session.get(NewsPost, post_id)
    return post if post is not None and post.status == PUBLISHED and news.can_view(
        actor, post) else None


def describe_posts(ids: Sequence[int]) -> dict[int, SubjectInfo]:
    locale = _locale()
    rows = db.session.execute(
        select(NewsPost.id, NewsPost.title, NewsPost.body_summary, NewsPost.author_id)
        .where(NewsPost.id.in_(list(ids)))).all()
    return {pid: SubjectInfo(localized_text(title, locale),
                             shorten(localized_text(summary, locale), 300), f"/news/{pid}",
                             author_id)
            for pid, title, summary, author_id in rows}


def hide_post(actor: Any, post_id: int, reason: str) -> None:
    """A moderator unpublishes through the news service; `actor` None is the automatic
    hiding at the reports' threshold, in the reporter's transaction."""
    post = db.session.get(NewsPost, post_id)
    if post is None or post.status != PUBLISHED:
        return
    if actor is not None:
        news.unpublish(actor, post)
        return
    post.status = UNPUBLISHED
    audit.record(None, "news.auto_hide", post, before={"status": PUBLISHED},
                 after={"status": UNPUBLISHED})


def restore_post(actor: Any, post_id: int) -> None:
    post = db.session.get(NewsPost, post_id)
    if post is None or post.status != UNPUBLISHED or post.published_at is None:
        return
    post.status = PUBLISHED
    audit.record(actor, "news.restore", post, before={"status": UNPUBLISHED},
                 after={"status": PUBLISHED})


def hidden_posts(ids: Sequence[int]) -> set[int]:
    return set(db.session.scalars(
        select(NewsPost.id).where(NewsPost.id.in_(list(ids)), NewsPost.status == UNPUBLISHED)))

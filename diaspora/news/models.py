"""News posts: translatable title/body, topics, an audience, an optional image."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship

from diaspora.delivery.audience import (  # noqa: F401  (RETURNING_PLANS: news' callers)
    COUNTRY,
    EVERYONE,
    HOME,
    RETURNING,
    RETURNING_PLANS,
    AudienceColumns,
    AudienceLinks,
)
from diaspora.extensions import db
from diaspora.models import StoredImage, UTCDateTime, utcnow
from diaspora.news.rendering import RENDERER_VERSION, render_body

DRAFT, SCHEDULED, PUBLISHED, UNPUBLISHED = "draft", "scheduled", "published", "unpublished"
POST_STATES = (DRAFT, SCHEDULED, PUBLISHED, UNPUBLISHED)

# Who a post is for (the web shows every published post to everyone; the audience decides
# who gets it in the bot's "News" and as a Telegram message): the kinds of
# diaspora/delivery/audience.py a news writer can choose.
AUDIENCE_KINDS = (EVERYONE, HOME, COUNTRY, RETURNING)


class NewsImage(StoredImage, db.Model):
    """The resized image of a post, kept in the database so every web host can serve it."""

    __tablename__ = "news_images"

    id: Mapped[int] = mapped_column(primary_key=True)


class NewsPost(AudienceLinks, db.Model):
    __tablename__ = "news_posts"
    __table_args__ = (Index("ix_news_posts_listing", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The place an authority wrote for (None for programme-wide posts).
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[dict] = mapped_column(JSON, default=dict)  # Markdown source per language
    # Rendered when written (see render_post below), never per request: the sanitised HTML
    # (loaded only by the post's page) and a plain-text summary, per language, and the
    # renderer version that made them (`flask news-rerender` redoes older ones).
    body_html: Mapped[dict] = mapped_column(JSON, default=dict, deferred=True)
    body_summary: Mapped[dict] = mapped_column(JSON, default=dict)
    rendered_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_telegram: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    audience: Mapped[str] = mapped_column(String(20), default=EVERYONE)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("news_images.id", ondelete="SET NULL"))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author = relationship("User", lazy="joined")
    place = relationship("Place", lazy="joined")
    image: Mapped[NewsImage | None] = relationship()
    tag_rows: Mapped[list[NewsTag]] = relationship(
        cascade="all, delete-orphan", order_by="NewsTag.tag", lazy="selectin"
    )
    audience_places: Mapped[list[NewsAudiencePlace]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    audience_countries: Mapped[list[NewsAudienceCountry]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def missing_languages(self) -> list[str]:
        from diaspora.i18n import SUPPORTED_LOCALES

        return [
            code for code in SUPPORTED_LOCALES
            if not (self.title or {}).get(code, "").strip()
            or not (self.body or {}).get(code, "").strip()
        ]


class NewsTag(db.Model):
    __tablename__ = "news_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("news_posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class NewsAudiencePlace(db.Model):
    """A region, district or community whose natives a post is for."""

    __tablename__ = "news_audience_places"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("news_posts.id", ondelete="CASCADE"), primary_key=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True, index=True)


class NewsAudienceCountry(db.Model):
    __tablename__ = "news_audience_countries"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("news_posts.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


# Where a post keeps its audience, for delivery.audience.visible_to (the bot's "News").
AUDIENCE_COLUMNS = AudienceColumns(
    item_id=NewsPost.id, kind=NewsPost.audience,
    place_item_id=NewsAudiencePlace.post_id, place_id=NewsAudiencePlace.place_id,
    country_item_id=NewsAudienceCountry.post_id, country_code=NewsAudienceCountry.country_code,
)


def render_post(post: NewsPost) -> None:
    """Store the body's HTML and summary, per language, with the renderer's version."""
    html: dict[str, str] = {}
    summaries: dict[str, str] = {}
    for code, text in (post.body or {}).items():
        html[code], summaries[code] = render_body(text)
    post.body_html, post.body_summary = html, summaries
    post.rendered_version = RENDERER_VERSION


@event.listens_for(NewsPost, "before_insert")
def _render_new_post(_mapper: Any, _connection: Any, post: NewsPost) -> None:
    render_post(post)


@event.listens_for(NewsPost, "before_update")
def _render_changed_post(_mapper: Any, _connection: Any, post: NewsPost) -> None:
    if attributes.get_history(post, "body").has_changes():
        render_post(post)

"""News operations shared by the web site, the bot and the sender's housekeeping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, exists, func, or_, select, true
from sqlalchemy.orm import defer, lazyload, selectinload, undefer

from diaspora.accounts.models import Profile, User
from diaspora.accounts.permissions import can, refuse_if_muted, require, verified_places
from diaspora.delivery import audience as audiences
from diaspora.delivery import service as delivery
from diaspora.delivery.audience import Audience
from diaspora.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.i18n import SUPPORTED_LOCALES
from diaspora.images import process_image
from diaspora.models import utcnow
from diaspora.moderation import audit
from diaspora.news.messages import TEMPLATE
from diaspora.news.models import (
    AUDIENCE_COLUMNS,
    AUDIENCE_KINDS,
    COUNTRY,
    DRAFT,
    EVERYONE,
    HOME,
    PUBLISHED,
    SCHEDULED,
    UNPUBLISHED,
    NewsAudienceCountry,
    NewsAudiencePlace,
    NewsImage,
    NewsPost,
    NewsTag,
)
from diaspora.news.topics import TOPICS
from diaspora.places.countries import is_country
from diaspora.places.models import Place

TITLE_MAX = 200
BODY_MAX = 20_000
PER_PAGE = 10
BOT_PAGE = 5


def get_post(post_id: int) -> NewsPost:
    # The page needs the stored HTML and the topics; the audience only the editor (then it
    # is loaded when asked for): two queries, not four.
    post = db.session.get(NewsPost, post_id, options=[
        undefer(NewsPost.body_html), lazyload(NewsPost.audience_places),
        lazyload(NewsPost.audience_countries)])
    if post is None:
        raise NotFound(_l("This news post does not exist."))
    return post


def can_view(user: Any, post: NewsPost) -> bool:
    return can(user, "news.view", post)


# -- writing -----------------------------------------------------------------------------------


def _clean_texts(values: Mapping[str, str | None] | None, limit: int, field: str) -> dict:
    clean = {}
    for code in SUPPORTED_LOCALES:
        text = ((values or {}).get(code) or "").strip()
        if len(text) > limit:
            raise ValidationError(_l("This is too long."), field=f"{field}_{code}")
        if text:
            clean[code] = text
    return clean


def save_post(
    actor: User,
    post: NewsPost | None = None,
    *,
    title: Mapping[str, str | None],
    body: Mapping[str, str | None],
    tags: Iterable[str] = (),
    audience: str = EVERYONE,
    place_ids: Iterable[int] = (),
    countries: Iterable[str] = (),
    push_telegram: bool = False,
    place_id: int | None = None,
    image: bytes | None = None,
    remove_image: bool = False,
) -> NewsPost:
    """Create a draft (post=None) or change one; publishing is a separate step."""
    refuse_if_muted(actor)
    if post is None:
        require(actor, "news.create")
    else:
        require(actor, "news.edit", post)
    titles = _clean_texts(title, TITLE_MAX, "title")
    bodies = _clean_texts(body, BODY_MAX, "body")
    if not any(code in titles and code in bodies for code in SUPPORTED_LOCALES):
        raise ValidationError(
            _l("Write the title and the text in at least one language."), field="title_ky"
        )
    for code in SUPPORTED_LOCALES:
        if (code in titles) != (code in bodies):
            raise ValidationError(_l("Give both a title and a text for each language you "
                                     "write in."), field=f"title_{code}")
    tags = sorted({tag for tag in tags if tag})
    if any(tag not in TOPICS for tag in tags):
        raise ValidationError(_l("Unknown topic."), field="tags")
    if audience not in AUDIENCE_KINDS:
        raise ValidationError(_l("Choose who the post is for."), field="audience")
    place = db.session.get(Place, place_id) if place_id else None
    if place_id and place is None:
        raise ValidationError(_l("Unknown place."), field="place_id")
    places = [db.session.get(Place, int(pid)) for pid in dict.fromkeys(place_ids)]
    if any(p is None for p in places):
        raise ValidationError(_l("Unknown place."), field="place_ids")
    codes = sorted({code.strip().upper() for code in countries if code and code.strip()})
    if any(not is_country(code) for code in codes):
        raise ValidationError(_l("Unknown country."), field="countries")

    if not can(actor, "news.edit_any"):
        # A local authority writes for its own places, to the people from there.
        if place is None:
            own = verified_places(actor)
            place = own[0] if len(own) == 1 else None
        if not can(actor, "news.write_for_place", place):
            raise ValidationError(_l("Choose one of the places you represent."),
                                  field="place_id")
        if audience != HOME:
            raise ValidationError(_l("A local authority writes to the people from its own "
                                     "places."), field="audience")
        places = places or [place]
        if not all(can(actor, "news.write_for_place", p) for p in places):
            raise ValidationError(_l("You can only write to the people from the places you "
                                     "represent."), field="place_ids")
    if audience == HOME and not places:
        raise ValidationError(_l("Choose at least one region or district."), field="place_ids")
    if audience == COUNTRY and not codes:
        raise ValidationError(_l("Choose at least one country."), field="countries")

    if post is None:
        post = NewsPost(author_id=actor.id, status=DRAFT)
        db.session.add(post)
    post.title, post.body = titles, bodies
    post.place_id = place.id if place else None
    post.audience = audience
    post.push_telegram = bool(push_telegram)
    post.tag_rows = [NewsTag(tag=tag) for tag in tags]
    post.audience_places = (
        [NewsAudiencePlace(place_id=p.id) for p in places] if audience == HOME else []
    )
    post.audience_countries = (
        [NewsAudienceCountry(country_code=c) for c in codes] if audience == COUNTRY else []
    )
    if remove_image:
        post.image = None
    if image:
        processed = process_image(image)
        post.image = NewsImage.from_processed(processed)
    db.session.flush()
    db.session.commit()
    return post


def publish(actor: User, post: NewsPost, *, at: datetime | None = None) -> NewsPost:
    """Publish now, or schedule for `at`. A published post with "push to Telegram" is queued
    for every reachable member of its audience, once."""
    if post.status == UNPUBLISHED and not can(actor, "news.publish", post):
        raise PermissionDenied(_l("A moderator took this post down; only a moderator can "
                                  "publish it again."))
    require(actor, "news.publish", post)
    if post.status == PUBLISHED:
        raise InvalidTransition(_l("This post is already published."))
    before = {"status": post.status}
    if at is not None and at > utcnow():
        post.status, post.publish_at = SCHEDULED, at
        audit.record(actor, "news.schedule", post, before=before,
                     after={"status": SCHEDULED, "publish_at": at.isoformat()})
        db.session.commit()
        return post
    _publish_now(actor, post)
    audit.record(actor, "news.publish", post, before=before,
                 after={"status": PUBLISHED, "broadcast_id": post.broadcast_id})
    db.session.commit()
    return post


def _publish_now(actor: Any, post: NewsPost) -> None:
    post.status = PUBLISHED
    post.published_at = utcnow()
    post.publish_at = None
    if post.push_telegram and post.broadcast_id is None:
        broadcast = delivery.enqueue_broadcast(
            actor, subject=f"news:{post.id}", template=TEMPLATE, params=broadcast_params(post),
            audience=post_audience(post), conditions=[_wants_news()],
        )
        post.broadcast_id = broadcast.id


def broadcast_params(post: NewsPost) -> dict:
    return {
        "title": dict(post.title),
        "summary": dict(post.body_summary or {}),  # made when the post was written
        "url": f"/news/{post.id}",
    }


def unpublish(actor: User, post: NewsPost) -> NewsPost:
    """A moderator takes a post down (audited); what was not yet pushed is not pushed."""
    require(actor, "news.unpublish", post)
    if post.status not in (PUBLISHED, SCHEDULED):
        raise InvalidTransition(_l("This post is not published."))
    before = {"status": post.status}
    post.status = UNPUBLISHED
    post.publish_at = None
    cancelled = delivery.cancel_for_subject(actor, f"news:{post.id}")
    audit.record(actor, "news.unpublish", post, before=before,
                 after={"status": UNPUBLISHED, "messages_cancelled": cancelled})
    db.session.commit()
    return post


def publish_due_posts() -> int:
    """Publish the scheduled posts whose time has come (run by the sender and by
    `flask news publish-due`)."""
    due = db.session.scalars(
        select(NewsPost).where(NewsPost.status == SCHEDULED, NewsPost.publish_at <= utcnow())
        .order_by(NewsPost.publish_at).with_for_update(skip_locked=True, of=NewsPost)
    ).all()
    for post in due:
        _publish_now(post.author, post)
        audit.record(None, "news.publish_scheduled", post, before={"status": SCHEDULED},
                     after={"status": PUBLISHED, "broadcast_id": post.broadcast_id})
    db.session.commit()
    return len(due)


# -- audiences (diaspora/delivery/audience.py) -------------------------------------------------


def post_audience(post: NewsPost) -> Audience:
    return Audience(post.audience, tuple(post.place_ids), tuple(post.country_codes))


def _wants_news() -> ColumnElement[bool]:
    """Members who did not turn news off in their profile."""
    return func.coalesce(Profile.notify_news, true()) == true()


def audience_size(post: NewsPost) -> int:
    return audiences.count_members(post_audience(post), _wants_news())


# -- reading -----------------------------------------------------------------------------------


def _published() -> Any:
    return (
        select(NewsPost)
        .where(NewsPost.status == PUBLISHED)
        # Lists show the title, date, topics and stored summary: the author and place joins
        # and the audience's two extra queries are left out (loaded only if asked for).
        .options(selectinload(NewsPost.tag_rows), defer(NewsPost.body), lazyload(NewsPost.author),
                 lazyload(NewsPost.place), lazyload(NewsPost.audience_places),
                 lazyload(NewsPost.audience_countries))
        .order_by(NewsPost.published_at.desc(), NewsPost.id.desc())
    )


def list_published(page: int = 1, *, tag: str | None = None, region_id: int | None = None,
                   per_page: int = PER_PAGE) -> Any:
    query = _published()
    if tag:
        query = query.where(exists().where(NewsTag.post_id == NewsPost.id, NewsTag.tag == tag))
    if region_id:
        in_region = select(Place.id).where(or_(Place.id == region_id,
                                               Place.region_id == region_id))
        query = query.where(or_(
            NewsPost.place_id.in_(in_region),
            exists().where(NewsAudiencePlace.post_id == NewsPost.id,
                           NewsAudiencePlace.place_id.in_(in_region)),
        ))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def latest_for_feed(limit: int = 30) -> list[NewsPost]:
    return list(db.session.scalars(
        _published().options(undefer(NewsPost.body_html)).limit(limit)))


def relevant_posts(user: User | None, offset: int = 0, limit: int = BOT_PAGE
                   ) -> tuple[list[NewsPost], bool]:
    """The latest published posts meant for `user`; and whether there are more."""
    rows = list(db.session.scalars(
        _published().where(audiences.visible_to(user, AUDIENCE_COLUMNS))
        .offset(max(0, offset)).limit(limit + 1)
    ))
    return rows[:limit], len(rows) > limit


def manageable_posts(user: User, page: int = 1) -> Any:
    """Posts a writer can edit: everything for staff, their own for an authority."""
    require(user, "news.create")
    query = (select(NewsPost).options(selectinload(NewsPost.tag_rows))
             .order_by(NewsPost.updated_at.desc(), NewsPost.id.desc()))
    if not can(user, "news.edit_any"):
        query = query.where(NewsPost.author_id == user.id)
    return db.paginate(query, page=page, per_page=20, error_out=False)


def image_for(image_id: int, user: Any) -> NewsImage:
    image = db.session.get(NewsImage, image_id)
    if image is None:
        raise NotFound(_l("This image does not exist."))
    posts = db.session.scalars(select(NewsPost).where(NewsPost.image_id == image_id)).all()
    if not any(can_view(user, post) for post in posts):
        raise NotFound(_l("This image does not exist."))
    return image


def image_is_public(image_id: int) -> bool:
    """Whether anyone, even a visitor who is not logged in, may see the image (the
    "news.view" rule), so shared caches may keep it."""
    posts = db.session.scalars(select(NewsPost).where(NewsPost.image_id == image_id))
    return any(can(None, "news.view", post) for post in posts)


# -- rendering (diaspora/news/rendering.py) ----------------------------------------------------


def rerender_posts(*, everything: bool = False, batch: int = 200) -> int:
    """Render again the posts stored by another renderer version (all with `everything`),
    in batches so a large archive never sits in memory at once. Returns how many."""
    from diaspora.news.models import render_post
    from diaspora.news.rendering import RENDERER_VERSION

    done = 0
    last_id = 0
    while True:
        query = select(NewsPost).where(NewsPost.id > last_id).order_by(NewsPost.id).limit(batch)
        if not everything:
            query = query.where(NewsPost.rendered_version != RENDERER_VERSION)
        posts = list(db.session.scalars(query))
        if not posts:
            return done
        for post in posts:
            render_post(post)
        last_id = posts[-1].id
        done += len(posts)
        db.session.commit()

"""News: writing, permissions, audiences, Markdown sanitising, images, pages and feeds."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from diaspora.accounts.models import Profile
from diaspora.delivery.models import Broadcast, OutboxMessage
from diaspora.errors import PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation.models import AuditEntry
from diaspora.news import service as news
from diaspora.news.models import NewsPost
from diaspora.news.rendering import process_image, render_markdown
from tests.conftest import login

TITLE = {"ky": "Жаңылык", "ru": "Новость", "en": "News"}
BODY = {"ky": "Кыргызча текст", "ru": "Русский текст", "en": "English text"}


def write(actor, **kwargs):
    return news.save_post(actor, **{"title": TITLE, "body": BODY, **kwargs})


def recipients(post: NewsPost) -> set[int]:
    return set(db.session.scalars(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.broadcast_id == post.broadcast_id)))


# -- sanitising and images ---------------------------------------------------------------------

def test_markdown_is_sanitised():
    html = str(render_markdown(
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>"
        " [ok](https://example.org) [bad](javascript:alert(1)) <a href='#' onclick='x()'>c</a>"))
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "alert(1)</" not in html
    assert "onerror" not in html and "onclick" not in html and "<img" not in html
    assert 'href="https://example.org"' in html and "javascript:" not in html
    assert 'rel="nofollow noopener noreferrer"' in html


def _png(size=(3000, 2000), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format="PNG")
    return out.getvalue()


def test_images_are_checked_and_resized():
    picture = process_image(_png())
    assert picture.content_type == "image/jpeg" and max(picture.width, picture.height) == 1600
    assert process_image(_png((50, 50), "RGBA")).content_type == "image/png"
    with pytest.raises(ValidationError):
        process_image(b"<svg onload='alert(1)'></svg>")
    with pytest.raises(ValidationError):
        process_image(b"GIF89a not really")
    with pytest.raises(ValidationError):
        process_image(b"x" * (5 * 1024 * 1024 + 1))


# -- writing and permissions -------------------------------------------------------------------

def test_at_least_one_language_is_required(users):
    with pytest.raises(ValidationError):
        news.save_post(users["moderator"], title={}, body={})
    with pytest.raises(ValidationError):
        news.save_post(users["moderator"], title={"ru": "Только заголовок"}, body={})
    post = news.save_post(users["moderator"], title={"ru": "Т"}, body={"ru": "Текст"})
    assert post.missing_languages == ["ky", "en"]


def test_who_may_write_and_publish(users, here, elsewhere):
    with pytest.raises(PermissionDenied):
        write(users["member"])
    authority = users["authority_here"]
    with pytest.raises(ValidationError):  # an authority cannot write to everyone
        write(authority, audience="everyone", place_id=here.id)
    with pytest.raises(ValidationError):  # nor for someone else's place
        write(authority, audience="home", place_id=elsewhere.id)
    post = write(authority, audience="home", place_id=here.id)
    assert post.place_ids == [here.id]
    with pytest.raises(PermissionDenied):
        news.publish(users["authority_elsewhere"], post)
    news.publish(authority, post)  # its own place: directly, no moderator needed
    assert post.status == "published"
    with pytest.raises(PermissionDenied):
        news.unpublish(authority, post)
    news.unpublish(users["moderator"], post)
    assert post.status == "unpublished"
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"news.publish", "news.unpublish"} <= actions


def test_scheduled_posts_publish_when_due(users):
    post = write(users["moderator"])
    news.publish(users["moderator"], post, at=utcnow() + timedelta(hours=1))
    assert post.status == "scheduled"
    assert news.publish_due_posts() == 0
    post.publish_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert news.publish_due_posts() == 1
    assert db.session.get(NewsPost, post.id).status == "published"


# -- audiences ---------------------------------------------------------------------------------

def test_audience_targeting(users, make_user, here, elsewhere):
    from_here = make_user(home=here, country="KZ", telegram_chat_id=1)
    from_elsewhere = make_user(home=elsewhere, country="RU", telegram_chat_id=2)
    returning = make_user(home=elsewhere, country="TR", telegram_chat_id=3)
    db.session.get(Profile, returning.id).return_plan = "within_year"
    no_news = make_user(home=here, country="KZ", telegram_chat_id=4)
    db.session.get(Profile, no_news.id).notify_news = False
    db.session.commit()
    moderator = users["moderator"]

    def push(**kwargs):
        return news.publish(moderator, write(moderator, push_telegram=True, **kwargs))

    everyone = push()
    assert recipients(everyone) == {from_here.id, from_elsewhere.id, returning.id}
    region = push(audience="home", place_ids=[here.region_id])
    assert recipients(region) == {from_here.id}
    district = push(audience="home", place_ids=[elsewhere.id])
    assert recipients(district) == {from_elsewhere.id, returning.id}
    countries = push(audience="country", countries=["RU", "TR"])
    assert recipients(countries) == {from_elsewhere.id, returning.id}
    back = push(audience="return")
    assert recipients(back) == {returning.id}
    assert db.session.get(Broadcast, back.broadcast_id).total == 1
    # The bot's "News" for a member lists the posts meant for them, newest first.
    posts, more = news.relevant_posts(from_here)
    assert [p.id for p in posts] == [region.id, everyone.id] and not more


def test_published_twice_pushes_once(users, make_user):
    make_user(telegram_chat_id=9)
    moderator = users["moderator"]
    post = news.publish(moderator, write(moderator, push_telegram=True))
    news.unpublish(moderator, post)
    news.publish(moderator, post)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 1


# -- pages -------------------------------------------------------------------------------------

def test_list_post_feed_and_language_note(client, users):
    moderator = users["moderator"]
    post = news.publish(moderator, write(moderator, title={"ru": "Только по-русски"},
                                         body={"ru": "Текст **жирный**"}, tags=["health"]))
    draft = write(moderator, title={"en": "Secret draft"}, body={"en": "x"})
    page = client.get("/news/?lang=en").get_data(as_text=True)
    assert "Только по-русски" in page and "Secret draft" not in page
    assert client.get("/news/?topic=health").status_code == 200
    assert "Только по-русски" not in client.get("/news/?topic=events").get_data(as_text=True)
    shown = client.get(f"/news/{post.id}?lang=en")
    assert shown.status_code == 200
    assert "<strong>жирный</strong>" in shown.get_data(as_text=True)
    assert client.get(f"/news/{draft.id}").status_code == 404
    assert client.get("/news/999999").status_code == 404
    feed = client.get("/news/feed/ru.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert "Только по-русски" in feed.get_data(as_text=True)
    assert client.get("/news/feed/de.atom").status_code == 404


def test_region_filter(client, users, here, elsewhere):
    moderator = users["moderator"]
    news.publish(moderator, write(moderator, title={"en": "For Naryn"}, body={"en": "x"},
                                  audience="home", place_ids=[here.id]))
    news.publish(moderator, write(moderator, title={"en": "For Osh"}, body={"en": "x"},
                                  audience="home", place_ids=[elsewhere.id]))
    page = client.get(f"/news/?region={here.region_id}&lang=en").get_data(as_text=True)
    assert "For Naryn" in page and "For Osh" not in page


def test_list_query_count_does_not_grow(client, users, app):
    moderator = users["moderator"]

    def count_queries() -> int:
        seen: list[str] = []

        def remember(*args):
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert client.get("/news/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return len(seen)

    news.publish(moderator, write(moderator, tags=["health"]))
    few = count_queries()
    for _ in range(6):
        news.publish(moderator, write(moderator, tags=["health", "events"]))
    assert count_queries() == few


def test_editor_and_permissions_on_pages(client, users, here):
    login(client, users["member"])
    assert client.get("/news/new").status_code == 403
    client.get("/logout")
    client2 = client.application.test_client()
    login(client2, users["authority_here"])
    assert client2.get("/news/new").status_code == 200
    response = client2.post("/news/new", data={
        "title_ky": "Айыл жаңылыгы", "body_ky": "Текст", "audience": "home",
        "place_id": str(here.id), "action": "publish",
        "image": (io.BytesIO(_png((100, 80))), "photo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    post = db.session.scalar(sa.select(NewsPost).order_by(NewsPost.id.desc()))
    assert post.status == "published" and post.image_id
    image = client2.get(f"/news/images/{post.image_id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert client.application.test_client().get("/news/").status_code == 200

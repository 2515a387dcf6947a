"""Issue 7, item 1: a post a moderator took down stays down until a moderator decides."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts.permissions import can
from diaspora.delivery.models import Broadcast, OutboxMessage
from diaspora.errors import PermissionDenied
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import NewsPost
from tests.conftest import login

TITLE = {"ky": "Жаңылык", "ru": "Новость", "en": "News"}
BODY = {"ky": "Кыргызча текст", "ru": "Русский текст", "en": "English text"}


def _taken_down_post(users, here) -> NewsPost:
    authority = users["authority_here"]
    post = news.save_post(authority, title=TITLE, body=BODY, audience="home",
                          place_id=here.id, place_ids=[here.id])
    news.publish(authority, post)
    news.unpublish(users["moderator"], post)
    return post


def test_author_cannot_republish_a_post_a_moderator_took_down(users, here):
    post = _taken_down_post(users, here)
    authority = users["authority_here"]
    assert not can(authority, "news.publish", post)
    with pytest.raises(PermissionDenied):
        news.publish(authority, post)
    assert db.session.get(NewsPost, post.id).status == "unpublished"
    # The moderator reverses their own decision.
    assert can(users["moderator"], "news.publish", post)
    news.publish(users["moderator"], post)
    assert post.status == "published"


def test_editor_publish_button_cannot_push_a_taken_down_post(client, users, here, make_user):
    make_user(home=here, telegram_chat_id=4242)  # someone the push would reach
    post = _taken_down_post(users, here)
    post_id = post.id
    login(client, users["authority_here"])
    page = client.get(f"/news/{post_id}/edit").get_data(as_text=True)
    assert 'value="publish"' not in page  # no Publish button offered
    response = client.post(f"/news/{post_id}/edit", data={
        "title_en": "Back again", "body_en": "Pushed to everyone", "audience": "home",
        "place_id": str(here.id), "place_ids": [str(here.id)], "push_telegram": "y",
        "action": "publish",
    })
    assert response.status_code == 200
    assert "only a moderator can publish it again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(NewsPost, post_id).status == "unpublished"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert client.get(f"/news/{post_id}").status_code == 200  # the author still sees it
    assert client.application.test_client().get(f"/news/{post_id}").status_code == 404

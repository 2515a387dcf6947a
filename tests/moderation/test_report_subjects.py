"""News posts and surveys are reportable like projects and comments: a member's report of an
authority's news post counts towards hiding it; a survey's reports wait for a moderator."""

from __future__ import annotations

import pytest

from diaspora.extensions import db
from diaspora.moderation import queue, reports
from diaspora.news import service as news
from diaspora.news.models import PUBLISHED, UNPUBLISHED, NewsPost
from tests.conftest import login


@pytest.fixture
def post(users, here):
    author = users["authority_here"]
    draft = news.save_post(author, title={"ky": "Жаңылык & <жол>", "ru": "", "en": ""},
                           body={"ky": "Айылда жаңы көпүрө", "ru": "", "en": ""},
                           place_id=here.id, audience="home", place_ids=[here.id])
    return news.publish(author, draft)


def test_a_member_reports_a_news_post_from_its_page(app, users, post) -> None:
    client = login(app.test_client(), users["member"])
    page = client.get(f"/news/{post.id}?lang=en").get_data(as_text=True)
    assert f"/report/news_post/{post.id}" in page
    sent = client.post(f"/report/news_post/{post.id}?lang=en", data={"reason": "false_information"},
                       follow_redirects=True)
    assert "Thank you. The moderators will look at it." in sent.get_data(as_text=True)
    [item] = queue.pending_items(users["moderator"], "report")
    assert item.title == "Жаңылык & <жол>" and item.author_id == users["authority_here"].id


def test_three_reports_take_an_authoritys_post_down_and_restoring_does_not_push_again(
        make_user, users, post, here) -> None:
    for _ in range(3):
        reports.report(make_user(home=here), "news_post", post.id, "spam")
    db.session.expire_all()
    assert db.session.get(NewsPost, post.id).status == UNPUBLISHED
    item = queue.pending_items(users["moderator"], "hidden")[0]
    broadcasts = db.session.get(NewsPost, post.id).broadcast_id
    queue.decide(users["moderator"], item.key, "restore")
    db.session.expire_all()
    restored = db.session.get(NewsPost, post.id)
    assert restored.status == PUBLISHED and restored.broadcast_id == broadcasts


def test_a_surveys_reports_wait_for_a_moderator(users, make_user, make_survey, here) -> None:
    from diaspora.surveys.models import Survey
    from diaspora.surveys.service import is_live

    survey = make_survey(author=users["moderator"])
    for _ in range(3):
        reports.report(make_user(home=here), "survey", survey.id, "offensive")
    [item] = queue.pending_items(users["admin"], "report")
    assert [a.name for a in item.actions] == ["dismiss"]
    assert is_live(db.session.get(Survey, survey.id))

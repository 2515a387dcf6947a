"""A page of the API costs the same number of queries whatever the number of items on it."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.news.models import PUBLISHED, NewsPost, NewsTag
from diaspora.places.models import Place
from diaspora.projects.models import Project
from diaspora.surveys.models import OPEN, Survey, SurveyQuestion
from tests.api.helpers import API


def _add(n: int, here: Place) -> None:
    for i in range(n):
        db.session.add(Project(place_id=here.id, region_id=here.region_id, title=f"P{i}",
                               summary="S", status="published", published_at=utcnow(),
                               supporters=i))
        post = NewsPost(title={"en": f"N{i}"}, body={"en": "B"}, status=PUBLISHED,
                        published_at=utcnow(), place_id=here.id)
        post.tag_rows = [NewsTag(tag="roads"), NewsTag(tag="water")]
        db.session.add(post)
        survey = Survey(title={"en": f"S{i}"}, intro={"en": "I"}, status=OPEN,
                        opened_at=utcnow())
        survey.questions = [SurveyQuestion(kind="short_text", prompt={"en": "Q"})
                            for _ in range(3)]
        db.session.add(survey)
    db.session.commit()


def _queries(client: FlaskClient, url: str) -> int:
    seen: list[str] = []

    def remember(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    return len(seen)


def test_lists_cost_the_same_for_two_items_or_twenty(client: FlaskClient, ctx: None,
                                                     here: Place) -> None:
    urls = [f"{API}/{resource}?per_page=100" for resource in ("news", "projects", "surveys")]
    _add(2, here)
    before = {url: _queries(client, url) for url in urls}
    _add(18, here)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
    assert all(n <= 5 for n in after.values()), after

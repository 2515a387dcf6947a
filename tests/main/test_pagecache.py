"""Public parts of pages drawn once and kept (diaspora/pagecache.py): a second visitor costs no
query for them, every change of content is seen at once in every process, a visitor who is not
logged in never gets a logged-in member's buttons, and bookkeeping writes keep what is drawn."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora import create_app
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.pagecache import CONTENT, ContentGeneration, generation
from diaspora.projects import service as projects
from tests.conftest import TEST_ENVIRON, login, make_test_config, sql_statements


@pytest.fixture(autouse=True)
def _read_once_a_second(app, monkeypatch) -> None:
    """As in production (the other tests read the generation on every request)."""
    monkeypatch.setitem(app.config, "GENERATION_RECHECK_SECONDS", 1)


def _generation() -> int:
    return db.session.scalar(sa.select(ContentGeneration.value).where(
        ContentGeneration.name == CONTENT))


def _published_project(proposer, moderator, place, title: str = "Water & pipes"):
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=place.id, title=title, summary="A pipe for the school"))
    projects.transition(proposer, project, "submit")
    projects.transition(moderator, project, "publish")
    return project


def _get(client, url: str) -> tuple[str, int]:
    """The page's text and the SQL statements its request ran."""
    with sql_statements() as seen:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True), len(seen)


@pytest.mark.parametrize("url", ["/projects/?lang=en", "/projects/{id}?lang=en",
                                 "/news/?lang=en", "/news/{post}?lang=en", "/news/feed/en.atom"])
def test_a_second_visitor_gets_the_kept_page_without_its_queries(
        app, ctx, make_user, here, url) -> None:
    moderator = make_user("moderator")
    project = _published_project(make_user(home=here), moderator, here)
    post = news.save_post(moderator, title={"en": "Roads & bridges"}, body={"en": "**Soon**"})
    news.publish(moderator, post)
    url = url.format(id=project.id, post=post.id)
    first, first_statements = _get(app.test_client(), url)
    again, statements = _get(app.test_client(), url)
    assert again == first
    assert "Water &amp; pipes" in first or "Roads &amp; bridges" in first
    # Not one query: the content generation was read within the last second.
    assert statements == 0 < first_statements


def test_a_change_is_seen_at_once_here_and_within_a_second_from_another_process(
        app, ctx, make_user, here, database_url, monkeypatch) -> None:
    moderator, member = make_user("moderator"), make_user(home=here)
    project = _published_project(make_user(home=here), moderator, here, title="Old title")
    visitor = app.test_client()
    page, _ = _get(visitor, f"/projects/{project.id}?lang=en")
    listing, _ = _get(visitor, "/projects/?lang=en")
    assert "0 supporters" in page and "Old title" in listing
    # Another process (another app: its own kept pages) supports the project...
    other = create_app(make_test_config(database_url), environ=TEST_ENVIRON)
    with other.app_context():
        projects.support(db.session.merge(member), projects.get_project(project.id))
    # ...and this process sees it once it asks the database again, within a second.
    import diaspora.pagecache as pagecache

    later = pagecache.time.monotonic() + 1.01
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: later)
    assert "1 supporter" in _get(visitor, f"/projects/{project.id}?lang=en")[0]
    assert "1 supporter" in _get(visitor, "/projects/?lang=en")[0]
    # A change made in this process is seen at its next request, with no second's wait.
    projects.withdraw_support(member, project)
    assert "0 supporters" in _get(visitor, "/projects/?lang=en")[0]


def test_an_unpublished_post_leaves_the_kept_pages_at_once(app, ctx, make_user) -> None:
    moderator = make_user("moderator")
    post = news.save_post(moderator, title={"en": "Roads & bridges"}, body={"en": "Soon"})
    news.publish(moderator, post)
    visitor = app.test_client()
    assert "Roads &amp; bridges" in _get(visitor, "/news/?lang=en")[0]
    _get(visitor, f"/news/{post.id}?lang=en")
    news.unpublish(moderator, post)
    assert "Roads &amp; bridges" not in _get(visitor, "/news/?lang=en")[0]
    assert visitor.get(f"/news/{post.id}?lang=en").status_code == 404


def test_a_visitor_never_gets_a_members_buttons_nor_a_member_the_visitors_page(
        app, ctx, make_user, here) -> None:
    moderator, member = make_user("moderator"), make_user(home=here)
    project = _published_project(make_user(home=here), moderator, here)
    url = f"/projects/{project.id}?lang=en"
    member_page, _ = _get(login(app.test_client(), member), url)
    assert "I support it" in member_page
    visitor_page, _ = _get(app.test_client(), url)
    assert "Log in to support this project." in visitor_page
    assert "I support it" not in visitor_page
    # Drawn for a visitor first, the member still gets their own page.
    app.extensions["mekendesh.fragments"].clear()
    _get(app.test_client(), url)
    assert "I support it" in _get(login(app.test_client(), member), url)[0]


def test_each_language_is_drawn_and_kept_apart(app, ctx, make_user, here) -> None:
    project = _published_project(make_user(home=here), make_user("moderator"), here)
    pages = {lang: _get(app.test_client(), f"/projects/?lang={lang}")[0]
             for lang in ("ky", "ru", "en")}
    for lang, page in pages.items():
        assert f'<html lang="{lang}">' in page and f"/projects/{project.id}" in page
    assert "Бардык облустар" in pages["ky"] and "Все области" in pages["ru"]
    assert "All regions" in pages["en"]
    # Asked again, each language gets its own kept copy.
    assert _get(app.test_client(), "/projects/?lang=ky") == (pages["ky"], 0)


def test_bookkeeping_writes_keep_the_generation_and_content_writes_raise_it_once(
        app, ctx, make_user, here) -> None:
    member = make_user(home=here)
    before = _generation()
    member.last_login_at = member.created_at  # a login's write: users is bookkeeping
    db.session.commit()
    assert _generation() == before
    project = projects.save_project(member, projects.ProjectDraft(
        place_id=here.id, title="Roads", summary="A road"))
    assert _generation() == before + 1  # one transaction, one step however many rows
    project.summary = "A road to the school"
    db.session.rollback()
    assert _generation() == before + 1  # nothing committed, nothing raised
    db.session.execute(sa.update(type(project)).where(type(project).id == project.id)
                       .values(summary="Bulk"))
    db.session.commit()
    assert _generation() == before + 2  # bulk statements through the session count too


def test_kept_pages_lapse_after_their_age_and_zero_turns_keeping_off(
        app, ctx, make_user, here, monkeypatch) -> None:
    project = _published_project(make_user(home=here), make_user("moderator"), here)
    url = f"/projects/{project.id}?lang=en"
    _get(app.test_client(), url)
    assert _get(app.test_client(), url)[1] == 0
    # A write outside the session (raw SQL in a shell) is seen once the page has lapsed.
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE projects SET title = 'Renamed' WHERE id = :id"),
                     {"id": project.id})
    import diaspora.pagecache as pagecache

    clock = pagecache.time.monotonic() + 61
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock)
    assert "Renamed" in _get(app.test_client(), url)[0]
    monkeypatch.setitem(app.config, "FRAGMENT_MAX_AGE", 0)
    assert _get(app.test_client(), url)[1] > 1


def test_the_generation_is_read_once_a_second_and_zero_reads_it_every_request(
        app, monkeypatch) -> None:
    with app.test_request_context("/"), sql_statements() as seen:
        assert generation() == generation()
    with app.test_request_context("/"), sql_statements() as again:
        generation()
    assert (len(seen), len(again)) == (1, 0)
    monkeypatch.setitem(app.config, "GENERATION_RECHECK_SECONDS", 0)
    with app.test_request_context("/"), sql_statements() as every:
        generation()
    assert len(every) == 1

"""News bodies are rendered and cleaned when written; no page runs Markdown."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora import rendering as shared_rendering
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import NewsPost
from diaspora.news.rendering import RENDERER_VERSION

TITLE = {"ky": "Жаңылык", "ru": "Новость", "en": "News"}
BODY = {"ky": "**Маанилүү** кабар: <script>alert(1)</script> [сайт](https://example.org)",
        "ru": "Текст *по-русски*", "en": "Text in *English* & more"}


def published(moderator, body=BODY):  # noqa: ANN001, ANN201
    post = news.save_post(moderator, title=TITLE, body=body)
    news.publish(moderator, post)
    return post


def test_writing_a_post_stores_its_clean_html_summary_and_version(make_user):
    post = published(make_user("moderator"))
    db.session.expire_all()
    stored = db.session.get(NewsPost, post.id)
    assert stored.rendered_version == RENDERER_VERSION
    assert "<strong>Маанилүү</strong>" in stored.body_html["ky"]
    assert "<script" not in stored.body_html["ky"]
    assert 'rel="nofollow noopener noreferrer"' in stored.body_html["ky"]
    assert stored.body_summary["en"] == "Text in English & more"
    # an edit renders again
    news.save_post(make_user("moderator"), stored, title=TITLE,
                   body={**BODY, "en": "Changed *text*"})
    db.session.expire_all()
    assert db.session.get(NewsPost, post.id).body_html["en"] == "<p>Changed <em>text</em></p>"


def test_pages_show_the_stored_html_and_never_call_the_renderer(make_user, client, monkeypatch):
    moderator = make_user("moderator")
    post = published(moderator)
    calls: list[str] = []

    def refuse(text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(text)
        raise AssertionError("a page ran Markdown")

    monkeypatch.setattr(shared_rendering.markdown, "markdown", refuse)
    show = client.get(f"/news/{post.id}?lang=ky").get_data(as_text=True)
    assert "<strong>Маанилүү</strong>" in show and "<script>alert" not in show
    listing = client.get("/news/?lang=en").get_data(as_text=True)
    assert "Text in English &amp; more" in listing
    feed = client.get("/news/feed/ru.atom").get_data(as_text=True)
    assert "Текст по-русски" in feed and "&lt;em&gt;по-русски&lt;/em&gt;" in feed
    assert client.get("/?lang=en").status_code == 200
    assert calls == []


def test_rerender_command_redoes_posts_of_an_older_renderer(app, make_user, monkeypatch):
    post = published(make_user("moderator"))
    db.session.execute(sa.update(NewsPost).values(rendered_version=0,
                                                  body_html={"ky": "old"}))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["news-rerender"])
    assert result.exit_code == 0 and "1 post(s)" in result.output
    db.session.expire_all()
    again = db.session.get(NewsPost, post.id)
    assert again.rendered_version == RENDERER_VERSION
    assert "<strong>Маанилүү</strong>" in again.body_html["ky"]
    # up to date: nothing to do, unless --all
    assert "0 post(s)" in runner.invoke(args=["news-rerender"]).output
    assert "1 post(s)" in runner.invoke(args=["news-rerender", "--all"]).output

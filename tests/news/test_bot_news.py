"""The bot's "News": posts meant for the member, five at a time, "More", a link to each."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.places.models import Place
from tests.bot.conftest import bot, mode, new_chat, registered_chat, tg  # noqa: F401


def test_news_menu_shows_relevant_posts_with_more(app, bot, registered_chat):  # noqa: F811
    chat = registered_chat("ru")
    with app.app_context():
        moderator = User(email="mod-news@example.org", role="moderator", locale="en")
        db.session.add(moderator)
        db.session.commit()
        home = db.session.scalar(sa.select(Place).where(Place.level == 2).order_by(Place.code))
        other = db.session.scalar(sa.select(Place).where(
            Place.level == 2, Place.region_id != home.region_id).order_by(Place.code))
        ids = []
        for n in range(6):
            post = news.save_post(moderator, title={"ru": f"Новость {n}", "en": f"News {n}"},
                                  body={"ru": f"Текст <{n}>", "en": "Text"})
            ids.append(news.publish(moderator, post).id)
        news.publish(moderator, news.save_post(
            moderator, title={"en": "Elsewhere only"}, body={"en": "x"}, audience="home",
            place_ids=[other.id]))
        news.publish(moderator, news.save_post(
            moderator, title={"en": "English only"}, body={"en": "y"}, audience="home",
            place_ids=[home.region_id]))
        db.session.remove()

    first = chat.command("news", n=5)
    texts = [m["plain_text"] for m in first]
    assert texts[0].startswith("English only") and "(" in texts[0]  # not in Russian: said so
    assert [t.split("\n")[0] for t in texts[1:]] == [f"Новость {n}" for n in (5, 4, 3, 2)]
    assert "Текст <5>" in texts[1]
    assert all("Elsewhere only" not in t for t in texts)
    assert f"http://mekendesh.test/news/{ids[5]}?lang=ru" in first[1]["text"]
    more = first[-1]
    assert chat.buttons(more) and chat.buttons(more)[0][1] == "nw:5"
    rest = chat.press_data("nw:5", n=2, message=more)
    assert [m["plain_text"].split("\n")[0] for m in rest] == ["Новость 1", "Новость 0"]
    assert not chat.buttons(rest[-1])


def test_push_and_news_list_show_one_message_escaped_and_marked(app):
    """The push and the bot's News render one template: '&' and '<' arrive as text, and a
    title in another language says so in the reader's language."""
    from diaspora.news.messages import render_news

    params = {"title": {"en": "Roads & <bridges>"}, "summary": {"en": "A & B <i>"},
              "url": "/news/7"}
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("ru"):
            text = render_news(params, "ru")
    assert text.startswith("<b>Roads &amp; &lt;bridges&gt;</b> <i>(")
    assert "(нет на вашем языке)" in text  # the note, in Russian
    assert "A &amp; B &lt;i&gt;" in text
    assert 'href="http://mekendesh.test/news/7?lang=ru"' in text

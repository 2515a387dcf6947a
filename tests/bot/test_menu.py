"""Menu, /help, /profile editing, /language, /stop and /start, commands per language."""

from __future__ import annotations

import re

from tests.bot.conftest import Chat, chat_user


def test_commands_registered_for_each_language(bot, tg):
    tg.wait_for_call("setMyCommands", lambda c: c.params.get("language_code") == "en")
    for code in ("", "ky", "ru", "en"):
        commands = [c["command"] for c in tg.commands(language_code=code)]
        assert {"start", "help", "profile", "language", "stop", "delete", "link", "web"} <= set(
            commands
        )


def _publish_news(app, title: str) -> None:
    from diaspora.accounts.models import User
    from diaspora.extensions import db
    from diaspora.news import service as news

    with app.app_context():
        moderator = User(email="mod-menu@example.org", role="moderator", locale="en")
        db.session.add(moderator)
        db.session.commit()
        news.publish(moderator, news.save_post(moderator, title={"en": title}, body={"en": "x"}))
        db.session.remove()


def test_menu_items_news_surveys_and_coming_soon(app, bot, registered_chat):
    _publish_news(app, "Kochkor school opens")
    chat = registered_chat()
    menu = chat.command("menu")[0]
    labels = [label for label, _ in chat.buttons(menu)]
    assert labels == [
        "News",
        "Surveys",
        "Projects",
        "Propose a project",
        "Help on return",
        "My profile",
        "Language",
        "Help",
    ]
    news = chat.press("News", message=menu)[0]["plain_text"]
    assert news.startswith("Kochkor school opens") and "Read the full post" in news
    surveys = chat.press("Surveys", message=menu)[0]["plain_text"]
    assert surveys.startswith("There are no open surveys for you right now.")
    assert chat.press("Propose a project", message=menu)[0]["plain_text"].startswith("1/8 · ")
    help_text = chat.press("Help", message=menu)[0]["plain_text"]
    assert "/delete" in help_text and "/news" in help_text


def test_profile_shows_and_changes_an_answer(app, bot, registered_chat):
    chat = registered_chat()
    profile = chat.command("profile")[0]
    assert "Country of residence: Russia" in profile["plain_text"]
    assert "City: Москва" in profile["plain_text"]
    chat.press("City", message=profile)
    replies = chat.send("Санкт-Петербург", n=2)
    assert "City: Санкт-Петербург" in replies[-1]["plain_text"]  # the profile again
    assert chat_user(app, chat.id).profile.city == "Санкт-Петербург"
    question = chat.press("Return plans", message=replies[-1], n=1)[0]
    assert not re.match(r"\d/\d", question["plain_text"])  # one answer: no progress marker
    replies = chat.press("Undecided", n=2)
    assert "Plans to return: Undecided" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).profile.return_plan == "undecided"
    # change the home place: region -> district -> keep the district (Skip)
    chat.press("Home community", message=replies[-1], n=1)
    regions = chat.last_with_buttons()
    first_page = place_labels(regions)
    second = chat.press("More »", message=regions)[0]  # the same message, next page
    assert place_labels(second) and not set(place_labels(second)) & set(first_page)
    assert place_labels(chat.press("« Previous", message=second)[0]) == first_page
    districts = chat.press("Naryn Region")[0]
    assert "choose the district" in districts["plain_text"]
    assert place_labels(chat.press("↩ Back", message=districts)[0]) == first_page
    districts = chat.press("Naryn Region")[0]
    district_label, district = next(
        (label, d) for label, d in chat.buttons(districts) if re.fullmatch(r"pl:\d+", d)
    )
    communities = chat.press_data(district, message=districts)[0]
    if "choose your community" in communities["plain_text"]:
        replies = chat.press("Skip", message=communities, n=2)
    else:
        replies = chat.messages()[-2:]
    assert district_label in replies[-1]["plain_text"]  # the profile shows the new home
    assert chat_user(app, chat.id).profile.home_place_id == int(district[3:])


def place_labels(message: dict) -> list[str]:
    return [label for label, d in Chat.buttons(message) if re.fullmatch(r"pl:\d+", d)]


def test_profile_buttons_follow_the_permission(app, bot, registered_chat, monkeypatch):
    """The bot offers "change" buttons only when can() allows editing the profile."""
    from diaspora.accounts import permissions

    chat = registered_chat()
    offered = chat.command("profile")[0]
    assert "City" in [label for label, _ in chat.buttons(offered)]
    monkeypatch.setitem(permissions._RULES, "profile.edit", lambda user, owner: False)
    refused = chat.command("profile")[0]
    assert [label for label, _ in chat.buttons(refused)] == ["Language", "Main menu"]
    # an old "change" button is refused too, and nothing is asked
    reply = chat.press("City", message=offered)[0]
    assert "not allowed" in reply["plain_text"]
    assert chat.send("Bishkek")[0]["plain_text"].startswith("I did not understand")


def test_language_switch(app, bot, registered_chat):
    chat = registered_chat(locale="en")
    chat.command("language")
    chat.press("Русский", n=2)
    assert chat_user(app, chat.id).locale == "ru"


def test_stop_pauses_and_start_resumes_broadcasts(app, bot, registered_chat, new_chat):
    chat = registered_chat()
    assert "paused" in chat.command("stop")[0]["plain_text"]
    assert chat_user(app, chat.id).broadcasts_paused is True
    assert "Welcome back" in chat.command("start")[-1]["plain_text"]
    assert chat_user(app, chat.id).broadcasts_paused is False
    stranger = new_chat()
    assert "not registered" in stranger.command("stop")[0]["plain_text"]


def test_cancel_leaves_registration_cleanly(app, bot, new_chat):
    chat = new_chat()
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    replies = chat.command("cancel")
    assert "Stopped" in replies[0]["plain_text"]
    assert "nothing to cancel" in chat.command("cancel")[0]["plain_text"]
    # /start picks up the missing answers
    assert "country" in chat.command("start")[0]["plain_text"]


def test_group_messages_are_ignored(bot, tg, new_chat):
    chat = new_chat()
    group = tg.make_group(-100123)
    tg.send_command(chat.user, "start", chat=group)
    tg.send_text(chat.user, "hello", chat=group)
    tg.wait_idle()
    reply = chat.command("help")  # a private message after them is answered
    assert reply and not tg.sent_messages(-100123)

"""Menu, /help, /profile editing, /language, /stop and /start, commands per language."""

from __future__ import annotations

from tests.bot.conftest import chat_user


def test_commands_registered_for_each_language(bot, tg):
    tg.wait_for_call("setMyCommands", lambda c: c.params.get("language_code") == "en")
    for code in ("", "ky", "ru", "en"):
        commands = [c["command"] for c in tg.commands(language_code=code)]
        assert {"start", "help", "profile", "language", "stop", "delete", "link", "web"} <= set(
            commands
        )


def test_menu_items_and_coming_soon(bot, registered_chat):
    chat = registered_chat()
    menu = chat.command("menu")[0]
    labels = [label for label, _ in chat.buttons(menu)]
    assert labels == [
        "News",
        "Surveys",
        "Projects",
        "Propose a project",
        "My profile",
        "Language",
        "Help",
    ]
    assert chat.press("News", message=menu)[0]["plain_text"]  # the news feature answers
    assert "coming soon" in chat.press("Surveys", message=menu)[0]["plain_text"]
    assert "coming soon" in chat.press("Propose a project", message=menu)[0]["plain_text"]
    assert "/delete" in chat.press("Help", message=menu)[0]["plain_text"]


def test_profile_shows_and_changes_an_answer(app, bot, registered_chat):
    chat = registered_chat()
    profile = chat.command("profile")[0]
    assert "Russia" in profile["plain_text"] and "Москва" in profile["plain_text"]
    chat.press("City", message=profile)
    replies = chat.send("Санкт-Петербург", n=2)
    assert "Санкт-Петербург" in replies[-1]["plain_text"]  # the profile again
    assert chat_user(app, chat.id).profile.city == "Санкт-Петербург"
    chat.press("Return plans", message=replies[-1], n=1)
    replies = chat.press("Undecided", n=2)
    assert chat_user(app, chat.id).profile.return_plan == "undecided"
    # change the home place: region -> district (no community: saved at once)
    chat.press("Home community", message=replies[-1], n=1)
    regions = chat.last_with_buttons()
    chat.press("More »", message=regions)
    chat.press("« Back")
    chat.press("Naryn Region")
    chat.press("↩ Regions")
    chat.press("Naryn Region")
    districts = chat.last_with_buttons()
    district = next(d for _, d in chat.buttons(districts) if d.startswith("pl:"))
    chat.press_data(district)
    msg = chat.last_with_buttons()
    if any(d == "hs" for _, d in chat.buttons(msg)):
        chat.press_data("hs", n=2)
    assert chat_user(app, chat.id).profile.home_place_id == int(district[3:])


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

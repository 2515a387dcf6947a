"""Every kind of unexpected input gets a short helpful answer; nothing crashes the bot."""

from __future__ import annotations

import logging
import time

from tests.bot.conftest import chat_user

STALE = "This button is no longer valid."


def answer_of(tg, update: dict) -> dict:
    qid = update["callback_query"]["id"]
    return tg.callback_answers()[qid]


def test_media_and_odd_text_get_short_answers(bot, tg, registered_chat):
    chat = registered_chat()
    cases = [
        lambda: tg.send_sticker(chat.user),
        lambda: tg.send_photo(chat.user, caption="my village"),
        lambda: tg.send_voice(chat.user),
        lambda: tg.send_location(chat.user),
        lambda: tg.send_document(chat.user),
        lambda: tg.send_text(chat.user, "x" * 10_000),
        lambda: tg.send_text(chat.user, "😀🎉🇰🇬"),
        lambda: tg.send_text(chat.user, "hello?"),
        lambda: tg.send_command(chat.user, "nonsense"),
    ]
    answers = []
    for push in cases:
        chat._inject(push)
        replies = chat.settle(1)
        assert len(replies) == 1
        answers.append(replies[0]["plain_text"])
    assert len(set(answers)) == len(answers)  # each kind has its own explanation
    assert all(0 < len(a) < 200 for a in answers)
    assert "sticker" in answers[0] and "photos" in answers[1] and "voice" in answers[2]
    assert "too long" in answers[5]


def test_unexpected_input_during_registration_reasks(bot, tg, new_chat):
    chat = new_chat()
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    # the country question takes typed names; a sticker or a long text does not break it
    chat._inject(lambda: tg.send_sticker(chat.user))
    replies = chat.settle(2)
    assert "sticker" in replies[0]["plain_text"]
    assert "country" in replies[1]["plain_text"]
    replies = chat.send("Atlantis <b>&", n=1)
    assert "Atlantis <b>&" in replies[0]["plain_text"]  # escaped, shown as typed
    replies = chat.send("y" * 10_000, n=1)
    assert len(replies[0]["text"]) < 4096
    replies = chat.send("германия", n=2)
    assert chat_user(bot.flask_app, chat.id).profile.country_code == "DE"
    # emoji-only and over-long city names are refused politely
    assert "letters" in chat.send("🏙️🏙️", n=1)[0]["plain_text"]
    assert "too long" in chat.send("Berlin" * 100, n=1)[0]["plain_text"]
    # the city: HTML-looking text is stored as typed and echoed escaped
    replies = chat.send("<i>Berlin</i> & Co", n=2)
    assert replies[0]["plain_text"] == "✅ <i>Berlin</i> & Co"
    assert chat_user(bot.flask_app, chat.id).profile.city == "<i>Berlin</i> & Co"
    # at the home question typed text is a search: the places of that name as buttons
    found = chat.send("Kochkor", n=1)[0]
    labels = [label for label, d in chat.buttons(found) if d.startswith("pl!pick:")]
    assert "Kochkor District, Naryn Region" in labels
    # nothing of that name: said so, with the region buttons again; markup stays text
    nothing = chat.send("<b>Zzqx</b>", n=1)[0]
    assert "No place called “<b>Zzqx</b>” was found" in nothing["plain_text"]
    assert any(d.startswith("pl:") for _, d in chat.buttons(nothing))


def test_country_typed_in_any_language(bot, new_chat, app):
    for text, code in (("Германия", "DE"), ("Түркия", "TR"), ("south korea", "KR")):
        chat = new_chat()
        chat.command("start")
        chat.press("English", n=2)
        chat.press_data("consent:yes", n=2)
        chat.press("Another country", n=2)
        chat.send(text, n=2)
        assert chat_user(app, chat.id).profile.country_code == code


def test_user_without_language_code_gets_kyrgyz_default(bot, new_chat):
    chat = new_chat(language_code=None)
    replies = chat.command("start")
    assert [b[0] for b in chat.buttons(replies[0])] == ["Кыргызча", "Русский", "English"]
    assert replies[0]["plain_text"]


def test_stale_and_forged_buttons_get_polite_answer(bot, tg, new_chat, app):
    chat = new_chat()
    chat.command("start")
    welcome = chat.last_with_buttons()
    chat.press("English", n=2)
    # the same language button again: the conversation has moved on
    for data in (
        "lang:ky",
        "zz:forged",
        "pl:99999999",
        "ct:XX",
        "rp:later",
        "m:nope",
        "e:nothing",
        "del:maybe",
        "setlang:xx",
        "sc:gold",
    ):
        chat._inject(lambda d=data: tg.press_button(chat.user, welcome["message"], d))
        deadline_answer = _wait_answer(tg, data)
        assert deadline_answer["answer"].get("text") == STALE, data
    # and the conversation still works afterwards
    chat.press_data("consent:yes", n=2)
    assert "country" in chat.texts()[-1]


def _wait_answer(tg, data: str) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for answer in tg.callback_answers().values():
            if answer["data"] == data and answer["answered"]:
                return answer
        time.sleep(0.01)
    raise AssertionError(f"callback {data!r} not answered")


def test_forged_place_in_home_step(bot, new_chat, app):
    chat = new_chat()
    chat.command("start")
    chat.press("English", n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:RU", n=2)
    chat.press("Skip", n=2)
    regions = chat.last_with_buttons()
    tg = bot.tg
    # ids that name nothing, past 64 bits, not ASCII digits; a forged page of the regions
    for data in ("pl:99999999", "pl:100000000000000000000", "pl:²", "pl:-1",
                 "pl!page:0:99999999999999999999", "pl!page:0:²"):
        chat._inject(lambda d=data: tg.press_button(chat.user, regions["message"], d))
        assert _wait_answer(tg, data)["answer"]["text"] == STALE, data
    assert chat_user(app, chat.id).profile.home_place_id is None
    # the real buttons still work
    region = next(d for _, d in chat.buttons(regions) if d.startswith("pl:"))
    districts = chat.press_data(region, message=regions, n=1)[-1]
    assert any(d.startswith("pl:") for _, d in chat.buttons(districts))


def test_forged_more_news_buttons(bot, tg, registered_chat):
    chat = registered_chat(locale="en")
    shown = chat.command("news")[-1]
    for data in ("nw:²", "nw:100000000000000000000", "nw:-5"):
        chat._inject(lambda d=data: tg.press_button(chat.user, shown["message"], d))
        assert _wait_answer(tg, data)["answer"]["text"] == STALE, data


def test_errors_are_logged_and_answered_in_the_users_language(bot, tg, registered_chat, caplog):
    chat = registered_chat(locale="en")
    tg.inject_error(
        400,
        "Bad Request: can't parse entities: Unsupported start tag",
        times=1,
        methods=["sendMessage"],
        chat_id=chat.id,
    )
    with caplog.at_level(logging.ERROR, logger="bot"):
        replies = chat.command("help")
    assert "went wrong" in replies[-1]["plain_text"]
    assert any("error while handling update" in r.getMessage() for r in caplog.records)
    # a blocked user: the error handler cannot answer either, and the bot lives on
    tg.block(chat.id)
    tg.send_command(chat.user, "help")
    deadline = time.monotonic() + 5
    while sum(c.status == 403 for c in tg.calls) < 2:  # the answer, then the apology
        assert time.monotonic() < deadline
        time.sleep(0.01)
    tg.unblock(chat.id)
    assert "Mekendesh" in chat.command("help")[0]["plain_text"]


def test_every_message_respects_telegram_limits(bot, tg, new_chat):
    chat = new_chat()
    chat.command("start")
    chat.send("z" * 10_000)
    for call in tg.calls:
        if call.method in ("sendMessage", "editMessageText"):
            assert len(call.params.get("text", "")) <= 4096
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for b in row:
                assert len(b.get("callback_data", "").encode()) <= 64

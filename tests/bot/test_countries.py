"""A country typed in the bot: everyday names in three languages are taken, a near miss is
offered back as buttons and saved only when pressed; the USA reads «АКШ» / «США»."""

from __future__ import annotations

import pytest

from tests.bot.conftest import chat_user


def _ask_country(chat) -> dict:
    chat.command("profile")
    return chat.press_data("e:country")[-1]


@pytest.mark.parametrize(
    ("locale", "typed", "code", "shown"),
    [
        ("ky", "АКШ", "US", "АКШ"),
        ("ky", "Америка", "US", "АКШ"),
        ("ky", "Орусия", "RU", "Россия"),
        ("ky", "UK", "GB", "Улуу Британия"),
        ("ru", "США", "US", "США"),
        ("ru", "Англия", "GB", "Великобритания"),
        ("en", "USA", "US", "United States"),
        ("en", "Korea", "KR", "South Korea"),
    ],
)
def test_everyday_country_names_are_taken(app, bot, registered_chat, locale, typed, code, shown):
    chat = registered_chat(locale=locale, country_code="DE")
    _ask_country(chat)
    replies = chat.send(typed, n=2)
    assert replies[0]["plain_text"] == f"✅ {shown}"
    assert chat_user(app, chat.id).profile.country_code == code


@pytest.mark.parametrize(("locale", "usa"), [("ky", "АКШ"), ("ru", "США")])
def test_the_usa_button_reads_as_people_write_it(bot, registered_chat, locale, usa):
    chat = registered_chat(locale=locale)
    question = _ask_country(chat)
    labels = dict(chat.buttons(question))
    assert [label for label, data in labels.items() if data == "ct:US"] == [usa]


def test_a_near_miss_asks_before_saving_and_never_offers_a_territory(app, bot, registered_chat):
    chat = registered_chat(locale="ky", country_code="DE")
    _ask_country(chat)
    offer = chat.send("Амер")[-1]
    assert offer["plain_text"].startswith("Ушул өлкөлөрдүн бирин")
    # the USA, not American Samoa nor the U.S. Outlying Islands
    assert chat.buttons(offer) == [("АКШ", "ct:US")]
    assert chat_user(app, chat.id).profile.country_code == "DE"  # nothing saved yet
    chat.press("АКШ", message=offer, n=2)
    assert chat_user(app, chat.id).profile.country_code == "US"


def test_a_country_never_offered_cannot_be_pressed_in(app, bot, registered_chat):
    """Only the buttons shown are accepted: a forged ct:AS after an offer of the USA is stale."""
    chat = registered_chat(locale="ky", country_code="DE")
    _ask_country(chat)
    offer = chat.send("Амер")[-1]
    chat.press_data("ct:AS", message=offer, n=0)
    chat.press("АКШ", message=offer, n=2)
    assert chat_user(app, chat.id).profile.country_code == "US"


def test_a_typo_is_offered_and_nonsense_is_refused(app, bot, registered_chat):
    chat = registered_chat(locale="ru", country_code="DE")
    _ask_country(chat)
    offer = chat.send("Казакстна")[-1]
    assert ("Казахстан", "ct:KZ") in chat.buttons(offer)
    refused = chat.send("Фывапролд")[-1]
    assert "не найдена" in refused["plain_text"]
    assert chat_user(app, chat.id).profile.country_code == "DE"
    chat.press("Казахстан", message=offer, n=2)
    assert chat_user(app, chat.id).profile.country_code == "KZ"

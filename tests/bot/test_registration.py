from __future__ import annotations

import pytest
import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.places.models import Place
from tests.bot.conftest import chat_user


def test_smoke_start(bot, new_chat):
    chat = new_chat()
    replies = chat.command("start")
    assert [b[0] for b in chat.buttons(replies[-1])] == ["Кыргызча", "Русский", "English"]


@pytest.mark.parametrize(
    "language,code", [("Кыргызча", "ky"), ("Русский", "ru"), ("English", "en")]
)
def test_full_registration(app, bot, new_chat, language, code):
    chat = new_chat(language_code=None)
    chat.command("start")
    chat.press(language, n=2)
    chat.press_data("consent:yes", n=2)
    chat.press_data("ct:RU", n=2)
    chat.send("Екатеринбург", n=2)
    # region -> district -> community
    msg = chat.last_with_buttons()
    region = next(d for _, d in chat.buttons(msg) if d.startswith("pl:"))
    chat.press_data(region, n=1)
    while True:
        msg = chat.last_with_buttons()
        places = [d for _, d in chat.buttons(msg) if d.startswith("pl:")]
        if not places:
            break
        chat.press_data(places[0], n=1)
        if not any(d.startswith("pl:") for _, d in chat.buttons(chat.last_with_buttons())):
            break
    # the village, typed beside the aiyl aimak (markup-looking text is refused politely)
    chat.wait(lambda ms: any(any(d == "vl!skip" for _, d in chat.buttons(m)) for m in ms))
    chat.send("<b>1</b>", n=1)
    chat.send("Ак-Кыя", n=2)
    chat.wait(lambda ms: any(any(d.startswith("rp:") for _, d in chat.buttons(m)) for m in ms))
    chat.press_data("rp:later", n=2)
    chat.press_data("rm:regularly", n=2)
    chat.press_data("sc:education", n=1)
    chat.press_data("sc:water", n=1)
    chat.press_data("sc!done", n=2)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat.id))
        assert user.locale == code
        assert user.privacy_accepted_at is not None
        assert user.profile.country_code == "RU"
        assert user.profile.city == "Екатеринбург"
        assert user.profile.home_place_id is not None
        assert db.session.get(Place, user.profile.home_place_id).level >= 2
        assert user.profile.home_village == "Ак-Кыя"
        assert user.profile.return_plan == "later"
        assert user.profile.remittances == "regularly"
        assert user.profile.interest_sectors == ["education", "water"]
        assert user.profile.wants_to_invest
        db.session.remove()
    for m in chat.messages():
        print(m["method"], "|", m["plain_text"], "|", [b[0] for b in chat.buttons(m)])


def test_questions_show_progress_retry_and_ticks(app, bot, new_chat):
    chat = new_chat(language_code="en")
    chat.command("start")
    chat.press("English", n=2)
    country = chat.press_data("consent:yes", n=2)[-1]
    assert country["plain_text"].startswith("1/6 · Which country")
    city = chat.press("Kazakhstan", message=country, n=2)
    assert city[0]["plain_text"].endswith("✅ Kazakhstan")  # the choice replaces the buttons
    assert city[1]["plain_text"].startswith("2/6 · In which city")
    # a city without letters: the service's reason, and the same question waits for a retry
    assert chat.send("12345")[0]["plain_text"] == "The name of a city must contain letters."
    home = chat.send("Almaty", n=2)
    assert home[1]["plain_text"].startswith("3/6 · Where is your home")
    # skip ahead to the sectors through the profile's own flow: pick any home place
    while True:
        msg = chat.last_with_buttons()
        places = [d for _, d in chat.buttons(msg) if d.startswith("pl:")]
        if not places:
            break
        chat.press_data(places[0])
    village = chat.last_with_buttons()
    assert village["plain_text"].startswith("And the village")  # an extra, not counted
    msg = chat.press("Skip", message=village, n=2)[-1]
    assert msg["plain_text"].startswith("4/6 · Do you plan to return")
    assert chat_user(app, chat.id).profile.home_village is None
    remittances = chat.press("Skip", n=2)[-1]
    assert remittances["plain_text"].startswith("5/6 · ")
    assert chat_user(app, chat.id).profile.return_plan is None
    sectors = chat.press("Sometimes", n=2)[-1]
    assert sectors["plain_text"].startswith("6/6 · ")
    ticked = chat.press("Water and sanitation", message=sectors)[0]
    assert "✓ Water and sanitation" in [label for label, _ in chat.buttons(ticked)]
    unticked = chat.press("Water and sanitation", message=ticked)[0]
    assert "Water and sanitation" in [label for label, _ in chat.buttons(unticked)]
    chat.press("IT", message=unticked)
    done = chat.press("✅ Done", n=2)
    assert done[0]["plain_text"].endswith("✅ IT")
    assert "you are registered" in done[1]["plain_text"]
    profile = chat_user(app, chat.id).profile
    assert profile.interest_sectors == ["it"] and profile.wants_to_invest
    assert profile.remittances == "sometimes" and profile.city == "Almaty"

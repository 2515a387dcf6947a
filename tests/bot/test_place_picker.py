"""The place picker with the whole gazetteer: paged buttons, a typed search that finds former
names, the village typed beside the aiyl aimak, through the Bot API double."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.bot.conftest import Chat, chat_user


def _place_buttons(message: dict) -> list[tuple[str, str]]:
    return [(label, d) for label, d in Chat.buttons(message) if re.fullmatch(r"pl:\d+", d)]


def _add_communities(app, district_code: str, how_many: int) -> int:
    """A district with ten times the communities it has: moderators' additions."""
    from diaspora.accounts.models import User
    from diaspora.extensions import db
    from diaspora.places import service
    from diaspora.places.models import Place

    with app.app_context():
        moderator = User(email="mod-picker@example.org", role="moderator", locale="en")
        db.session.add(moderator)
        db.session.commit()
        district = db.session.scalar(sa.select(Place).where(Place.code == district_code))
        for n in range(how_many):
            service.add_community(moderator, district, {"en": f"Village {n:03d}"})
        total = db.session.scalar(
            sa.select(sa.func.count(Place.id)).where(Place.parent_id == district.id))
        db.session.remove()
    return total


def test_picker_pages_through_a_district_with_ten_times_the_communities(app, bot,
                                                                         registered_chat):
    total = _add_communities(app, "KG-N-kochkor", 100)
    assert total == 111
    chat = registered_chat()
    profile = chat.command("profile")[0]
    chat.press("Home community", message=profile)
    chat.press("Naryn Region")
    page = chat.press("Kochkor District")[0]
    assert "choose your community" in page["plain_text"]
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        buttons = _place_buttons(page)
        assert 0 < len(buttons) <= 8  # a phone-sized keyboard on every page
        assert all(len(d.encode()) <= 64 for _, d in Chat.buttons(page))
        seen += [label for label, _ in buttons]
        if "More »" not in [label for label, _ in Chat.buttons(page)]:
            break
        page = chat.press("More »", message=page)[0]
    assert pages == 14 and len(seen) == total == len(set(seen))
    assert "Ormon-Khan Aiyl Aimak (formerly Kosh-Döbö)" in seen
    # the last page still goes back, and a community ends the question
    back = chat.press("« Previous", message=page)[0]
    assert _place_buttons(back)
    label, data = _place_buttons(back)[0]
    replies = chat.press_data(data, message=back, n=2)
    assert label in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).profile.home_place_id == int(data[3:])


def test_typed_former_name_offers_the_renamed_place(app, bot, registered_chat):
    chat = registered_chat(locale="ru")
    profile = chat.command("profile")[0]
    chat.press_data("e:home", message=profile)
    found = chat.send("военно-антоновка", n=1)[0]
    picks = [(label, d) for label, d in Chat.buttons(found) if d.startswith("pl!pick:")]
    assert picks and picks[0][0].startswith("Айылный аймак Кожомкул (бывш. Военно-Антоновка)")
    assert all(len(d.encode()) <= 64 for _, d in Chat.buttons(found))
    replies = chat.press_data(picks[0][1], message=found, n=2)
    assert "Кожомкул" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).profile.home_place_id == int(picks[0][1].split(":")[1])
    # a district found by name opens its communities
    found = chat.command("profile")[0]
    chat.press_data("e:home", message=found)
    districts = chat.send("Сокулук", n=1)[0]
    district = next(d for label, d in Chat.buttons(districts)
                    if label.startswith("Сокулукский район"))
    communities = chat.press_data(district, message=districts)[0]
    assert len(_place_buttons(communities)) == 8


def test_village_is_typed_and_shown_escaped_in_the_profile(app, bot, registered_chat):
    chat = registered_chat()
    profile = chat.command("profile")[0]
    question = chat.press("Village", message=profile)[0]
    assert question["plain_text"].startswith("And the village")
    assert "letters" in chat.send("12345", n=1)[0]["plain_text"]
    assert "too long" in chat.send("Ак" * 50, n=1)[0]["plain_text"]
    replies = chat.send("Жаңы-Айыл & Co", n=2)
    assert "Home village: Жаңы-Айыл & Co" in replies[-1]["plain_text"]
    assert chat_user(app, chat.id).profile.home_village == "Жаңы-Айыл & Co"

"""Proposing a project in Telegram, end to end through the Bot API double: in Kyrgyz and in
Russian, with the bot restarted in the middle (twice: once after a photo was sent), the photo
fetched through getFile at the end; the place picker when the home is not the place; drafts,
/cancel, and what the member sends that the conversation cannot use."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from diaspora.extensions import db
from diaspora.places.models import Place
from diaspora.projects.models import Project
from tests.bot.conftest import BotRunner, chat_user

STALE = "This button is no longer valid."

# What the member reads at a few steps, in their language (from the catalogs).
TEXTS = {
    "ky": {
        "title_question": "Долбоордун аталышы",
        "preview": "Сиздин сунушуңуз",
        "budget": "150\u00a0000\u00a0сом",
        "thanks": "Рахмат! Сунушуңуз модераторлорго жөнөтүлдү.",
        "continue": "Сунушуңузду токтогон жериңизден улантабыз.",
    },
    "ru": {
        "title_question": "Название проекта",
        "preview": "Ваше предложение",
        "budget": "150\u00a0000\u00a0сом",
        "thanks": "Спасибо! Ваше предложение отправлено модераторам.",
        "continue": "Продолжим ваше предложение с того места, где вы остановились.",
    },
}


def jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def the_project(app, chat_id: int) -> Project | None:
    user = chat_user(app, chat_id)
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.proposer_id == user.id))
        if project is not None:
            _ = project.photos, project.place
            db.session.expunge_all()
        db.session.remove()
        return project


def home_of(app, chat_id: int) -> tuple[int, str]:
    user = chat_user(app, chat_id)
    with app.app_context():
        place = db.session.get(Place, user.profile.home_place_id)
        result = place.id, place.display_name("en")
        db.session.remove()
        return result


def restart(bot, app, tg) -> BotRunner:
    bot.stop()  # the process goes away between two answers
    return BotRunner(app, tg, "polling").start()


@pytest.mark.parametrize("code", ["ky", "ru"])
def test_proposal_end_to_end_with_restarts_and_a_photo(app, tg, bot, registered_chat, code):
    texts = TEXTS[code]
    chat = registered_chat(locale=code)
    home_id, _ = home_of(app, chat.id)
    menu = chat.command("menu")[0]
    first = chat.press_data("m:propose", message=menu)[0]
    assert first["plain_text"].startswith("1/8 · ")
    assert [d for _, d in chat.buttons(first)] == ["pjhome:home", "pjhome:other"]
    # one tap for the home community: the place picker is not asked
    replies = chat.press_data("pjhome:home", message=first, n=2)
    assert replies[1]["plain_text"].startswith("2/8 · " + texts["title_question"])
    replies = chat.send("Мектептин чатырын жаңылоо", n=2)
    assert replies[0]["plain_text"] == "✅ Мектептин чатырын жаңылоо"
    assert replies[1]["plain_text"].startswith("3/8 · ")
    chat.send("Жаан өтүп, балдар суук класста окушат.", n=2)

    runner = restart(bot, app, tg)
    try:
        # the next answer is taken as the description, as if nothing happened
        replies = chat.send("**Азыр** чатыр 1975-жылы салынган.\n\n- шифер\n- жыгач", n=2)
        assert replies[0]["plain_text"].startswith("✅ **Азыр** чатыр")
        assert replies[1]["plain_text"].startswith("5/8 · ")
        chat.press_data("pjsec:education", n=2)
        replies = chat.send("150 000", n=2)
        assert replies[0]["plain_text"] == "✅ " + texts["budget"]
        chat.press_data("pjcontrib:money")
        chat.press_data("pjcontrib:volunteering")
        photos_question = chat.press_data("pjcontrib!done", n=2)[1]
        assert photos_question["plain_text"].startswith("8/8 · ")
        sent: dict = {}
        chat._inject(lambda: sent.update(tg.send_photo(chat.user, content=jpeg())))
        received = chat.settle(1)[0]
        assert "1" in received["plain_text"] and "5" in received["plain_text"]
        assert [d for _, d in chat.buttons(received)] == ["pjphoto!done"]
    finally:
        runner.stop()

    runner = restart(bot, app, tg)  # the photo sent before this restart is kept
    try:
        # "Propose a project" again says where we are and asks the same question
        replies = chat.press_data("m:propose", message=menu, n=2)
        assert replies[0]["plain_text"].startswith(texts["continue"])
        assert replies[1]["plain_text"].startswith("8/8 · ")
        preview = chat.press_data("pjphoto!done", message=replies[1], n=2)[1]
        body = preview["plain_text"]
        assert body.startswith(texts["preview"])
        assert "Мектептин чатырын жаңылоо" in body and texts["budget"] in body
        assert [d for _, d in chat.buttons(preview)] == [
            "pjsend:submit", "pjsend:draft", "pjsend:cancel"]
        assert the_project(app, chat.id) is None  # nothing saved before Submit
        replies = chat.press_data("pjsend:submit", message=preview, n=2)
        assert texts["thanks"] in replies[1]["plain_text"]
    finally:
        runner.stop()

    project = the_project(app, chat.id)
    assert project.status == "submitted" and project.language == code
    assert project.place_id == home_id
    assert project.title == "Мектептин чатырын жаңылоо"
    assert project.summary == "Жаан өтүп, балдар суук класста окушат."
    assert "<strong>Азыр</strong>" in project.description_html
    assert (project.sector, project.budget_som) == ("education", 150_000)
    assert project.contributions == ["money", "volunteering"]
    assert len(project.photos) == 1 and project.photos[0].content_type == "image/jpeg"
    assert f"/projects/{project.id}" in replies[1]["plain_text"]
    # the largest size of the photo was fetched (getFile, then the file URL), only at Submit
    largest = max(sent["message"]["photo"], key=lambda p: p["width"])
    assert [c.params["file_id"] for c in tg.calls if c.method == "getFile"] == [
        largest["file_id"]]


def test_another_place_through_the_picker_and_a_draft(app, tg, bot, registered_chat):
    chat = registered_chat(locale="en")
    chat.command("propose")
    picker = chat.press_data("pjhome:other", n=2)[1]
    assert picker["plain_text"].startswith("1/8 · Which place is the project for?")
    region = next(d for label, d in chat.buttons(picker) if label == "Osh Region")
    districts = chat.press_data(region, message=picker)[0]
    district_label, district = next(
        (label, d) for label, d in chat.buttons(districts) if re.fullmatch(r"pjpl:\d+", d))
    communities = chat.press_data(district, message=districts)[0]
    if "choose your community" in communities["plain_text"]:
        replies = chat.press("Skip", message=communities, n=2)
    else:
        replies = chat.messages()[-2:]
    assert replies[-1]["plain_text"].startswith("2/8 · The title")
    chat.send("Sports ground", n=2)
    chat.send("A football pitch for the school.", n=2)
    chat.press("Skip", n=2)  # no description
    chat.press("Skip", n=2)  # no sector
    chat.press("Skip", n=2)  # no budget
    chat.press("Skip", n=2)  # no contributions
    preview = chat.press("Skip", n=2)[1]  # no photos
    assert district_label in preview["plain_text"]
    replies = chat.press("Save as draft", message=preview, n=2)
    assert "Saved as a draft" in replies[1]["plain_text"]
    project = the_project(app, chat.id)
    assert project.status == "draft" and project.place_id == int(district[5:])
    assert (project.description, project.sector, project.budget_som) == ("", None, None)
    assert not project.photos
    # the conversation is over: its old buttons are stale, typed text is not a title
    chat._inject(lambda: tg.press_button(chat.user, preview["message"], "pjsend:submit"))
    assert _answer_text(tg, "pjsend:submit") == STALE
    assert chat.send("Another title")[0]["plain_text"].startswith("I did not understand")


def test_cancel_saves_nothing_and_a_new_proposal_starts_afresh(app, bot, registered_chat):
    chat = registered_chat(locale="en")
    chat.command("propose")
    chat.press_data("pjhome:home", n=2)
    chat.send("A bridge", n=2)
    replies = chat.command("cancel")
    assert "Stopped" in replies[0]["plain_text"]
    assert the_project(app, chat.id) is None
    assert "nothing to cancel" in chat.command("cancel")[0]["plain_text"]
    again = chat.command("propose")[0]
    assert again["plain_text"].startswith("1/8 · ")


def test_what_the_conversation_cannot_use_gets_a_helpful_answer(app, tg, bot, registered_chat):
    chat = registered_chat(locale="en")
    first = chat.command("propose")[0]
    chat.press_data("pjhome:home", message=first, n=2)
    # a sticker at the title: said so, and the question again
    chat._inject(lambda: tg.send_sticker(chat.user))
    replies = chat.settle(2)
    assert "sticker" in replies[0]["plain_text"]
    assert replies[1]["plain_text"].startswith("2/8 · The title")
    # a title too long: the service's rule, and the member types again
    assert "under 200 characters" in chat.send("Roof " * 100)[0]["plain_text"]
    # an old button of an answered question
    chat._inject(lambda: tg.press_button(chat.user, first["message"], "pjhome:other"))
    assert _answer_text(tg, "pjhome:other") == STALE
    chat.send("A roof", n=2)
    chat.send("Fix the roof.", n=2)
    chat.press("Skip", n=2)
    chat.press("Skip", n=2)
    # a budget in words: the amount must be digits
    assert "digits" in chat.send("a lot")[0]["plain_text"]
    chat.send("9 000 сом", n=2)
    chat.press("Skip", n=2)
    # text at the photos step: what is wanted here
    reply = chat.send("here is my photo")[0]
    assert "photos" in reply["plain_text"] and chat.buttons(reply) == [("Skip", "pjphoto!skip")]
    # five photos are the most: the fifth moves on to the preview
    for number in range(1, 6):
        chat._inject(lambda: tg.send_photo(chat.user, content=jpeg()))
        replies = chat.settle(1 if number < 5 else 2)
    assert "the most" in replies[0]["plain_text"]
    assert replies[1]["plain_text"].startswith("Your proposal")
    assert "Photos: 5" in replies[1]["plain_text"]
    # a sticker at the preview: explained, and the preview again
    chat._inject(lambda: tg.send_sticker(chat.user))
    chat.settle(2)  # the sticker explained, the preview again
    replies = chat.press("Submit", n=2)
    assert "Thank you" in replies[1]["plain_text"]
    assert len(the_project(app, chat.id).photos) == 5


def test_a_photo_that_is_not_an_image_is_left_out_with_a_note(app, tg, bot, registered_chat):
    chat = registered_chat(locale="en")
    chat.command("propose")
    chat.press_data("pjhome:home", n=2)
    chat.send("Clinic", n=2)
    chat.send("Repair the clinic.", n=2)
    for _ in range(4):
        chat.press("Skip", n=2)
    chat._inject(lambda: tg.send_photo(chat.user, content=b"\xff\xd8\xff\xe0not a jpeg"))
    chat.settle(1)
    chat._inject(lambda: tg.send_photo(chat.user, content=jpeg()))
    chat.settle(1)
    chat.press("✅ Done", n=2)
    replies = chat.press("Submit", n=2)
    assert "1 photo(s) could not be used" in replies[1]["plain_text"]
    project = the_project(app, chat.id)
    assert project.status == "submitted" and len(project.photos) == 1


def test_strangers_are_asked_to_register(bot, new_chat):
    chat = new_chat()
    assert "not registered" in chat.command("propose")[0]["plain_text"]


def _answer_text(tg, data: str) -> str | None:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for answer in tg.callback_answers().values():
            if answer["data"] == data and answer["answered"]:
                return answer["answer"].get("text")
        time.sleep(0.01)
    raise AssertionError(f"callback {data!r} not answered")

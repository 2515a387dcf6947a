"""The bot's "Projects": the member's home region first, five a message with « Previous /
More », a Support toggle counted once however often it is pressed, a link to each page,
and forged or stale buttons answered politely."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.moderation import spam
from diaspora.places.models import Place
from diaspora.projects import service
from diaspora.projects.models import Project, ProjectSupport
from tests.bot.conftest import chat_user

STALE = "This button is no longer valid."


def publish(app, region_code: str, titles: list[str]) -> list[int]:
    """Published proposals for a district of a region, oldest first in `titles`."""
    with app.app_context():
        region = db.session.scalar(sa.select(Place).where(Place.code == region_code))
        place = db.session.scalar(sa.select(Place).where(Place.region_id == region.id,
                                                         Place.level == 2).order_by(Place.code))
        proposer = User(email=f"p-{region_code}@example.org", role="member", locale="en")
        moderator = User(email=f"m-{region_code}@example.org", role="moderator", locale="en")
        db.session.add_all([proposer, moderator])
        db.session.commit()
        ids = []
        with spam.suspended():  # one proposer, more proposals than a member may send a day
            for title in titles:
                project = service.save_project(proposer, service.ProjectDraft(
                    place_id=place.id, title=title, summary=f"About {title}."))
                service.transition(proposer, project, "submit")
                service.transition(moderator, project, "publish")
                ids.append(project.id)
                time.sleep(0.002)  # distinct publication times: newest first is well defined
        db.session.remove()
        return ids


def home_in(app, chat_id: int, region_code: str) -> None:
    """Move the member's home to a district of that region."""
    user = chat_user(app, chat_id)
    with app.app_context():
        region = db.session.scalar(sa.select(Place).where(Place.code == region_code))
        place = db.session.scalar(sa.select(Place).where(Place.region_id == region.id,
                                                         Place.level == 2).order_by(Place.code))
        db.session.get(User, user.id).profile.home_place_id = place.id
        db.session.commit()
        db.session.remove()


def titles(message: dict) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", message["plain_text"], flags=re.M)


def supporters(app, project_id: int) -> tuple[int, int]:
    with app.app_context():
        counter = db.session.get(Project, project_id).supporters
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(ProjectSupport)
                                 .where(ProjectSupport.project_id == project_id))
        db.session.remove()
        return counter, rows


def test_home_region_first_then_the_others_five_a_page(app, bot, registered_chat):
    others = publish(app, "KG-O", ["Osh 1", "Osh 2", "Osh 3", "Osh 4"])
    publish(app, "KG-N", ["Naryn 1", "Naryn 2", "Naryn 3"])
    chat = registered_chat(locale="en")
    home_in(app, chat.id, "KG-N")
    first = chat.press_data("m:projects", message=chat.command("menu")[0])[0]
    assert first["plain_text"].startswith("Projects: Naryn Region first")
    # the home region's projects first (newest first), then the others
    assert titles(first) == ["Naryn 3", "Naryn 2", "Naryn 1", "Osh 4", "Osh 3"]
    assert f"/projects/{others[3]}" in str(first["text"]) or any(
        e.get("url", "").endswith(f"/projects/{others[3]}") for e in first.get("entities", []))
    assert "About Naryn 3." in first["plain_text"]
    labels = [label for label, _ in chat.buttons(first)]
    assert labels == ["👍 1 · Support", "👍 2 · Support", "👍 3 · Support", "👍 4 · Support",
                      "👍 5 · Support", "More »"]
    second = chat.press("More »", message=first)[0]
    assert second["message"]["message_id"] == first["message"]["message_id"]  # edited in place
    assert titles(second) == ["Osh 2", "Osh 1"]
    assert [label for label, _ in chat.buttons(second)][-1] == "« Previous"
    back = chat.press("« Previous", message=second)[0]
    assert titles(back) == titles(first)
    # the /projects command shows the same list
    assert titles(chat.command("projects")[0]) == titles(first)


def test_without_a_home_the_newest_first(app, bot, registered_chat, new_chat):
    publish(app, "KG-O", ["Osh 1"])
    publish(app, "KG-N", ["Naryn 1"])
    stranger = new_chat()  # not registered: sees the list, is asked to register to support
    shown = stranger.command("projects")[0]
    assert titles(shown) == ["Naryn 1", "Osh 1"]
    assert not stranger.buttons(shown)
    assert "register first" in shown["plain_text"]


def test_support_toggle_counts_once(app, tg, bot, registered_chat):
    (project_id,) = publish(app, "KG-N", ["Water pump"])
    chat = registered_chat(locale="en")
    shown = chat.command("projects")[0]
    support = dict((label, data) for label, data in chat.buttons(shown))["👍 1 · Support"]
    assert support == f"pj!s:{project_id}:0"
    # three quick presses of the same (old) button: one support
    for _ in range(3):
        tg.press_button(chat.user, shown["message"], support)
    chat.mark = 0
    chat.wait(lambda ms: any("✅ 1 · Supported" in [b for b, _ in chat.buttons(m)] for m in ms))
    tg.wait_idle()
    time.sleep(0.3)
    assert supporters(app, project_id) == (1, 1)
    assert "Thank you for your support!" in [a["answer"].get("text")
                                             for a in tg.callback_answers().values()]
    edited = chat.messages()[-1]
    assert "supporters: 1" in edited["plain_text"]
    # and a press on "Supported" withdraws it
    after = chat.press("✅ 1 · Supported", message=edited)[0]
    assert "👍 1 · Support" in [label for label, _ in chat.buttons(after)]
    assert "supporters: 0" in after["plain_text"]
    assert supporters(app, project_id) == (0, 0)


def test_forged_and_stale_list_buttons(app, tg, bot, registered_chat):
    (project_id,) = publish(app, "KG-N", ["School roof"])
    chat = registered_chat(locale="en")
    shown = chat.command("projects")[0]
    for data in ("pj!p:²", "pj!p:100000000000000000000", "pj!s:1", "pj!zz:1:0", "pj:5",
                 f"pj!s:{project_id}:-5"):
        tg.press_button(chat.user, shown["message"], data)
        assert _answer_text(tg, data) == STALE, data
    # a project that is not (or no longer) public: said so, nothing counted
    reply = chat.press_data("pj!s:99999999:0", message=shown)[0]
    assert reply["plain_text"] == "This project does not exist."
    with app.app_context():
        db.session.get(Project, project_id).status = "archived"
        db.session.commit()
        db.session.remove()
    reply = chat.press_data(f"pj!s:{project_id}:0", message=shown)[0]
    assert reply["plain_text"] == "This project does not exist."
    assert supporters(app, project_id) == (0, 0)


def _answer_text(tg, data: str) -> str | None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for answer in tg.callback_answers().values():
            if answer["data"] == data and answer["answered"]:
                return answer["answer"].get("text")
        time.sleep(0.01)
    raise AssertionError(f"callback {data!r} not answered")


def test_a_page_costs_the_same_queries_for_one_project_or_five(app, registered_chat):
    """No query per listed project (places, supports, permissions): a fixed number."""
    from bot.handlers.projects import _list_page

    chat = registered_chat(locale="en")
    home_in(app, chat.id, "KG-N")

    def count(offset: int) -> tuple[int, int]:
        statements: list[str] = []

        def remember(conn, cursor, statement, *args):  # noqa: ANN001
            statements.append(statement)

        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", remember)
            try:
                page = _list_page(chat.id, offset, "en")
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", remember)
            db.session.remove()
        return len(page.items), len(statements)

    publish(app, "KG-N", ["Naryn 1"])
    publish(app, "KG-O", ["Osh 1"])
    shown_two, queries_two = count(0)
    publish(app, "KG-C", [f"Chui {n}" for n in range(6)])
    shown_five, queries_five = count(0)
    assert (shown_two, shown_five) == (2, 5)
    assert queries_five == queries_two <= 6

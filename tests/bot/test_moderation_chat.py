"""The moderators' Telegram chat, end to end through the Bot API double: staff link a group
with a one-time code, the bot posts each queue entry there with buttons, a moderator's press
is their decision (shown on the message: who and when), a reason is asked for in the chat,
two moderators pressing at once give one decision, and a decision on the web closes the
message too."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import chat as service
from diaspora.moderation.models import (
    AuditEntry,
    ModerationChat,
    ModerationChatCode,
    ModerationChatPost,
)
from diaspora.projects import service as projects
from diaspora.projects.models import Project
from tests.bot.conftest import BotRunner, _ids
from tests.conftest import login
from tests.telegram.bot_api_double import BotApiDouble, TgUser

WAIT = 8.0
TITLE = "Water & pipes <for> Ak-Say"


@pytest.fixture
def bot(app: Flask, tg: BotApiDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[BotRunner]:
    """The bot with its queue poll every 0.2 s (10 s in production)."""
    monkeypatch.setitem(app.config, "MODERATION_CHAT_POLL_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "BOT_PERSISTENCE_INTERVAL", 0.5)
    runner = BotRunner(app, tg).start()
    yield runner
    runner.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


def telegram_staff(make_user: Callable[..., User], tg: BotApiDouble, role: str = "moderator",
                   name: str = "Aida", locale: str = "en") -> tuple[TgUser, int]:
    """A member of staff (or not) whose Telegram account is joined to their Mekendesh one."""
    person = tg.make_user(next(_ids), first_name=name, language_code=locale)
    user = make_user(role, telegram_chat_id=person.id, locale=locale)
    user.profile.display_name = name
    db.session.commit()
    return person, user.id


def submitted_project(make_user: Callable[..., User], here: Any, title: str = TITLE) -> int:
    proposer = make_user(home=here)
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=here.id, title=title, summary="A pump & 2 km of pipes", language="en"))
    projects.transition(proposer, project, "submit")
    return project.id


def make_code(client: Any, staff: User) -> str:
    login(client, staff)
    page = client.post("/moderation/telegram/code?lang=en").get_data(as_text=True)
    return re.search(r"/moderators ([A-Z0-9]{4}-[A-Z0-9]{4})", page).group(1)


def group_messages(tg: BotApiDouble, group: dict) -> list[dict]:
    return tg.sent_messages(group["id"], methods=("sendMessage",))


def current(tg: BotApiDouble, group: dict, message_id: int) -> dict:
    """A message of the group as it stands now (edits applied)."""
    return tg.message(group["id"], message_id)


def posts_of(tg: BotApiDouble, group: dict) -> list[dict]:
    return [m["message"] for m in group_messages(tg, group)
            if (m["reply_markup"] or {}).get("inline_keyboard")]


def buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"]
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row}


def link_group(tg: BotApiDouble, client: Any, app: Flask, person: TgUser, staff_id: int,
               title: str = "IOM moderators") -> dict:
    group = tg.make_group(-1001000000000 - next(_ids) % 10**6, title=title)
    with app.app_context():
        code = make_code(client, db.session.get(User, staff_id))
    since = len(group_messages(tg, group))
    tg.send_command(person, "moderators", code, chat=group)
    wait_for(lambda: len(group_messages(tg, group)) > since, what="the link's answer")
    return group


@pytest.fixture
def moderator(make_user: Callable[..., User], tg: BotApiDouble) -> tuple[TgUser, int]:
    return telegram_staff(make_user, tg, name="Aida")


def test_staff_link_a_group_with_a_one_time_code(app, bot, tg, client, make_user, moderator):
    person, staff_id = moderator
    member, member_id = telegram_staff(make_user, tg, role="member", name="Bakyt")
    staff = db.session.get(User, staff_id)
    login(client, staff)
    page = client.get("/moderation/telegram?lang=en").get_data(as_text=True)
    assert "No chat is linked yet." in page

    group = tg.make_group(-1001000000777, title="IOM moderators")
    code = make_code(client, staff)
    with app.app_context():  # only a hash is kept
        stored = db.session.scalar(sa.select(ModerationChatCode.code_hash))
        assert code.replace("-", "") not in stored
        db.session.remove()

    # a wrong code, then a member with the right one: refused, and nothing is linked
    tg.send_command(person, "moderators", "AAAA-BBBB", chat=group)
    wrong = wait_for(lambda: group_messages(tg, group), what="wrong code")
    assert "wrong or has expired" in wrong[-1]["plain_text"]
    tg.send_command(member, "moderators", code, chat=group)
    refused = wait_for(lambda: group_messages(tg, group)[1:], what="member refused")
    assert "Only a moderator" in refused[-1]["plain_text"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ModerationChat.id))) == 0
        db.session.remove()

    # the moderator with the code: linked, answered in their language
    tg.send_command(person, "moderators", code, chat=group)
    linked = wait_for(lambda: group_messages(tg, group)[2:], what="linked")
    assert "now the moderators' chat" in linked[-1]["plain_text"]
    page = client.get("/moderation/telegram?lang=en").get_data(as_text=True)
    assert "IOM moderators" in page and "Linked by Aida" in page

    # the code is used up
    tg.send_command(person, "moderators", code, chat=tg.make_group(-1001000000778))
    again = wait_for(lambda: tg.sent_messages(-1001000000778), what="used code")
    assert "wrong or has expired" in again[-1]["plain_text"]

    with app.app_context():
        (row,) = db.session.scalars(sa.select(ModerationChat)).all()
        assert row.chat_id == group["id"] and row.linked_by_id == staff_id
        assert row.locale == "en"
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "moderation.chat_link" in actions
        db.session.remove()


def test_an_expired_code_is_refused(app, bot, tg, client, moderator):
    person, staff_id = moderator
    group = tg.make_group(-1001000000779)
    code = make_code(client, db.session.get(User, staff_id))
    with app.app_context():
        db.session.execute(sa.update(ModerationChatCode).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    tg.send_command(person, "moderators", code, chat=group)
    answer = wait_for(lambda: group_messages(tg, group), what="expired code")
    assert "wrong or has expired" in answer[-1]["plain_text"]
    assert not service_linked(app)


def service_linked(app: Flask) -> list[int]:
    with app.app_context():
        ids = list(db.session.scalars(sa.select(ModerationChat.chat_id)))
        db.session.remove()
    return ids


def test_an_item_is_posted_and_a_moderator_approves_it(app, bot, tg, client, make_user, here,
                                                      moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)

    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    sent = group_messages(tg, group)[-1]
    assert "Water &amp; pipes &lt;for&gt; Ak-Say" in sent["text"]  # escaped for HTML
    assert TITLE in post["text"] and "A pump & 2 km of pipes" in post["text"]
    assert f'href="http://mekendesh.test/projects/{project_id}"' in sent["text"]
    labels = buttons(post)
    assert set(labels) == {"Publish", "Return for changes", "Reject"}
    assert all(len(data.encode()) <= 64 for data in labels.values())
    time.sleep(0.5)  # more rounds of the poll: still one post
    assert len(posts_of(tg, group)) == 1

    tg.press_button(person, post, labels["Publish"])
    edited = wait_for(lambda: not current(tg, group, post["message_id"]).get("reply_markup")
                      and current(tg, group, post["message_id"]), what="the edit")
    assert TITLE in edited["text"]
    assert re.search(r"✅ (Publish|Approve): decided by Aida, .+\d\d:\d\d \(UTC\)", edited["text"])
    answers = [q["answer"] for q in tg.callback_answers().values() if q["answer"]]
    assert any("Done" in a.get("text", "") for a in answers)
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project.status == "published"
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "project.publish"))
        assert entry.actor_id == staff_id  # the decision is the moderator's
        db.session.remove()


def test_a_member_pressing_is_refused(app, bot, tg, client, make_user, here, moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    member, _ = telegram_staff(make_user, tg, role="member", name="Bakyt", locale="ru")
    stranger = tg.make_user(next(_ids), first_name="Nobody", language_code="en")
    for who in (member, stranger):
        query = tg.press_button(who, post, buttons(post)["Publish"])["callback_query"]["id"]
        answer = wait_for(lambda q=query: tg.callback_answers()[q]["answer"], what="refusal")
        assert answer["show_alert"] is True
    assert "модератор" in tg.callback_answers()[min(tg.callback_answers())]["answer"]["text"]
    assert current(tg, group, post["message_id"]).get("reply_markup")  # still open
    with app.app_context():
        assert db.session.get(Project, project_id).status == "submitted"
        db.session.remove()


def test_a_moderator_cannot_decide_on_their_own_proposal(app, bot, tg, client, make_user,
                                                         here, moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    author = db.session.get(User, staff_id)
    project = projects.save_project(author, projects.ProjectDraft(
        place_id=here.id, title="My own idea", summary="Mine", language="en"))
    projects.transition(author, project, "submit")
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    count = len(group_messages(tg, group))
    query = tg.press_button(person, post, buttons(post)["Reject"])["callback_query"]["id"]
    answer = wait_for(lambda: tg.callback_answers()[query]["answer"], what="refusal")
    assert "Nobody moderates their own content" in answer["text"]
    assert len(group_messages(tg, group)) == count  # no question for a reason
    assert current(tg, group, post["message_id"]).get("reply_markup")


def test_a_reason_is_asked_in_the_chat_and_taken_from_the_moderator(
        app, bot, tg, client, make_user, here, moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    count = len(group_messages(tg, group))

    tg.press_button(person, post, buttons(post)["Reject"])
    ask = wait_for(lambda: group_messages(tg, group)[count:], what="the question")[-1]
    assert "reason for “Reject”" in ask["plain_text"] and TITLE in ask["plain_text"]
    assert ask["params"]["reply_markup"]["force_reply"] is True
    assert current(tg, group, post["message_id"]).get("reply_markup")  # not decided yet

    # somebody else's reply is not the reason; an empty one... ; the moderator's is
    other, _ = telegram_staff(make_user, tg, name="Bakyt")
    tg.send_text(other, "Looks fine to me", chat=group, reply_to=ask["message"])
    tg.wait_idle()
    time.sleep(0.3)
    with app.app_context():
        assert db.session.get(Project, project_id).status == "submitted"
        db.session.remove()
    tg.send_text(person, "The budget has no quotes", chat=group, reply_to=ask["message"])
    wait_for(lambda: not current(tg, group, post["message_id"]).get("reply_markup"),
             what="the decision")
    assert "✅ Reject: decided by Aida" in current(tg, group, post["message_id"])["text"]
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project.status == "rejected"
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "project.reject"))
        assert entry.actor_id == staff_id and entry.after["note"] == "The budget has no quotes"
        db.session.remove()


def test_cancel_drops_the_question(app, bot, tg, client, make_user, here, moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    count = len(group_messages(tg, group))
    tg.press_button(person, post, buttons(post)["Return for changes"])
    ask = wait_for(lambda: group_messages(tg, group)[count:], what="the question")[-1]
    tg.send_command(person, "cancel", chat=group)
    dropped = wait_for(lambda: group_messages(tg, group)[count + 1:], what="cancelled")
    assert "nothing was decided" in dropped[-1]["plain_text"]
    tg.send_text(person, "Too late", chat=group, reply_to=ask["message"])
    tg.wait_idle()
    time.sleep(0.3)
    with app.app_context():
        assert db.session.get(Project, project_id).status == "submitted"
        db.session.remove()


def test_two_moderators_pressing_at_once_make_one_decision(app, bot, tg, client, make_user,
                                                            here, moderator):
    """Two linked groups, one moderator in each, pressing at the same moment: their updates
    are handled concurrently (different chats); one decision, both messages show it."""
    aida, aida_id = moderator
    bakyt, bakyt_id = telegram_staff(make_user, tg, name="Bakyt")
    first = link_group(tg, client, app, aida, aida_id, title="Bishkek office")
    second = link_group(tg, client, app, bakyt, bakyt_id, title="Osh office")
    project_id = submitted_project(make_user, here)
    (post_1,) = wait_for(lambda: posts_of(tg, first), what="post 1")
    (post_2,) = wait_for(lambda: posts_of(tg, second), what="post 2")

    go = threading.Barrier(2)
    queries = {}

    def press(who: TgUser, post: dict, label: str) -> None:
        go.wait()
        queries[who.id] = tg.press_button(who, post, buttons(post)[label])["callback_query"]["id"]

    threads = [threading.Thread(target=press, args=(aida, post_1, "Publish")),
               threading.Thread(target=press, args=(bakyt, post_2, "Publish"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: all(tg.callback_answers()[q]["answer"] for q in queries.values()),
             what="both answers")
    wait_for(lambda: not current(tg, first, post_1["message_id"]).get("reply_markup")
             and not current(tg, second, post_2["message_id"]).get("reply_markup"),
             what="both messages closed")

    with app.app_context():
        assert db.session.get(Project, project_id).status == "published"
        decided = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "project.publish")).all()
        assert len(decided) == 1
        winner = "Aida" if decided[0].actor_id == aida_id else "Bakyt"
        db.session.remove()
    line = f": decided by {winner}, "
    assert line in current(tg, first, post_1["message_id"])["text"]
    assert line in current(tg, second, post_2["message_id"])["text"]
    texts = [tg.callback_answers()[q]["answer"].get("text", "") for q in queries.values()]
    assert sorted(t.split(":")[0] for t in texts) == ["Already decided by " + winner, "Done"]
    # every message of the entry was edited once
    edits = [c for c in tg.calls_of("editMessageText", ok_only=True)]
    assert len(edits) == 2


def test_same_chat_double_press_gives_already_decided(app, bot, tg, client, make_user, here,
                                                      moderator):
    aida, aida_id = moderator
    bakyt, _ = telegram_staff(make_user, tg, name="Bakyt")
    group = link_group(tg, client, app, aida, aida_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    first = tg.press_button(aida, post, buttons(post)["Publish"])["callback_query"]["id"]
    second = tg.press_button(bakyt, post, buttons(post)["Publish"])["callback_query"]["id"]
    wait_for(lambda: tg.callback_answers()[first]["answer"]
             and tg.callback_answers()[second]["answer"], what="answers")
    with app.app_context():
        assert db.session.get(Project, project_id).status == "published"
        (entry,) = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "project.publish")).all()
        winner = "Aida" if entry.actor_id == aida_id else "Bakyt"
        db.session.remove()
    texts = sorted(tg.callback_answers()[q]["answer"]["text"] for q in (first, second))
    assert texts[0].startswith(f"Already decided by {winner}: ")
    assert texts[1] == "Done: Publish."


def test_a_decision_on_the_web_closes_the_message(app, bot, tg, client, make_user, here,
                                                  moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    web_moderator = make_user("moderator")
    web_moderator.profile.display_name = "Cholpon"
    db.session.commit()
    from diaspora.moderation import queue

    key = service_post_keys(app)[0]
    queue.decide(web_moderator, key, "approve")
    closed = wait_for(lambda: not current(tg, group, post["message_id"]).get("reply_markup")
                      and current(tg, group, post["message_id"]), what="closed by the poll")
    assert re.search(r"✅ \w+: decided by Cholpon", closed["text"])
    with app.app_context():
        assert db.session.get(Project, project_id).status == "published"
        db.session.remove()


def service_post_keys(app: Flask) -> list[str]:
    with app.app_context():
        keys = list(db.session.scalars(sa.select(ModerationChatPost.item_key)))
        db.session.remove()
    return keys


def test_unlinking_on_the_page_and_the_bot_leaving(app, bot, tg, client, make_user, here,
                                                   moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    other = link_group(tg, client, app, person, staff_id, title="Second")
    assert sorted(service_linked(app)) == sorted([group["id"], other["id"]])
    with app.app_context():
        link_id = db.session.scalar(sa.select(ModerationChat.id).where(
            ModerationChat.chat_id == group["id"]))
        db.session.remove()
    login(client, db.session.get(User, staff_id))
    page = client.post(f"/moderation/telegram/{link_id}/unlink?lang=en", follow_redirects=True)
    assert "unlinked" in page.get_data(as_text=True)
    assert service_linked(app) == [other["id"]]

    # the bot removed from the other group: unlinked too
    tg.push_update({"my_chat_member": {
        "chat": other, "from": person.to_dict(), "date": int(time.time()),
        "old_chat_member": {"status": "member", "user": tg.bot_user},
        "new_chat_member": {"status": "left", "user": tg.bot_user}}})
    wait_for(lambda: not service_linked(app), what="unlinked when removed")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("moderation.chat_unlink") == 2
        db.session.remove()
    # nothing is posted to chats no longer linked
    submitted_project(make_user, here)
    time.sleep(0.6)
    assert not posts_of(tg, group) and not posts_of(tg, other)


def test_the_question_for_a_reason_survives_a_restart(app, bot, tg, client, make_user, here,
                                                      moderator):
    person, staff_id = moderator
    group = link_group(tg, client, app, person, staff_id)
    project_id = submitted_project(make_user, here)
    (post,) = wait_for(lambda: posts_of(tg, group), what="the post")
    count = len(group_messages(tg, group))
    tg.press_button(person, post, buttons(post)["Reject"])
    ask = wait_for(lambda: group_messages(tg, group)[count:], what="the question")[-1]
    bot.stop()
    bot.start()
    tg.send_text(person, "Duplicate of another proposal", chat=group, reply_to=ask["message"])
    wait_for(lambda: not current(tg, group, post["message_id"]).get("reply_markup"),
             what="decided after the restart")
    with app.app_context():
        assert db.session.get(Project, project_id).status == "rejected"
        db.session.remove()


def test_poll_posts_a_chat_at_a_time_within_the_batch(app, make_user, here, ctx):
    """The service alone: a claim per chat and entry, at most `batch` per round."""
    for n in range(4):
        submitted_project(make_user, here, title=f"Project {n}")
    db.session.add(ModerationChat(chat_id=-100999, title="Mods", locale="ky"))
    db.session.commit()
    first = service.poll_plan(3)
    assert len(first.new) == 3 and {n.locale for n in first.new} == {"ky"}
    for n in first.new:
        service.posted(n.post_id, 1000 + n.post_id, "text")
    second = service.poll_plan(3)
    assert len(second.new) == 1
    service.release(second.new[0].post_id)
    assert len(service.poll_plan(3).new) == 1  # released: offered again


def test_a_title_full_of_ampersands_still_makes_one_valid_message(app: Flask) -> None:
    """Escaping makes "&" five characters: the post must stay under Telegram's 4,096 and
    never end inside an entity, or Telegram refuses it and the entry never reaches the chat."""
    import html as html_module
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from bot.handlers.moderation import post_text

    item = SimpleNamespace(label="Project", title="&<" * 300, excerpt="&" * 2000,
                           details=("&" * 500,) * 3, url="/projects/1",
                           created_at=datetime(2026, 11, 28, tzinfo=UTC))
    with app.app_context():
        text = post_text(app, "ky", item)
    assert len(text) <= 4096
    assert "&amp;&lt;" in text and not re.search(r"&[a-z]{0,3}(?![a-z;])", text)
    plain = html_module.unescape(re.sub(r"<[^>]+>", "", text))
    assert "&<&<" in plain

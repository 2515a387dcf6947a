"""Against spam in Telegram, through the Bot API double: the bot calls the same services as
the site, so the same rules hold there, said in the member's language: a new account's link is
refused as it is typed (and the member types the answer again); over the day's limit of
proposals, Submit is refused with the limit and when, and the proposal stays a draft."""

# ruff: noqa: F811  (pytest passes the imported fixtures as arguments of the same names)
from __future__ import annotations

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.moderation import spam
from diaspora.projects.models import Project
from tests.bot.conftest import (  # noqa: F401  (the bot's fixtures)
    bot,
    chat_user,
    mode,
    new_chat,
    registered_chat,
    tg,
)


def _projects_of(app, chat_id: int) -> list[Project]:
    user = chat_user(app, chat_id)
    with app.app_context():
        found = list(db.session.scalars(sa.select(Project).where(
            Project.proposer_id == user.id).order_by(Project.id)))
        db.session.expunge_all()
        db.session.remove()
        return found


def test_a_new_account_types_its_proposal_again_without_the_link(app, bot, registered_chat):
    chat = registered_chat(locale="ru")
    chat.command("propose")
    chat.press_data("pjhome:home", n=2)
    refused = chat.send("Ремонт школы: подробности на www.school.example.com")[0]
    assert "Новые аккаунты могут публиковать ссылки только после первого дня" in refused[
        "plain_text"]
    assert "через 24 часа" in refused["plain_text"]
    replies = chat.send("Ремонт школы", n=2)  # the same question takes the answer again
    assert replies[0]["plain_text"] == "✅ Ремонт школы"
    refused = chat.send("Пишите в t.me/school_help")[0]
    assert "Новые аккаунты могут публиковать ссылки" in refused["plain_text"]
    chat.send("Крыша школы течёт, дети мёрзнут.", n=2)
    for _ in range(5):
        chat.press("Пропустить", n=2)
    replies = chat.press("Отправить", n=2)
    assert "Спасибо!" in replies[1]["plain_text"]
    (project,) = _projects_of(app, chat.id)
    assert project.title == "Ремонт школы" and project.status == "submitted"


def test_over_the_days_limit_submit_is_refused_and_the_draft_kept(app, bot, registered_chat,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "SPAM_PROPOSALS_PER_DAY", 1)
    chat = registered_chat(locale="ky")
    user = chat_user(app, chat.id)
    with app.app_context():
        spam.count(user, spam.PROPOSALS)  # one proposal sent today already
    chat.command("propose")
    chat.press_data("pjhome:home", n=2)
    chat.send("Мектептин чатыры", n=2)
    chat.send("Чатыр агат, балдар үшүшөт.", n=2)
    for _ in range(5):
        chat.press("Өткөрүп жиберүү", n=2)  # Skip
    replies = chat.press_data("pjsend:submit", n=3)  # the choice shown, the refusal, preview
    said = replies[1]["plain_text"]
    assert "Бүгүнкү сунуштардын чеги толду (күнүнө 1)" in said
    assert "24 сааттан кийин" in said
    assert replies[2]["plain_text"].startswith("Сиздин сунушуңуз")  # the preview again
    (project,) = _projects_of(app, chat.id)
    assert project.status == "draft" and project.title == "Мектептин чатыры"
    # Save as draft still works from here
    chat.press_data("pjsend:draft", n=2)
    (project,) = _projects_of(app, chat.id)
    assert project.status == "draft"

"""In Telegram, through the Bot API double: a verified authority's /queue lists the proposals
of its place waiting for its answer; revoked, the very next /queue is refused, and a
Telegram message telling why waits in the outbox."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts import authority
from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.places.models import Place
from diaspora.projects import service as projects
from tests.bot.conftest import bot, chat_user, mode, new_chat, registered_chat, tg  # noqa: F401

REFUSED = "Only a verified local authority has proposals to answer."


def _place(code_region: str) -> Place:
    region = db.session.scalar(sa.select(Place).where(Place.code == code_region))
    return db.session.scalar(sa.select(Place).where(Place.region_id == region.id,
                                                    Place.level == 2).order_by(Place.code))


def _setup(app, chat_id: int) -> tuple[int, int]:
    """The chat's member asks for a district of Naryn and is verified; a proposal for that
    district is published. Returns (the request's id, the moderator's id)."""
    with app.app_context():
        place = _place("KG-N")
        moderator = User(email="mod-bot-authority@example.org", role="moderator", locale="en")
        proposer = User(email="proposer-bot-authority@example.org", role="member", locale="en")
        db.session.add_all([moderator, proposer])
        db.session.commit()
        member = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat_id))
        link = authority.request_authority(member, place, "Naryn district", "Akim")
        authority.verify_authority(moderator, link)
        project = projects.save_project(proposer, projects.ProjectDraft(
            place_id=place.id, title="Bridge over the Naryn", summary="A footbridge."))
        projects.transition(proposer, project, "submit")
        projects.transition(moderator, project, "publish")
        ids = link.id, moderator.id
        db.session.remove()
        return ids


def test_revocation_is_refused_at_the_next_bot_update(app, bot, registered_chat):  # noqa: F811
    chat = registered_chat(locale="en")
    link_id, moderator_id = _setup(app, chat.id)

    shown = chat.command("queue")[0]
    assert "Proposals waiting for your answer" in shown["plain_text"]
    assert "Bridge over the Naryn" in shown["plain_text"]

    with app.app_context():
        moderator = db.session.get(User, moderator_id)
        link = authority.get_request(link_id)
        authority.revoke_authority(moderator, link, "Left the post.")
        db.session.remove()

    refused = chat.command("queue")
    assert any(REFUSED in message["plain_text"] for message in refused)
    assert not any("Bridge over the Naryn" in message["plain_text"] for message in refused)
    user = chat_user(app, chat.id)
    assert user.role == "member"
    with app.app_context():
        from diaspora.delivery.messages import render_message
        from diaspora.delivery.models import OutboxMessage

        told = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)).all()
        assert "was revoked" in render_message(told[-1].template, told[-1].params, "en")
        assert "Left the post." in render_message(told[-1].template, told[-1].params, "en")
        db.session.remove()


def test_a_member_who_is_no_authority_is_told_how_to_become_one(app, bot,  # noqa: F811
                                                                registered_chat):  # noqa: F811
    chat = registered_chat(locale="en")
    assert REFUSED in chat.command("queue")[0]["plain_text"]


def test_verification_counts_at_the_next_bot_update(app, bot, registered_chat):  # noqa: F811
    chat = registered_chat(locale="en")
    with app.app_context():
        place = _place("KG-N")
        member = db.session.scalar(sa.select(User).where(User.telegram_chat_id == chat.id))
        link = authority.request_authority(member, place, "Naryn district", "Akim")
        link_id = link.id
        db.session.remove()
    assert REFUSED in chat.command("queue")[0]["plain_text"]
    with app.app_context():
        moderator = User(email="mod-bot-verify@example.org", role="moderator", locale="en")
        db.session.add(moderator)
        db.session.commit()
        authority.verify_authority(moderator, authority.get_request(link_id))
        db.session.remove()
    assert "No proposal is waiting for your answer." in chat.command("queue")[0]["plain_text"]

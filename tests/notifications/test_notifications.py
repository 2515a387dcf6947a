"""Notifications: the switches, the site list in the reader's language, who hears of a
project's steps (proposer, authorities of its place, supporters), the daily digest of
updates, the unread badge, and opening one (never an open redirect)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.delivery.messages import render_message
from diaspora.delivery.models import OutboxMessage
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.notifications import service
from diaspora.notifications.models import Notification, NotificationPace
from diaspora.projects import service as projects
from diaspora.projects.messages import STATUS_TEMPLATE
from diaspora.projects.models import Project
from diaspora.projects.service import ProjectDraft
from tests.conftest import login

HOSTILE_TITLE = "Water & pipes <script>alert(1)</script>"
_chats = iter(range(8_100_001, 8_200_000))


def _outbox(user, template=None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def _entries(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _project(proposer, place, title=HOSTILE_TITLE) -> Project:
    project = projects.save_project(proposer, ProjectDraft(
        place_id=place.id, title=title, summary="A pump for the school"))
    projects.transition(proposer, project, "submit")
    return project


def _tg(make_user, role="member", **kwargs):
    return make_user(role, telegram_chat_id=next(_chats), **kwargs)


# -- the proposer, in their language ---------------------------------------------------------------


def test_the_proposer_hears_of_moderation_in_their_language(make_user, here) -> None:
    proposer = _tg(make_user, home=here, locale="ky")
    moderator = make_user("moderator")
    project = _project(proposer, here)
    assert _entries(proposer) == []  # their own step: nothing
    projects.transition(moderator, project, "publish")
    (entry,) = _entries(proposer, "project.moderated")
    (message,) = _outbox(proposer, STATUS_TEMPLATE)
    ky = render_message(message.template, message.params, "ky")
    ru = render_message(message.template, message.params, "ru")
    assert "долбооруңуздун жаңы абалы" in ky
    assert "У вашего проекта" in ru
    # The title is escaped in the Telegram text.
    assert "&lt;script&gt;" in ky and "<script>" not in ky
    assert entry.url == f"/projects/{project.id}"


# -- switches -----------------------------------------------------------------------------------


def test_a_kind_switched_off_writes_neither_an_entry_nor_a_message(app, make_user, here) -> None:
    proposer = _tg(make_user, home=here)
    moderator = make_user("moderator")
    client = login(app.test_client(), proposer)
    page = client.get("/notifications/settings?lang=en").get_data(as_text=True)
    assert "Moderators' decisions on my proposals" in page
    assert 'value="project.moderated" checked' in page
    # Every kind on but "moderated".
    on = [name for name in service.kinds() if name != "project.moderated"]
    assert client.post("/notifications/settings", data={"kind": on}).status_code == 302
    page = client.get("/notifications/settings?lang=en").get_data(as_text=True)
    assert 'value="project.moderated" checked' not in page
    assert 'value="project.answered" checked' in page
    project = _project(proposer, here)
    projects.transition(moderator, project, "publish")
    assert _entries(proposer) == [] and _outbox(proposer) == []
    # Unknown kinds sent by hand are ignored.
    client.post("/notifications/settings", data={"kind": ["nope", *service.kinds()]})
    projects.transition(moderator, project, "archive")
    assert len(_entries(proposer, "project.moderated")) == 1
    assert len(_outbox(proposer)) == 1


def test_a_member_without_telegram_gets_site_entries_only(make_user, here) -> None:
    proposer = make_user(home=here)  # no Telegram chat
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    assert len(_entries(proposer)) == 1 and _outbox(proposer) == []


# -- the site list ---------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Your project"), ("ru", "У вашего проекта"), ("ky", "долбооруңуздун жаңы абалы")])
def test_the_list_is_in_the_readers_language_and_escapes_titles(
        app, make_user, here, lang, words) -> None:
    proposer = make_user(home=here, locale="en")
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    client = login(app.test_client(), proposer)
    page = client.get(f"/notifications/?lang={lang}").get_data(as_text=True)
    assert words in page
    assert "Water &amp; pipes &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert 'class="notification unread"' in page


def test_the_badge_counts_unread_and_mark_all_read_clears_it(app, make_user, here) -> None:
    proposer = make_user(home=here)
    moderator = make_user("moderator")
    client = login(app.test_client(), proposer)
    assert "nav-badge" not in client.get("/news/?lang=en").get_data(as_text=True)
    project = _project(proposer, here)
    projects.transition(moderator, project, "publish")
    projects.transition(moderator, project, "archive")
    page = client.get("/news/?lang=en").get_data(as_text=True)
    assert '<span class="nav-badge" aria-label="2 unread">2</span>' in page
    assert "nav-badge" not in app.test_client().get("/news/").get_data(as_text=True)
    assert client.post("/notifications/read").status_code == 302
    page = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "nav-badge" not in page and 'class="notification unread"' not in page


def test_opening_marks_read_and_redirects_only_within_the_site(app, make_user, here) -> None:
    proposer, other = make_user(home=here), make_user()
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    (entry,) = _entries(proposer)
    # Someone else's: not found, and it stays unread.
    assert login(app.test_client(), other).post(
        f"/notifications/{entry.id}/open").status_code == 404
    client = login(app.test_client(), proposer)
    response = client.post(f"/notifications/{entry.id}/open")
    assert response.status_code == 302 and response.location == f"/projects/{project.id}"
    db.session.expire_all()
    assert db.session.get(Notification, entry.id).read_at is not None
    # A url that leaves the site (however it got there) is never followed.
    for url in ("//evil.example/x", "https://evil.example/", "/\\evil.example",
                "javascript:alert(1)", "/ok\r\nLocation: https://evil.example"):
        assert service.safe_path(url) is None
        db.session.execute(sa.update(Notification).where(Notification.id == entry.id)
                           .values(url=url))
        db.session.commit()
        response = client.post(f"/notifications/{entry.id}/open")
        assert response.location == "/notifications/", url
    assert client.post("/notifications/999999/open").status_code == 404


# -- authorities of the place, supporters ----------------------------------------------------------


def test_the_authorities_of_the_place_hear_of_a_publication_not_others(
        make_user, here, elsewhere) -> None:
    proposer = make_user(home=here)
    authority_here = _tg(make_user, "authority", places=(here,), locale="ru")
    authority_region = make_user("authority", places=(here.parent,))
    unverified = make_user("authority", places=(here,), verified=False)
    authority_elsewhere = make_user("authority", places=(elsewhere,))
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    for authority in (authority_here, authority_region):
        assert len(_entries(authority, "project.published_here")) == 1
    for authority in (unverified, authority_elsewhere):
        assert _entries(authority) == []
    (message,) = _outbox(authority_here)
    text = render_message(message.template, message.params, "ru")
    assert "Новое предложение" in text and "&lt;script&gt;" in text
    assert here.full_name("ru") in text


def test_supporters_hear_of_every_status_change(make_user, here) -> None:
    proposer = make_user(home=here)
    authority = make_user("authority", places=(here,))
    supporters = [_tg(make_user, locale=lang) for lang in ("ky", "ru", "en")]
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    for supporter in supporters:
        projects.support(supporter, project)
    projects.support(proposer, project)  # the proposer hears as proposer, once
    projects.transition(authority, project, "accept")
    for supporter in supporters:
        (entry,) = _entries(supporter, "project.status")
        (message,) = _outbox(supporter)
        assert message.params["status"] == "accepted"
    assert len(_entries(proposer)) == 2  # published, accepted: as proposer only
    (message,) = _outbox(supporters[1])
    assert "Проект, который вы поддерживаете" in render_message(
        message.template, message.params, "ru")


def test_ten_thousand_supporters_are_notified_in_a_few_statements(app, make_user, here) -> None:
    """Set-based: the statements do not grow with the supporters (timed in bench/)."""
    from diaspora.accounts.models import User
    from diaspora.projects.models import ProjectSupport

    proposer = make_user(home=here)
    project = _project(proposer, here)
    projects.transition(make_user("moderator"), project, "publish")
    now = utcnow()
    db.session.execute(sa.insert(User), [
        {"role": "member", "locale": "ru", "telegram_chat_id": 9_000_000 + i,
         "privacy_version": "2026-11", "privacy_accepted_at": now, "active": True,
         "created_at": now} for i in range(300)])
    ids = db.session.scalars(sa.select(User.id).where(User.telegram_chat_id >= 9_000_000))
    db.session.execute(sa.insert(ProjectSupport), [
        {"project_id": project.id, "user_id": i, "created_at": now} for i in ids])
    db.session.commit()
    authority = make_user("authority", places=(here,))
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        projects.transition(authority, project, "accept")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "project.status")) == 300
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == "project.supported_status")) == 300
    assert len(statements) < 40


# -- the digest -----------------------------------------------------------------------------------


def _update(member, n: int) -> None:
    service.notify(member, "project.update", "text",
                   {"text": {"en": f"Update {n} & <news>", "ru": f"Новость {n}"},
                    "url": "/projects/1"}, url="/projects/1")


def test_updates_one_message_a_day_the_rest_in_one_digest(make_user) -> None:
    member = _tg(make_user, locale="ru")
    for n in (1, 2, 3):
        _update(member, n)
    db.session.commit()
    assert [m.template for m in _outbox(member)] == ["text"]  # the first, at once
    assert len(_entries(member, "project.update")) == 3  # all three on the site
    assert service.send_digests() == 0  # the 24 hours are not over
    later = utcnow() + timedelta(hours=24, minutes=1)
    assert service.send_digests(later) == 1
    assert service.send_digests(later) == 0  # twice: no second digest
    digest = _outbox(member, service.DIGEST_TEMPLATE)
    assert len(digest) == 1 and digest[0].params["count"] == 2
    text = render_message(digest[0].template, digest[0].params, "ru")
    assert "Новость 2" in text and "Новость 3" in text and "Новость 1" not in text
    assert "2 новости проектов" in text
    en = render_message(digest[0].template, digest[0].params, "en")
    assert "Update 2 &amp; &lt;news&gt;" in en
    states = {e.telegram_state for e in _entries(member, "project.update")}
    assert states == {"sent", "digested"}
    # The digest started the next 24 hours: a new update waits again.
    _update(member, 4)
    db.session.commit()
    assert len(_outbox(member)) == 2
    assert service.send_digests(later + timedelta(hours=1)) == 0
    assert service.send_digests(later + timedelta(hours=25)) == 1


def test_two_senders_send_one_digest(make_user) -> None:
    member = _tg(make_user)
    for n in (1, 2):
        _update(member, n)
    db.session.commit()
    later = utcnow() + timedelta(days=2)
    assert service.send_digests(later) + service.send_digests(later) == 1
    pace = db.session.get(NotificationPace, member.id)
    assert pace.last_telegram_at >= later - timedelta(seconds=1)


def test_switching_updates_off_drops_the_waiting_ones(app, make_user) -> None:
    member = _tg(make_user)
    for n in (1, 2):
        _update(member, n)
    db.session.commit()
    client = login(app.test_client(), member)
    client.post("/notifications/settings", data={"kind": ["project.status"]})
    assert service.send_digests(utcnow() + timedelta(days=2)) == 0
    _update(member, 3)
    assert len(_entries(member)) == 2


def test_personal_data_exports_and_erases_notifications(app, make_user, here) -> None:
    from diaspora.accounts import service as accounts

    member = _tg(make_user)
    _update(member, 1)
    db.session.commit()
    service.save_settings(member, ["project.update"])
    data = accounts.export_personal_data(member, member)
    assert data["notifications"][0]["kind"] == "project.update"
    assert data["notification_settings"]["switched"]["project.moderated"] is False
    accounts.delete_personal_data(member, member)
    assert _entries(member) == []
    assert db.session.get(NotificationPace, member.id) is None


@pytest.mark.parametrize("history", ["first ever", "one 2 days ago"])
def test_two_updates_at_the_same_moment_send_one_message(app, make_user, history) -> None:
    """Two web workers notifying one member at once: one message, the other waits."""
    import threading

    from diaspora.accounts.models import User

    member = _tg(make_user)
    if history != "first ever":
        db.session.add(NotificationPace(user_id=member.id,
                                        last_telegram_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    member_id = member.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def post_update(n: int) -> None:
        try:
            with app.app_context():
                recipient = db.session.get(User, member_id)
                barrier.wait(timeout=10)
                _update(recipient, n)
                db.session.commit()
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=post_update, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert len(_outbox(member)) == 1
    assert sorted(e.telegram_state for e in _entries(member)) == ["sent", "waiting"]

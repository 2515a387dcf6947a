"""Progress of an accepted project: who may report it and when, updates with photos (EXIF
dropped), milestones, money raised and spent, what the followers are told, the page, its
query count, and the author's personal data."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from diaspora.accounts import service as accounts
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import OutboxMessage
from diaspora.errors import InvalidTransition, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from diaspora.projects import progress, service
from diaspora.projects.models import (
    Project,
    ProjectMilestone,
    ProjectUpdate,
    ProjectUpdatePhoto,
)
from diaspora.projects.service import Intention, ProjectDraft
from tests.conftest import login


def _accepted(proposer, place, moderator, authority, **fields) -> Project:
    project = service.save_project(proposer, ProjectDraft(
        place_id=place.id, title=fields.pop("title", "Таза суу"), summary="Суу түтүгү",
        **fields))
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    service.transition(authority, project, "accept")
    return project


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 0.0)}  # GPSInfo: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert b"PhoneMaker" in out.getvalue()
    return out.getvalue()


@pytest.fixture
def world(users, make_user, here):
    """The walker's six roles, plus the proposer of an accepted project of `here`."""
    proposer = make_user(home=here)
    project = _accepted(proposer, here, users["moderator"], users["authority_here"],
                        budget_som="200000")
    return {**users, "proposer": proposer, "project": project}


ROLES_ALLOWED = {"proposer": True, "authority_here": True, "authority_elsewhere": False,
                 "member": False, "moderator": False, "admin": False, "anonymous": False}


@pytest.mark.parametrize("role", sorted(ROLES_ALLOWED))
def test_only_the_proposer_and_the_authority_of_the_place_report_progress(world, role):
    project, actor = world["project"], world[role]
    steps = [
        lambda: progress.post_update(actor, project, "Насос орнотулду."),
        lambda: progress.add_milestone(actor, project, "Насос сатып алуу"),
        lambda: progress.set_money(actor, project, "1000", "0"),
    ]
    for step in steps:
        if ROLES_ALLOWED[role]:
            step()
        else:
            with pytest.raises(PermissionDenied):
                step()
    db.session.expire_all()
    reported = db.session.scalar(sa.select(sa.func.count()).select_from(ProjectUpdate))
    assert reported == (1 if ROLES_ALLOWED[role] else 0)
    assert (db.session.get(Project, project.id).raised_som == 1000) is ROLES_ALLOWED[role]


@pytest.mark.parametrize("role", sorted(ROLES_ALLOWED))
def test_the_page_offers_the_forms_to_those_who_may_and_refuses_the_others(app, world, role):
    project = world["project"]
    client = login(app.test_client(), world[role])
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert (f'action="/projects/{project.id}/updates"' in page) is ROLES_ALLOWED[role]
    response = client.post(f"/projects/{project.id}/updates", data={"body": "Иш башталды"})
    if ROLES_ALLOWED[role]:
        assert response.status_code == 302
    else:
        assert response.status_code in ((302,) if role == "anonymous" else (403,))
        assert "/login" in response.headers.get("Location", "/login")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectUpdate)) == 0


def test_progress_waits_for_acceptance_and_says_why(app, make_user, here, users) -> None:
    proposer, moderator = make_user(home=here), users["moderator"]
    authority = users["authority_here"]
    project = service.save_project(proposer, ProjectDraft(place_id=here.id, title="Жол",
                                                          summary="Көпүрө"))
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    for actor in (proposer, authority):
        with force_locale("en"), pytest.raises(InvalidTransition,
                                               match="once the project is accepted"):
            progress.post_update(actor, project, "Эрте")
    with pytest.raises(PermissionDenied):  # not theirs to report, whatever the state
        progress.post_update(users["authority_elsewhere"], project, "Эрте")
    service.transition(authority, project, "decline", note="Акча жок")
    with pytest.raises(InvalidTransition):
        progress.add_milestone(proposer, project, "Баштоо")
    # Accepted, in progress, completed: reported all along.
    other = _accepted(make_user(home=here), here, moderator, authority)
    for action in (None, "start", "complete"):
        if action:
            service.transition(authority, other, action)
        progress.post_update(authority, other, f"Step {action}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectUpdate).where(
        ProjectUpdate.project_id == other.id)) == 3
    # Refused through the page: the reason said above it, nothing written.
    client = login(app.test_client(), proposer)
    answer = client.post(f"/projects/{project.id}/updates", data={"body": "Эрте"},
                         follow_redirects=True)
    assert answer.status_code == 200
    assert "Progress can be reported once the project is accepted" in answer.get_data(
        as_text=True)


def test_update_photos_lose_their_exif_and_a_refusal_keeps_what_was_typed(app, world):
    project, proposer = world["project"], world["proposer"]
    client = login(app.test_client(), proposer)
    refused = client.post(f"/projects/{project.id}/updates", data={
        "body": "Түтүктөр келди & <script>alert(1)</script>", "update_language": "ky",
        "photos": [(io.BytesIO(b"not an image"), "x.jpg")]},
        content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'class="field-error"' in html
    assert "Түтүктөр келди &amp; &lt;script&gt;" in html  # kept, escaped, in the textarea
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectUpdate)) == 0
    posted = client.post(f"/projects/{project.id}/updates", data={
        "body": "**Түтүктөр** келди <script>alert(1)</script>", "update_language": "ky",
        "photos": [(io.BytesIO(_jpeg_with_gps()), "a.jpg"),
                   (io.BytesIO(_jpeg_with_gps()), "b.jpg")]},
        content_type="multipart/form-data")
    assert posted.status_code == 302
    update = db.session.scalar(sa.select(ProjectUpdate))
    assert "<strong>Түтүктөр</strong>" in update.body_html and "<script" not in update.body_html
    photo_ids = db.session.scalars(sa.select(ProjectUpdatePhoto.id).order_by(
        ProjectUpdatePhoto.position)).all()
    assert len(photo_ids) == 2
    served = app.test_client().get(f"/projects/updates/photos/{photo_ids[0]}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"PhoneMaker" not in served.data and not Image.open(io.BytesIO(served.data)).getexif()
    assert "public" in served.headers["Cache-Control"]
    page = app.test_client().get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'/projects/updates/photos/{photo_ids[1]}' in page and "<script>alert" not in page
    # Six photos are one too many.
    with pytest.raises(ValidationError) as refused:
        progress.post_update(proposer, project, "Баары", photos=[_jpeg_with_gps()] * 6)
    assert refused.value.field == "photos"
    # A photo of a project nobody else may see is "not found".
    service.transition(world["moderator"], project, "archive")
    assert app.test_client().get(f"/projects/updates/photos/{photo_ids[0]}").status_code == 404


@pytest.mark.parametrize(("typed", "message"), [
    ("-5", "An amount cannot be negative."),
    (str(2**63), "This amount is too large."),
    (str(10**20), "This amount is too large."),
    ("беш миң", "Write the amount in som, in digits."),
])
def test_money_is_whole_som_neither_negative_nor_absurd(app, world, typed, message):
    project, authority = world["project"], world["authority_here"]
    client = login(app.test_client(), authority)
    answer = client.post(f"/projects/{project.id}/money",
                         data={"raised_som": typed, "spent_som": "1 000"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and message in html
    assert f'value="{typed}"' in html and 'value="1 000"' in html  # nothing typed is lost
    db.session.expire_all()
    assert db.session.get(Project, project.id).raised_som is None
    with pytest.raises(ValidationError):
        progress.set_money(authority, project, -1, None)


def test_money_raised_shows_against_the_budget_with_a_bar(app, world):
    project, authority = world["project"], world["authority_here"]
    client = login(app.test_client(), authority)
    assert client.post(f"/projects/{project.id}/money",
                       data={"raised_som": "150 000", "spent_som": "40000"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Project, project.id)
    assert (stored.raised_som, stored.spent_som) == (150_000, 40_000)
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    section = page.split('id="progress"')[1].split('id="timeline"')[0].replace("\xa0", " ")
    assert "150,000 som" in section and "of 200,000 som" in section and "40,000 som" in section
    assert '<progress value="75" max="100"' in section
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "project.money")) == 1
    # More than the budget: a full bar, not past it.
    progress.set_money(authority, stored, 900_000, None)
    page = app.test_client().get(f"/projects/{project.id}").get_data(as_text=True)
    assert '<progress value="100" max="100"' in page


def test_milestones_are_planned_marked_done_and_removed(app, world, here):
    project, proposer = world["project"], world["proposer"]
    client = login(app.test_client(), proposer)
    refused = client.post(f"/projects/{project.id}/milestones",
                          data={"milestone_title": "Насос", "planned_on": "0001-01-01"})
    assert refused.status_code == 200 and "Choose a date between 2000 and 2100" in \
        refused.get_data(as_text=True)
    assert 'value="Насос"' in refused.get_data(as_text=True)
    assert client.post(f"/projects/{project.id}/milestones",
                       data={"milestone_title": "Насос", "planned_on": "31.05.2027"}
                       ).status_code == 200
    assert client.post(f"/projects/{project.id}/milestones",
                       data={"milestone_title": "", "planned_on": ""}).status_code == 200
    for title, day in (("Насос сатып алуу", "2027-05-31"), ("Түтүк тартуу", "")):
        assert client.post(f"/projects/{project.id}/milestones",
                           data={"milestone_title": title, "planned_on": day}
                           ).status_code == 302
    first, second = db.session.scalars(sa.select(ProjectMilestone).order_by(
        ProjectMilestone.position)).all()
    assert str(first.planned_on) == "2027-05-31" and second.planned_on is None
    url = f"/projects/{project.id}/milestones/{first.id}"
    assert client.post(url, data={"action": "done"}).status_code == 302
    again = client.post(url, data={"action": "done"}, follow_redirects=True)
    assert "already done" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProjectMilestone, first.id).done_at is not None
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    milestones = page.split('id="milestones"')[1].split('id="updates"')[0]
    assert "1 of 2 done" in milestones and "planned for 31 May 2027" in milestones
    assert milestones.index("Насос сатып алуу") < milestones.index("Түтүк тартуу")
    assert "Mark as done" not in milestones  # visitors see, never act
    # Another project's milestone is not found through this one; members are refused.
    other = _accepted(world["member"], here, world["moderator"], world["authority_here"])
    assert client.post(f"/projects/{other.id}/milestones/{first.id}",
                       data={"action": "done"}).status_code == 404
    assert login(app.test_client(), world["member"]).post(
        f"/projects/{project.id}/milestones/{second.id}", data={"action": "done"}
    ).status_code == 403
    assert client.post(f"/projects/{project.id}/milestones/{second.id}",
                       data={"action": "remove"}).status_code == 302
    assert db.session.scalars(sa.select(ProjectMilestone.id)).all() == [first.id]
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"project.milestone_add", "project.milestone_status",
            "project.milestone_remove"} <= actions


def test_an_update_reaches_the_proposer_and_supporters_in_their_language(make_user, here,
                                                                        users):
    moderator, authority = users["moderator"], users["authority_here"]
    proposer = make_user(home=here, locale="ky", telegram_chat_id=5_560_001)
    project = _accepted(proposer, here, moderator, authority, title="Мектеп & <b>суу</b>")
    russian = make_user(locale="ru", telegram_chat_id=5_560_002)
    english = make_user(locale="en", telegram_chat_id=5_560_003)
    unreachable = make_user(locale="ru")  # no Telegram chat: nothing to queue
    for fan in (russian, english, unreachable):
        service.support(fan, project, Intention())
    service.support(authority, project, Intention())  # the author is never told
    before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    progress.post_update(authority, project, "Насос **орнотулду**. " + "Суу келди. " * 200,
                         photos=[_jpeg_with_gps()])
    rows = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.id > before).order_by(OutboxMessage.user_id)).all()
    assert sorted(row.user_id for row in rows) == sorted([proposer.id, russian.id, english.id])
    assert {row.template for row in rows} == {"project.update"}
    texts = {row.user_id: render_message(row.template, row.params,
                                         db.session.get(type(proposer), row.user_id).locale)
             for row in rows}
    assert "The local authority posted an update" in texts[english.id]
    assert "Мектеп &amp; &lt;b&gt;суу&lt;/b&gt;" in texts[english.id]  # escaped
    assert "орнотулду" in texts[english.id] and "**" not in texts[english.id]
    assert len(texts[english.id]) < 2500  # cut short
    assert "?lang=en#update-" in texts[english.id] and "?lang=ru#update-" in texts[russian.id]
    assert "Жергиликтүү бийлик органы" in texts[proposer.id]
    assert "Орган МСУ" in texts[russian.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "project.update")) == 1


def test_the_page_shows_updates_newest_first_with_who_wrote_them(app, world):
    project, proposer = world["project"], world["proposer"]
    authority = world["authority_here"]
    proposer.profile.display_name = "Айбек"
    db.session.commit()
    progress.post_update(proposer, project, "Биринчи кабар", language="ky")
    progress.post_update(authority, project, "Second news", language="en")
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    updates = page.split('id="updates"')[1]
    assert updates.index("Second news") < updates.index("Биринчи кабар")
    assert "the local authority" in updates and "the proposer (Айбек)" in updates
    assert 'lang="ky"><p>Биринчи кабар</p>' in updates and "Written in" in updates


def test_the_page_says_when_older_updates_are_left_out(app, world, monkeypatch):
    monkeypatch.setattr(progress, "UPDATES_SHOWN", 2)
    project, authority = world["project"], world["authority_here"]
    for n in range(2):
        progress.post_update(authority, project, f"Update {n}", language="en")
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "newest updates are shown" not in page
    progress.post_update(authority, project, "Update 2", language="en")
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    assert "Update 2" in page and "Update 1" in page and "Update 0" not in page
    assert "Only the 2 newest updates are shown here." in page


def test_the_project_page_issues_as_many_queries_for_many_updates_as_for_one(app, world):
    project, authority = world["project"], world["authority_here"]

    def queries(user) -> int:
        seen: list[str] = []

        def remember(*args) -> None:
            seen.append(args[2])

        client = login(app.test_client(), user)
        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert client.get(f"/projects/{project.id}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return len(seen)

    def add(n: int) -> None:
        for index in range(n):
            author = world["proposer"] if index % 2 else authority
            progress.post_update(author, project, f"Update {index}",
                                 photos=[_jpeg_with_gps()] * 2)
            progress.add_milestone(author, project, f"Step {index}")

    add(1)
    few = [queries(user) for user in (None, authority, world["proposer"])]
    add(6)
    assert [queries(user) for user in (None, authority, world["proposer"])] == few


def test_a_members_updates_are_in_their_download_and_stay_nameless_when_erased(app, world):
    project, proposer = world["project"], world["proposer"]
    proposer.profile.display_name = "Айбек"
    db.session.commit()
    update = progress.post_update(proposer, project, "Менин кабарым")
    data = accounts.export_personal_data(proposer, proposer)
    assert [row["body"] for row in data["records"]["project_updates"]] == ["Менин кабарым"]
    accounts.delete_personal_data(proposer, proposer)
    db.session.expire_all()
    kept = db.session.get(ProjectUpdate, update.id)
    assert kept is not None and kept.author_id == proposer.id
    page = app.test_client().get(f"/projects/{project.id}?lang=en").get_data(as_text=True)
    updates = page.split('id="updates"')[1]
    assert "Менин кабарым" in updates and "Айбек" not in page
    assert re.search(r"the proposer\s*</span>", updates)


def test_the_demo_project_in_progress_reports_its_progress(app, ctx) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    project = db.session.scalar(sa.select(Project).where(Project.status == "in_progress"))
    assert project is not None
    shown = progress.progress_of(project)
    assert len(shown.updates) == 2 and shown.updates[0].update.created_at > \
        shown.updates[1].update.created_at
    assert [m.status for m in shown.milestones] == ["done", "done", "planned", "planned"]
    assert shown.percent_raised is not None
    page = app.test_client().get(f"/projects/{project.id}?lang=ky").get_data(as_text=True)
    assert "Каркас орнотулду" in page and "<progress" in page

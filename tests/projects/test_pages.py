"""Project pages through the web client: propose, submit, moderate, answer, support, browse,
the authorities' queue, the moderators' list, a place's statistics, photos and escaping."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from diaspora.delivery.models import OutboxMessage
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.places.models import Place
from diaspora.projects import service
from diaspora.projects.models import Project, ProjectPhoto
from diaspora.projects.service import Intention, ProjectDraft
from tests.conftest import login

HOSTILE_TITLE = "Water & <script>alert(1)</script> pipes"


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _form(place_id: int, action: str = "draft", **fields) -> dict:
    return {"place_id": str(place_id), "title": "Таза суу", "summary": "Мектепке суу түтүгү",
            "description": "**Насос** жана түтүк", "sector": "water", "language": "ky",
            "budget_label": ["Насос", "Түтүк", ""], "budget_amount": ["120 000", "30000", ""],
            "contributions": ["money", "volunteering"], "action": action, **fields}


def _new_project_id(client, data: dict, **kwargs) -> int:
    response = client.post("/projects/new", data=data, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/projects/(\d+)$", response.headers["Location"]).group(1))


def _published(proposer, place, moderator, title: str = "Таза суу", **fields) -> Project:
    project = service.save_project(proposer, ProjectDraft(
        place_id=place.id, title=title, summary=fields.pop("summary", "Суу түтүгү"),
        **fields))
    service.transition(proposer, project, "submit")
    service.transition(moderator, project, "publish")
    return project


def _community(district: Place, moderator) -> Place:
    """A community inside `district`, added by a moderator (the test district may have none
    in the gazetteer; added communities go with the test's users)."""
    from diaspora.places import service as places

    return places.add_community(moderator, district, {"ky": "Тест айыл аймагы",
                                                      "en": "Test aiyl aimak"})


def test_a_proposal_goes_from_draft_to_the_authoritys_answer_on_its_timeline(
        app, make_user, here) -> None:
    proposer = make_user(home=here, telegram_chat_id=5_550_001)
    moderator, authority = make_user("moderator"), make_user("authority", places=(here,))
    client = login(app.test_client(), proposer)
    form = _page(client, "/projects/new")
    assert f'<option value="{here.id}" selected>' in form  # the home community first
    project_id = _new_project_id(client, _form(here.id, "draft"))
    preview = _page(client, f"/projects/{project_id}")
    assert "150" in preview and "Насос" in preview  # the budget lines and their total
    assert app.test_client().get(f"/projects/{project_id}").status_code == 404  # a draft
    client.post(f"/projects/{project_id}/act", data={"action": "submit"})
    assert db.session.get(Project, project_id).status == "submitted"

    moderating = login(app.test_client(), moderator)
    assert 'value="publish"' in _page(moderating, f"/projects/{project_id}")
    moderating.post(f"/projects/{project_id}/act", data={"action": "publish", "note": ""})
    db.session.expire_all()
    assert db.session.get(Project, project_id).status == "published"
    public = _page(app.test_client(), f"/projects/{project_id}")
    assert "Таза суу" in public and 'value="accept"' not in public

    answering = login(app.test_client(), authority)
    assert 'value="accept"' in _page(answering, f"/projects/{project_id}")
    answering.post(f"/projects/{project_id}/act", data={
        "action": "accept", "note": "Айыл окмоту поможет с трубами.", "language": "ru"})
    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert project.status == "accepted" and project.answered_at is not None
    page = _page(app.test_client(), f"/projects/{project_id}?lang=en")
    timeline = page.split('id="timeline"')[1]
    for step in ("Draft written", "Awaiting moderation", "Published, awaiting",
                 "Accepted"):
        assert step in timeline, step
    assert '<blockquote class="note-text" lang="ru">Айыл окмоту поможет с трубами.' in timeline
    assert "the local authority" in timeline and "a moderator" in timeline
    # The proposer hears of each step someone else took (publish, accept), in the outbox.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.user_id == proposer.id)) == 2


def test_a_returned_proposal_shows_what_to_change_and_is_resubmitted(
        app, make_user, here) -> None:
    proposer, moderator = make_user(home=here), make_user("moderator")
    client = login(app.test_client(), proposer)
    project_id = _new_project_id(client, _form(here.id, "submit"))
    assert db.session.get(Project, project_id).status == "submitted"
    moderating = login(app.test_client(), moderator)
    refused = moderating.post(f"/projects/{project_id}/act", data={"action": "return"},
                              follow_redirects=True)
    assert "Please fill this in." in refused.get_data(as_text=True)  # the note is required
    db.session.expire_all()
    assert db.session.get(Project, project_id).status == "submitted"
    moderating.post(f"/projects/{project_id}/act",
                    data={"action": "return", "note": "Add a photo of the old pump."})
    for url in (f"/projects/{project_id}", f"/projects/{project_id}/edit", "/projects/mine"):
        assert "Add a photo of the old pump." in _page(client, url), url
    resubmitted = client.post(f"/projects/{project_id}/edit",
                              data=_form(here.id, "submit", title="Таза суу, 2-версия"))
    assert resubmitted.status_code == 302
    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert (project.status, project.title, project.status_note) == (
        "submitted", "Таза суу, 2-версия", None)
    assert [e.action for e in service.timeline(project)] == [
        "create", "submit", "return", "submit"]


def test_support_is_a_toggle_counted_once_and_names_only_those_who_agree(
        app, make_user, here) -> None:
    project = _published(make_user(home=here), here, make_user("moderator"))
    fan, shy = make_user(), make_user()
    fan.profile.display_name, shy.profile.display_name = "Айбек", "Жылдыз"
    db.session.commit()
    client = login(app.test_client(), fan)
    for _ in range(2):  # a double click, then a change of mind about the money
        client.post(f"/projects/{project.id}/support",
                    data={"money_range": "10k_50k", "volunteering": "y", "show_name": "y"})
    login(app.test_client(), shy).post(f"/projects/{project.id}/support",
                                       data={"money_range": "under_10k"})
    db.session.refresh(project)
    assert project.supporters == 2
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "2 supporters" in page and "Айбек" in page and "Жылдыз" not in page
    assert "Could volunteer: 1 person" in page
    own = _page(client, f"/projects/{project.id}?lang=en")
    assert "Withdraw my support" in own and "You support this project" in own
    client.post(f"/projects/{project.id}/support/withdraw")
    client.post(f"/projects/{project.id}/support/withdraw")  # twice: still one less
    db.session.refresh(project)
    assert project.supporters == 1
    assert "1 supporter" in _page(app.test_client(), f"/projects/{project.id}?lang=en")
    refused = client.post(f"/projects/{project.id}/support?lang=en",
                          data={"skills": "x" * 300}, follow_redirects=True)
    assert "This is too long." in refused.get_data(as_text=True)
    db.session.refresh(project)
    assert project.supporters == 1


def test_browsing_filters_and_searches_in_cyrillic(app, make_user, here, elsewhere) -> None:
    moderator = make_user("moderator")
    water = _published(make_user(home=here), _community(here, moderator), moderator,
                       title="Ичүүчү СУУ түтүгү", sector="water")
    school = _published(make_user(home=elsewhere), elsewhere, moderator,
                        title="Компьютерный класс", summary="Школа в селе", sector="education")
    service.support(make_user(), school)
    service.transition(moderator, _published(make_user(), here, moderator,
                                             title="Архив"), "archive")
    client = app.test_client()

    def titles(query: str) -> list[str]:
        html = _page(client, f"/projects/?{query}")
        return re.findall(r'class="project-title"><a [^>]*>([^<]+)</a>', html)

    assert titles("") == ["Компьютерный класс", "Ичүүчү СУУ түтүгү"]  # newest first
    assert titles("q=суу") == ["Ичүүчү СУУ түтүгү"]  # Cyrillic, any case
    assert titles("q=ШКОЛА") == ["Компьютерный класс"]  # the summary too
    assert titles("q=50%25") == []
    assert titles(f"region={here.region_id}") == ["Ичүүчү СУУ түтүгү"]
    assert titles(f"region={here.region_id}&district={here.id}") == ["Ичүүчү СУУ түтүгү"]
    assert titles(f"community={water.place_id}") == ["Ичүүчү СУУ түтүгү"]
    assert titles("sector=education") == ["Компьютерный класс"]
    assert titles("status=accepted") == []
    assert titles("sort=supported") == ["Компьютерный класс", "Ичүүчү СУУ түтүгү"]
    assert titles("sector=nonsense&status=draft&sort=x") == titles("")
    # Choosing a region offers its districts; a district, its communities.
    page = _page(client, f"/projects/?region={here.region_id}&district={here.id}")
    assert 'name="district"' in page and 'name="community"' in page


def test_the_queue_lists_the_oldest_first_with_days_waited(app, make_user, here,
                                                           elsewhere) -> None:
    moderator = make_user("moderator")
    recent = _published(make_user(), here, moderator, title="Recent")
    old = _published(make_user(), _community(here, moderator), moderator, title="Old")
    other = _published(make_user(), elsewhere, moderator, title="Elsewhere")
    old.published_at = utcnow() - timedelta(days=40, hours=1)
    recent.published_at = utcnow() - timedelta(days=5, hours=1)
    other.published_at = utcnow() - timedelta(days=50)
    db.session.commit()
    authority = make_user("authority", places=(here,))
    page = _page(login(app.test_client(), authority), "/projects/queue?lang=en")
    assert page.index(">Old<") < page.index(">Recent<") and ">Elsewhere<" not in page
    assert "waiting for an answer for 40 days" in page
    assert "waiting for an answer for 5 days" in page
    staff_page = _page(login(app.test_client(), moderator), "/projects/queue")
    assert staff_page.index(">Elsewhere<") < staff_page.index(">Old<")
    assert login(app.test_client(), make_user()).get("/projects/queue").status_code == 403
    # The public page of a long-waiting proposal says so too.
    assert "40 days" in _page(app.test_client(), f"/projects/{old.id}?lang=en")


def test_the_moderators_list_shows_submitted_and_flagged(app, make_user, here) -> None:
    moderator, proposer = make_user("moderator"), make_user()
    waiting = service.save_project(proposer, ProjectDraft(place_id=here.id, title="To check",
                                                          summary="s"))
    service.transition(proposer, waiting, "submit")
    late = _published(make_user(), here, moderator, title="Forgotten")
    late.published_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert service.flag_unanswered() == 1
    page = _page(login(app.test_client(), moderator), "/projects/moderation?lang=en")
    awaiting, flagged = page.split("Unanswered for 30 days")
    assert ">To check<" in awaiting and ">Forgotten<" in flagged
    assert "31 days" in flagged
    assert login(app.test_client(), make_user()).get("/projects/moderation").status_code == 403


def test_a_places_page_shows_its_answer_rate_and_median_time(app, make_user, here) -> None:
    moderator, authority = make_user("moderator"), make_user("authority", places=(here,))
    answered = _published(make_user(), here, moderator, title="Answered")
    _published(make_user(), _community(here, moderator), moderator, title="Unanswered")
    answered.published_at = utcnow() - timedelta(days=4)
    db.session.commit()
    service.transition(authority, answered, "review")
    page = _page(app.test_client(), f"/projects/place/{here.id}?lang=en")
    assert "50%" in page and "answered (1 of 2)" in page
    assert '<p class="stat">4</p>' in page  # days to the first answer, median
    assert ">Answered<" in page and ">Unanswered<" in page
    empty = _page(app.test_client(), f"/projects/place/{here.region_id}?lang=ky")
    assert "50%" in empty or "50 %" in empty  # the region counts the places inside it
    assert app.test_client().get("/projects/place/999999").status_code == 404


def test_a_member_cannot_edit_someone_elses_project(app, make_user, here) -> None:
    proposer, other = make_user(home=here), make_user(home=here)
    draft = service.save_project(proposer, ProjectDraft(place_id=here.id, title="Mine",
                                                        summary="s"))
    client = login(app.test_client(), other)
    assert client.get(f"/projects/{draft.id}/edit").status_code == 404  # not even seen
    assert client.post(f"/projects/{draft.id}/edit",
                       data=_form(here.id, title="Stolen")).status_code == 404
    service.transition(proposer, draft, "submit")
    service.transition(make_user("moderator"), draft, "publish")
    assert client.get(f"/projects/{draft.id}/edit").status_code == 403
    assert client.post(f"/projects/{draft.id}/edit",
                       data=_form(here.id, title="Stolen")).status_code == 403
    # Published, it is no longer its proposer's to edit either.
    assert login(app.test_client(), proposer).get(
        f"/projects/{draft.id}/edit").status_code == 403
    db.session.expire_all()
    assert db.session.get(Project, draft.id).title == "Mine"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 0.0)}  # GPSInfo: where the photo was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert b"PhoneMaker" in data
    return data


def test_photos_are_uploaded_without_exif_and_private_until_published(
        app, make_user, here) -> None:
    proposer = make_user(home=here)
    client = login(app.test_client(), proposer)
    project_id = _new_project_id(client, {
        **_form(here.id), "photos": [(io.BytesIO(_jpeg_with_gps()), "pump.jpg"),
                                     (io.BytesIO(_jpeg_with_gps()), "well.jpg")]},
        content_type="multipart/form-data")
    photos = db.session.scalars(sa.select(ProjectPhoto).where(
        ProjectPhoto.project_id == project_id).order_by(ProjectPhoto.position)).all()
    assert len(photos) == 2
    served = client.get(f"/projects/photos/{photos[0].id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert b"PhoneMaker" not in served.data
    assert not Image.open(io.BytesIO(served.data)).getexif()
    assert app.test_client().get(f"/projects/photos/{photos[0].id}").status_code == 404
    # Not an image: refused next to the photos field, nothing saved.
    refused = client.post(f"/projects/{project_id}/edit", data={
        **_form(here.id), "photos": [(io.BytesIO(b"not an image"), "x.jpg")]},
        content_type="multipart/form-data")
    assert refused.status_code == 200 and 'class="field-error"' in refused.get_data(as_text=True)
    # Removing one keeps the other.
    client.post(f"/projects/{project_id}/edit",
                data={**_form(here.id), "remove_photo_ids": [str(photos[0].id)]})
    assert db.session.scalars(sa.select(ProjectPhoto.id).where(
        ProjectPhoto.project_id == project_id)).all() == [photos[1].id]
    project = db.session.get(Project, project_id)
    service.transition(proposer, project, "submit")
    service.transition(make_user("moderator"), project, "publish")
    public = app.test_client().get(f"/projects/photos/{photos[1].id}")
    assert public.status_code == 200 and "public" in public.headers["Cache-Control"]


def test_an_authority_posts_for_its_own_place_only(app, make_user, here, elsewhere) -> None:
    authority = make_user("authority", places=(here,))
    client = login(app.test_client(), authority)
    form = _page(client, "/projects/new?as=authority")
    assert 'name="as_authority"' in form and "checked" in form
    refused = client.post("/projects/new", data=_form(elsewhere.id, as_authority="y"))
    assert refused.status_code == 200
    assert "only post projects for the places you represent" in refused.get_data(as_text=True)
    project_id = _new_project_id(client, _form(here.id, "submit", as_authority="y"))
    project = db.session.get(Project, project_id)
    assert project.origin == "authority"
    service.transition(make_user("moderator"), project, "publish")
    assert project.status == "accepted"  # its own answer is given
    assert 'name="as_authority"' not in _page(login(app.test_client(), make_user()),
                                              "/projects/new")


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_a_title_with_markup_is_escaped_on_every_page(app, make_user, here, lang) -> None:
    proposer, moderator = make_user(home=here), make_user("moderator")
    authority = make_user("authority", places=(here,))
    returned = service.save_project(proposer, ProjectDraft(
        place_id=here.id, title=HOSTILE_TITLE, summary="<b>bold</b> & co"))
    service.transition(proposer, returned, "submit")
    service.transition(moderator, returned, "return", note="<i>Fix</i> & retry")
    waiting = service.save_project(make_user(), ProjectDraft(
        place_id=here.id, title=HOSTILE_TITLE, summary="s"))
    service.transition(waiting.proposer, waiting, "submit")
    public = _published(make_user(), here, moderator, title=HOSTILE_TITLE,
                        budget_items=[("<img src=x>", "5")])
    service.support(make_user(), public, Intention(skills="<script>"))
    escaped = "Water &amp; &lt;script&gt;alert(1)&lt;/script&gt; pipes"
    pages = [
        (None, "/projects/"), (None, f"/projects/{public.id}"),
        (None, f"/projects/place/{here.id}"), (None, "/projects/?q=water"),
        (authority, "/projects/queue"), (moderator, "/projects/moderation"),
        (proposer, "/projects/mine"), (proposer, f"/projects/{returned.id}"),
        (proposer, f"/projects/{returned.id}/edit"),
    ]
    for user, url in pages:
        html = _page(login(app.test_client(), user), f"{url}{'&' if '?' in url else '?'}"
                                                            f"lang={lang}")
        assert "<script>alert(1)" not in html, url
        assert escaped in html, url
    shown = _page(login(app.test_client(), proposer), f"/projects/{returned.id}")
    assert "&lt;i&gt;Fix&lt;/i&gt; &amp; retry" in shown
    assert "<img src=x>" not in _page(app.test_client(), f"/projects/{public.id}")


def test_no_page_issues_more_queries_for_more_rows(app, make_user, here, elsewhere) -> None:
    moderator, authority = make_user("moderator"), make_user("authority", places=(here,))

    def queries(user, url: str) -> int:
        seen: list[str] = []

        def remember(*args) -> None:
            seen.append(args[2])

        client = login(app.test_client(), user)
        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return len(seen)

    def add(n: int) -> Project:
        for index in range(n):
            project = _published(make_user(), here if index % 2 else elsewhere, moderator,
                                 budget_items=[("Pump", "100"), ("Pipes", "200")],
                                 photos=[_jpeg_with_gps()])
            fan = make_user()
            fan.profile.display_name = f"Fan {index}"
            service.support(fan, project, Intention(money_range="under_10k", show_name=True))
            if index % 2:
                service.transition(authority, project, "review", note="Looking")
        return project

    pages = lambda project: [  # noqa: E731
        (None, "/projects/"), (None, "/projects/?q=water&sector=water&sort=supported"),
        (None, f"/projects/place/{here.id}"), (authority, "/projects/queue"),
        (moderator, "/projects/moderation"), (None, f"/projects/{project.id}"),
    ]
    first = add(2)
    few = [queries(user, url) for user, url in pages(first)]
    add(6)
    assert [queries(user, url) for user, url in pages(first)] == few

"""Reports of projects and comments (the generic reports of diaspora/moderation): a member
reports an item once with a reason, the moderators read the open reports, a decision closes
them. (Here until tests/moderation/ exists.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora.errors import NotFound, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.moderation import reports
from diaspora.moderation.models import Report
from diaspora.projects import comments
from diaspora.projects import service as projects
from tests.conftest import login
from tests.projects.test_comments import HOSTILE, _page, _project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(make_user, users, here):
    people = dict(users)
    people["proposer"] = make_user(home=here)
    people["project"] = _project(people["proposer"], here, users["moderator"])
    people["comment"] = comments.add_comment(people["proposer"], people["project"], HOSTILE)
    return people


def _reports() -> list[Report]:
    return list(db.session.scalars(sa.select(Report).order_by(Report.id)))


@pytest.mark.parametrize("role", ["member", "authority_here", "authority_elsewhere",
                                  "moderator", "admin"])
def test_every_member_reports_a_comment_once(app, world, role) -> None:
    comment = world["comment"]
    client = login(app.test_client(), world[role])
    form = _page(client, f"/report/project_comment/{comment.id}?lang=en")
    assert "Spam or advertising" in form and "Exposes someone" in form
    assert "Water &amp; &lt;script&gt;" in form and "<script>alert" not in form
    sent = client.post(f"/report/project_comment/{comment.id}?lang=en",
                       data={"reason": "offensive", "note": "Орой"}, follow_redirects=True)
    assert "Thank you. The moderators will look at it." in sent.get_data(as_text=True)
    [row] = _reports()
    assert (row.subject_kind, row.subject_id, row.reporter_id, row.reason, row.note) == (
        "project_comment", comment.id, world[role].id, "offensive", "Орой")
    # The second time: a friendly reminder, no second row; the page says it is reported.
    again = client.post(f"/report/project_comment/{comment.id}?lang=en",
                        data={"reason": "spam"}, follow_redirects=True)
    assert "You already reported this" in again.get_data(as_text=True)
    assert "You already reported this" in client.get(
        f"/report/project_comment/{comment.id}?lang=en", follow_redirects=True).get_data(
        as_text=True)
    assert len(_reports()) == 1
    page = _page(client, f"/projects/{world['project'].id}?lang=en")
    assert "You reported this." in page
    with pytest.raises(reports.AlreadyReported):
        reports.report(world[role], "project_comment", comment.id, "spam")


def test_a_project_is_reported_from_its_page(app, world) -> None:
    project = world["project"]
    client = login(app.test_client(), world["member"])
    page = _page(client, f"/projects/{project.id}?lang=en")
    assert f'href="/report/project/{project.id}"' in page
    # Its proposer is not offered to report their own project, nor their own comment.
    own = _page(login(app.test_client(), world["proposer"]), f"/projects/{project.id}?lang=en")
    assert "/report/" not in own
    client.post(f"/report/project/{project.id}", data={"reason": "false_information"})
    assert [(r.subject_kind, r.reason) for r in _reports()] == [("project", "false_information")]
    assert "You reported this project." in _page(client, f"/projects/{project.id}?lang=en")


def test_a_report_form_comes_back_with_the_error_and_the_note(app, world) -> None:
    comment = world["comment"]
    client = login(app.test_client(), world["member"])
    refused = client.post(f"/report/project_comment/{comment.id}?lang=en",
                          data={"reason": "", "note": "Менин эскертмем"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Choose a reason." in html
    assert "Менин эскертмем</textarea>" in html
    long_note = client.post(f"/report/project_comment/{comment.id}?lang=en",
                            data={"reason": "other", "note": "x" * 1001})
    assert long_note.status_code == 200 and "This is too long." in long_note.get_data(
        as_text=True)
    made_up = client.post(f"/report/project_comment/{comment.id}?lang=en",
                          data={"reason": "boring"})
    assert made_up.status_code == 200 and "Choose a reason." in made_up.get_data(as_text=True)
    # Its author can't report their own words.
    own = login(app.test_client(), world["proposer"]).post(
        f"/report/project_comment/{comment.id}?lang=en", data={"reason": "spam"})
    assert own.status_code == 200 and "what you wrote yourself" in own.get_data(as_text=True)
    assert _reports() == []


def test_what_cannot_be_seen_cannot_be_reported(app, world, make_user, here) -> None:
    member = world["member"]
    draft = projects.save_project(make_user(), projects.ProjectDraft(
        place_id=here.id, title="Draft", summary="Not yet"))
    hidden = comments.add_comment(world["admin"], world["project"], "Hidden")
    comments.hide_comment(world["moderator"], hidden)
    client = login(app.test_client(), member)
    for url in (f"/report/project/{draft.id}", f"/report/project_comment/{hidden.id}",
                "/report/project_comment/999999", "/report/survey/1", "/report/nothing/1"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"reason": "spam"}).status_code == 404, url
    anonymous = app.test_client().post(f"/report/project/{world['project'].id}",
                                       data={"reason": "spam"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    with pytest.raises(PermissionDenied):
        reports.report(None, "project", world["project"].id, "spam")
    with pytest.raises(NotFound):
        reports.report(member, "project", draft.id, "spam")
    with pytest.raises(ValidationError):
        reports.report(member, "project", world["project"].id, "spam", note="a\x00b")
    assert _reports() == []


def test_two_reports_racing_make_one_row(app, world, monkeypatch) -> None:
    """The unique constraint decides when two clicks pass the check at once."""
    member, comment = world["member"], world["comment"]
    reports.report(member, "project_comment", comment.id, "spam")
    monkeypatch.setattr(reports, "has_reported", lambda *args: False)
    with pytest.raises(reports.AlreadyReported):
        reports.report(member, "project_comment", comment.id, "offensive")
    db.session.rollback()
    assert [r.reason for r in _reports()] == ["spam"]


def test_moderators_and_nobody_else_read_the_open_reports(app, world, make_user) -> None:
    comment, project = world["comment"], world["project"]
    reports.report(world["member"], "project_comment", comment.id, "offensive",
                   note="<b>rude</b> & more")
    reports.report(world["authority_here"], "project_comment", comment.id, "spam")
    reports.report(world["member"], "project", project.id, "false_information")
    for role in ("member", "authority_here", "authority_elsewhere", "proposer"):
        assert login(app.test_client(), world[role]).get(
            "/moderation/reports").status_code == 403, role
    assert "/login" in app.test_client().get("/moderation/reports").headers["Location"]
    for role in ("moderator", "admin"):
        client = login(app.test_client(), world[role])
        page = _page(client, "/moderation/reports?lang=en")
        assert "2 reports" in page and "1 report" in page
        assert "Insulting or hateful" in page and "&lt;b&gt;rude&lt;/b&gt; &amp; more" in page
        assert "Water &amp; &lt;script&gt;alert(1)&lt;/script&gt; pipes" in page
        assert f'href="/projects/comments/{comment.id}"' in page
        assert f'href="/projects/{project.id}"' in page
        assert "Reported (2)" in _page(client, "/moderation/?lang=en")
    # Hiding the comment closes its reports; the project's stay open.
    comments.hide_comment(world["moderator"], comment)
    assert reports.open_count(world["moderator"]) == 1
    page = _page(login(app.test_client(), world["moderator"]), "/moderation/reports?lang=en")
    assert "Insulting or hateful" not in page and "False information" in page
    with pytest.raises(PermissionDenied):
        reports.open_reports(world["member"])


def test_a_listener_hears_of_each_new_report(app, world) -> None:
    """The seam for issue 10's auto-hide: a listener sees every report as it is made."""
    heard: list[tuple[str, int]] = []
    listeners = app.extensions.setdefault("mekendesh.report_listeners", [])
    listeners.append(lambda row: heard.append((row.subject_kind, row.subject_id)))
    try:
        reports.report(world["member"], "project", world["project"].id, "spam")
    finally:
        listeners.pop()
    assert heard == [("project", world["project"].id)]


def test_moderation_imports_no_feature() -> None:
    for path in (ROOT / "diaspora" / "moderation").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for feature in ("projects", "news", "surveys"):
            assert f"diaspora.{feature}" not in text, (path.name, feature)

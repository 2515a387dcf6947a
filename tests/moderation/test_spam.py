"""Against spam (diaspora/moderation/spam.py): daily limits on proposals, comments and reports,
counted only for what was posted; no links from accounts younger than a day; the same text
not twice in a day; staff exempt. Through the services (the bot calls the same ones) and the
web forms, which come back with the refusal and the text typed. With TEST_REDIS_URL, two
app instances share the counts through Redis, as several web workers and the bot do."""

from __future__ import annotations

import html as html_lib
import os
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora import create_app
from diaspora.errors import ValidationError
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.moderation import spam
from diaspora.moderation.models import Report
from diaspora.moderation.reports import report
from diaspora.projects import comments, progress
from diaspora.projects import service as projects
from diaspora.projects.models import Project, ProjectComment
from tests.conftest import TEST_ENVIRON, login, make_test_config


def _en(refused: pytest.ExceptionInfo) -> str:
    """A refusal as an English reader sees it."""
    with force_locale("en"):
        return str(refused.value.message)


def _refusal(call) -> str:
    """What `call()` is refused with, in English."""
    with pytest.raises(ValidationError) as refused:
        call()
    return _en(refused)


def _page(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _aged(user, days: float = 2):
    """An account created `days` ago (factory accounts are brand new)."""
    user.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return user


def _draft(proposer, place, title: str = "Таза суу", summary: str = "Мектепке суу түтүгү",
           description: str = "", **fields) -> Project:
    return projects.save_project(proposer, projects.ProjectDraft(
        place_id=place.id, title=title, summary=summary, description=description, **fields))


def _published(proposer, place, moderator, **fields) -> Project:
    project = _draft(proposer, place, **fields)
    with spam.suspended():  # set-up, not the member's allowance
        projects.transition(proposer, project, "submit")
    projects.transition(moderator, project, "publish")
    return project


@pytest.fixture
def world(make_user, here):
    moderator = make_user("moderator")
    proposer = _aged(make_user(home=here))
    return {"moderator": moderator, "proposer": proposer,
            "member": _aged(make_user(home=here)),
            "project": _published(proposer, here, moderator),
            "other": _published(proposer, here, moderator, title="Көпүрө",
                                summary="Дарыяга жаңы көпүрө")}


# -- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "see https://example.org/page", "http://spam.test", "www.example.org",
    "join t.me/somechannel", "Write to telegram.me/x", "cheap.shop", "купить на example.com!",
    "[click](/anything)", "сайт.рф", "xn--80ak6aa92e.com", "BIT.LY/abc", "tg://resolve?domain=x",
])
def test_what_counts_as_a_link(text) -> None:
    assert spam.has_link(text)


@pytest.mark.parametrize("text", [
    "A new roof for the school, 1.5 km of pipe", "т.е. суу жок", "file.txt and report.pdf",
    "Мектепке суу түтүгү керек.", "Price: 150.000 som", "e.g. the clinic", "",
])
def test_plain_words_are_not_links(text) -> None:
    assert not spam.has_link(text)


def test_a_new_account_posts_no_links_until_its_first_day_is_over(ctx, make_user, here,
                                                                    world) -> None:
    newcomer = make_user(home=here)
    project = world["project"]
    with pytest.raises(ValidationError) as refused:
        comments.add_comment(newcomer, project, "Cheap pipes at www.pipes.example.com")
    assert refused.value.field == "body"
    assert "New accounts can post links after their first day" in _en(refused)
    assert "you can post links in 24 hours" in _en(refused)  # when they can
    for field_ in ("title", "summary", "description"):
        with pytest.raises(ValidationError) as refused:
            _draft(newcomer, here, **{field_: "Read more at https://example.org"})
        assert refused.value.field == field_
    assert not db.session.scalars(sa.select(Project).where(
        Project.proposer_id == newcomer.id)).all()
    # without the link, all is well
    comments.add_comment(newcomer, project, "Good idea, I can help with the pipes.")
    # a day later the same link is fine
    _aged(newcomer, days=1.01)
    comments.add_comment(newcomer, project, "Cheap pipes at www.pipes.example.com")
    assert _draft(newcomer, here, description="[Our village](https://example.org)").id


def test_a_comment_cannot_be_changed_into_a_link(ctx, make_user, here, world) -> None:
    newcomer = make_user(home=here)
    comment = comments.add_comment(newcomer, world["project"], "Good idea, I can help.")
    assert "New accounts can post links" in _refusal(
        lambda: comments.edit_comment(newcomer, comment, "Good idea, see example.com"))
    db.session.rollback()
    assert db.session.get(ProjectComment, comment.id).body == "Good idea, I can help."


def test_staff_and_verified_authorities_post_links_on_their_first_day(ctx, make_user, here,
                                                                       world) -> None:
    project = world["project"]
    for user in (make_user("moderator"), make_user("authority", places=(here,))):
        assert comments.add_comment(user, project, f"Details: https://example.org/{user.id}")
    unverified = make_user("authority", places=(here,), verified=False)
    assert "New accounts can post links" in _refusal(
        lambda: comments.add_comment(unverified, project, "Details: https://example.org/x"))


def test_progress_updates_from_a_new_account_carry_no_links(ctx, make_user, here) -> None:
    moderator = make_user("moderator")
    authority = _aged(make_user("authority", places=(here,)))
    proposer = make_user(home=here)  # new
    project = _published(proposer, here, moderator)
    projects.transition(authority, project, "accept")
    with pytest.raises(ValidationError) as refused:
        progress.post_update(proposer, project, "Photos at https://example.org/album")
    assert refused.value.field == "body"
    assert progress.post_update(proposer, project, "The pipes are bought.")


# -- the same text again ----------------------------------------------------------------------


def test_the_same_comment_twice_is_refused_anywhere_for_a_day(ctx, world) -> None:
    member, project, other = world["member"], world["project"], world["other"]
    text = "Join our group for cheap loans today!"
    comments.add_comment(member, project, text)
    for again in ("join our GROUP for cheap   loans today!", "  Join our group\nfor cheap "
                  "loans today! "):
        for where in (project, other):
            with pytest.raises(ValidationError) as refused:
                comments.add_comment(member, where, again)
            assert "You already posted this same text" in _en(refused)
            assert refused.value.field == "body"
    thread = comments.add_comment(world["proposer"], project, "What do you think of it all?")
    assert "same text" in _refusal(lambda: comments.answer(member, thread, text))
    # another member may say the same; short answers repeat freely
    assert comments.add_comment(world["proposer"], other, text)
    assert comments.add_comment(member, project, "Thank you!")
    assert comments.add_comment(member, other, "Thank you!")
    # a day later, or once the first is deleted, it may be posted again
    first = db.session.scalar(sa.select(ProjectComment).where(
        ProjectComment.author_id == member.id, ProjectComment.body == text))
    first.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    second = comments.add_comment(member, other, text)
    assert "same text" in _refusal(lambda: comments.add_comment(member, project, text))
    comments.delete_comment(member, second)
    assert comments.add_comment(member, project, text)


def test_official_answers_and_staff_may_repeat_themselves(ctx, make_user, here, world) -> None:
    project, proposer = world["project"], world["proposer"]
    standard = "We will discuss it at the next village council meeting."
    for n in range(3):
        question = comments.add_comment(world["member"], project, f"Question number {n}?",
                                        kind="question")
        assert comments.answer(proposer, question, standard).official
    moderator = world["moderator"]
    comments.add_comment(moderator, project, "Please keep to the subject of the project.")
    assert comments.add_comment(moderator, world["other"],
                                "Please keep to the subject of the project.")


def test_the_same_proposal_twice_is_refused(ctx, make_user, here, world) -> None:
    member = world["member"]
    first = _draft(member, here, summary="Earn money fast from home, write to me",
                   description="The very same long text of the proposal.")
    projects.transition(member, first, "submit")
    copy = _draft(member, here, title="Another title",
                  summary="EARN money fast from home,  write to me")
    with pytest.raises(ValidationError) as refused:
        projects.transition(member, copy, "submit")
    assert "already submitted a project with this same text" in _en(refused)
    db.session.rollback()
    assert db.session.get(Project, copy.id).status == "draft"  # kept, to be changed
    projects.save_project(member, projects.ProjectDraft(
        place_id=here.id, title="Another title", summary="A bridge over the river"), copy)
    assert projects.transition(member, copy, "submit").status == "submitted"


# -- daily limits -----------------------------------------------------------------------------


def test_comments_a_day_are_limited_and_a_refused_one_costs_nothing(app, ctx, world,
                                                                    monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_COMMENTS_PER_DAY", 3)
    member, project = world["member"], world["project"]
    for refused_text in ("   ", "x" * 4001):
        with pytest.raises(ValidationError):
            comments.add_comment(member, project, refused_text)
    comments.add_comment(member, project, "First comment of the day.")
    with pytest.raises(ValidationError):  # a repeat is refused and not counted either
        comments.add_comment(member, project, "First comment of the day.")
    comments.add_comment(member, project, "Second comment of the day.")
    thread = comments.add_comment(world["proposer"], project, "A question to everyone?")
    comments.answer(member, thread, "Third, an answer, counts too.")
    with pytest.raises(ValidationError) as refused:
        comments.add_comment(member, project, "Fourth comment of the day.")
    message = _en(refused)
    assert "Today's limit of comments is reached (3 a day)" in message
    assert re.search(r"You can write again in (24|23) hours", message)
    assert refused.value.field == "body"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectComment).where(
        ProjectComment.author_id == member.id)) == 3
    # others, staff and official answers are not held back by it
    assert comments.add_comment(world["proposer"], project, "The proposer speaks freely.")
    for n in range(4):
        comments.add_comment(world["moderator"], project, f"Moderator's note {n}.")
    mine = comments.add_comment(world["moderator"], project, "A thread of the moderator.")
    for n in range(4):
        assert comments.answer(world["proposer"], mine, f"Official answer {n}.").official


def test_limits_count_in_a_moving_day(app, ctx, world, monkeypatch) -> None:
    """The window moves: a comment of 25 hours ago no longer counts (the storage's clock)."""
    monkeypatch.setitem(app.config, "SPAM_COMMENTS_PER_DAY", 1)
    member = world["member"]
    clock = [1_000_000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    monkeypatch.setattr(spam.time, "time", lambda: clock[0])
    comments.add_comment(member, world["project"], "Once today is enough for me.")
    clock[0] += 23 * 3600
    with pytest.raises(ValidationError) as refused:
        comments.add_comment(member, world["project"], "Twice would be too much now.")
    assert "You can write again in 1 hour." in _en(refused)
    clock[0] += 2 * 3600
    assert comments.add_comment(member, world["project"], "Twice would be too much now.")


def test_reports_a_day_are_limited(app, ctx, make_user, here, world, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_REPORTS_PER_DAY", 2)
    reporter, project = world["member"], world["project"]
    said = [comments.add_comment(world["proposer"], project, f"Comment to report {n}.")
            for n in range(3)]
    with pytest.raises(ValidationError):  # no reason: refused, not counted
        report(reporter, "project_comment", said[0].id, "")
    report(reporter, "project_comment", said[0].id, "spam")
    report(reporter, "project", project.id, "offensive")
    with pytest.raises(ValidationError) as refused:
        report(reporter, "project_comment", said[1].id, "spam")
    assert "Today's limit of reports is reached (2 a day)" in _en(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2
    moderator = world["moderator"]
    for comment in said:
        report(moderator, "project_comment", comment.id, "spam")


def test_proposals_a_day_count_first_submissions_only(app, ctx, make_user, here,
                                                       monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_PROPOSALS_PER_DAY", 2)
    moderator, member = make_user("moderator"), make_user(home=here)
    drafts = [_draft(member, here, title=f"Project {n}", summary=f"What project {n} does.")
              for n in range(4)]  # drafts are not limited
    projects.transition(member, drafts[0], "submit")
    projects.transition(moderator, drafts[0], "return", note="Add a budget, please.")
    projects.transition(member, drafts[1], "submit")
    # sent back after the moderators' changes: the same proposal, not a new one
    assert projects.transition(member, drafts[0], "submit").status == "submitted"
    with pytest.raises(ValidationError) as refused:
        projects.transition(member, drafts[2], "submit")
    message = _en(refused)
    assert "Today's limit of proposals is reached (2 a day)" in message
    assert "kept as a draft" in message
    db.session.rollback()
    assert db.session.get(Project, drafts[2].id).status == "draft"
    # an authority's projects for its own place, and staff, are not limited
    authority = make_user("authority", places=(here,))
    for n in range(3):
        own = _draft(authority, here, title=f"Ours {n}", summary=f"The council's plan {n}.",
                     as_authority=True)
        projects.transition(authority, own, "submit")
    for n in range(3):
        staff_own = _draft(moderator, here, title=f"Staff {n}", summary=f"Staff idea {n}.")
        projects.transition(moderator, staff_own, "submit")


def test_a_limit_of_zero_is_no_limit(app, ctx, world, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_COMMENTS_PER_DAY", 2)
    for n in range(2):
        comments.add_comment(world["member"], world["project"], f"Comment number {n} here.")
    assert "limit of comments" in _refusal(
        lambda: comments.add_comment(world["member"], world["project"], "Comment number 2 here."))
    monkeypatch.setitem(app.config, "SPAM_COMMENTS_PER_DAY", 0)
    assert comments.add_comment(world["member"], world["project"], "Comment number 2 here.")


def test_a_storage_that_does_not_answer_lets_members_post(app, ctx, world, monkeypatch,
                                                          caplog) -> None:
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(spam._counter().strategy, "test", down)
    monkeypatch.setattr(spam._counter().strategy, "hit", down)
    assert comments.add_comment(world["member"], world["project"], "Posted while Redis is down.")
    assert "storage did not answer" in caplog.text


# -- on the web --------------------------------------------------------------------------------


def test_web_comment_over_the_limit_comes_back_with_the_text(app, ctx, world,
                                                             monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_COMMENTS_PER_DAY", 1)
    project = world["project"]
    client = login(app.test_client(), world["member"])
    first = client.post(f"/projects/{project.id}/comments?lang=en",
                        data={"kind": "comment", "body": "My first comment today."})
    assert first.status_code == 302
    refused = client.post(f"/projects/{project.id}/comments?lang=en",
                          data={"kind": "comment", "body": "Another thought, kept for later."})
    assert refused.status_code == 200
    html = _page(refused)
    assert "Today's limit of comments is reached (1 a day)" in html
    assert "Another thought, kept for later.</textarea>" in html
    ru = client.post(f"/projects/{project.id}/comments?lang=ru",
                     data={"kind": "comment", "body": "Ещё одна мысль."})
    ru = _page(ru)
    assert "Лимит комментариев на сегодня исчерпан (1 в день)" in ru
    assert "через 24 часа" in ru


def test_web_new_project_with_a_link_comes_back_with_everything_typed(app, ctx, make_user,
                                                                      here) -> None:
    newcomer = make_user(home=here)
    client = login(app.test_client(), newcomer)
    response = client.post("/projects/new?lang=en", data={
        "place_id": str(here.id), "title": "Таза суу", "summary": "Мектепке суу түтүгү",
        "description": "Баары бул жерде: https://example.org/water", "language": "ky",
        "action": "submit"})
    assert response.status_code == 200
    html = _page(response)
    assert "New accounts can post links after their first day" in html
    assert "Баары бул жерде: https://example.org/water</textarea>" in html
    assert 'value="Таза суу"' in html
    ky = client.post("/projects/new?lang=ky", data={
        "place_id": str(here.id), "title": "Таза суу", "summary": "Суу: t.me/water",
        "language": "ky"})
    ky = _page(ky)
    assert "Жаңы аккаунттар шилтемелерди биринчи күндөн кийин гана" in ky
    assert not db.session.scalars(sa.select(Project)).all()


def test_web_submit_over_the_limit_keeps_the_draft(app, ctx, make_user, here,
                                                   monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_PROPOSALS_PER_DAY", 1)
    member = _aged(make_user(home=here))
    client = login(app.test_client(), member)
    form = {"place_id": str(here.id), "title": "Таза суу", "summary": "Мектепке суу түтүгү",
            "language": "ky", "action": "submit"}
    assert client.post("/projects/new?lang=en", data=form).status_code == 302
    second = client.post("/projects/new?lang=en", data={
        **form, "title": "Көпүрө", "summary": "Дарыяга көпүрө"}, follow_redirects=True)
    html = _page(second)
    assert "Today's limit of proposals is reached (1 a day)" in html
    kept = db.session.scalar(sa.select(Project).where(Project.title == "Көпүрө"))
    assert kept is not None and kept.status == "draft"


def test_web_report_over_the_limit_says_so(app, ctx, world, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SPAM_REPORTS_PER_DAY", 1)
    said = [comments.add_comment(world["proposer"], world["project"], f"Reported text {n}.")
            for n in range(2)]
    client = login(app.test_client(), world["member"])
    assert client.post(f"/report/project_comment/{said[0].id}?lang=en",
                       data={"reason": "spam"}).status_code == 302
    refused = client.post(f"/report/project_comment/{said[1].id}?lang=en",
                          data={"reason": "spam", "note": "It is an advert for loans."})
    assert refused.status_code == 200
    html = _page(refused)
    assert "Today's limit of reports is reached (1 a day)" in html
    assert "It is an advert for loans.</textarea>" in html


# -- shared through Redis ----------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set")
def test_two_app_instances_share_the_counts_through_redis(database_url) -> None:
    url = os.environ["TEST_REDIS_URL"]
    apps = [create_app(make_test_config(database_url, RATELIMIT_STORAGE_URI=url,
                                        SPAM_REPORTS_PER_DAY=2), environ=TEST_ENVIRON)
            for _ in range(2)]
    member = SimpleNamespace(id=987_654_321, role="member", is_authenticated=True, active=True)
    with apps[0].app_context():
        spam.reset()
        spam.check_limit(member, spam.REPORTS)
        spam.count(member, spam.REPORTS)
    with apps[1].app_context():
        spam.check_limit(member, spam.REPORTS)
        spam.count(member, spam.REPORTS)
    for app in apps:
        with app.app_context():
            assert "limit of reports" in _refusal(
                lambda: spam.check_limit(member, spam.REPORTS))
    with apps[0].app_context():
        spam.reset()
    with apps[1].app_context():
        spam.check_limit(member, spam.REPORTS)

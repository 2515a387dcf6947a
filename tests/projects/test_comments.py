"""Comments and questions on a project: who may write, answer (officially or not), edit,
delete, hide and restore; what the page shows; who is told, in their language; personal data;
the query count of the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.accounts import service as accounts
from diaspora.delivery.messages import render_message
from diaspora.delivery.models import OutboxMessage
from diaspora.errors import InvalidTransition, PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry, Report
from diaspora.moderation.reports import report
from diaspora.projects import comments
from diaspora.projects import service as projects
from diaspora.projects.models import ProjectComment
from tests.conftest import login

HOSTILE = "Water & <script>alert(1)</script> pipes"
ROLES = ("member", "proposer", "authority_here", "authority_elsewhere", "moderator", "admin")


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _project(proposer, place, moderator, status: str = "published", title: str = "Таза суу"):
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=place.id, title=title, summary="Мектепке суу түтүгү"))
    if status != "draft":
        projects.transition(proposer, project, "submit")
    if status not in ("draft", "submitted"):
        projects.transition(moderator, project, "publish")
    return project


@pytest.fixture
def world(make_user, users, here):
    """The walker's roles, plus the proposer of a published project of `here`."""
    people = dict(users)
    people["proposer"] = make_user(home=here, locale="ru", telegram_chat_id=8_100_001)
    people["project"] = _project(people["proposer"], here, users["moderator"])
    return people


def _comment_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProjectComment))


def _outbox(user) -> list[OutboxMessage]:
    """The comment notifications queued for `user` (not the lifecycle's)."""
    return list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == user.id, OutboxMessage.template == "project.comment")
        .order_by(OutboxMessage.id)))


# -- who may write and answer --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_comments_and_only_the_proposer_and_the_places_authority_answer_officially(
        app, world, role) -> None:
    project, actor = world["project"], world[role]
    asker = world["member"] if role != "member" else world["admin"]
    question = comments.add_comment(asker, project, "Когда начнёте?", kind="question")
    mine = comments.add_comment(actor, project, "Жакшы идея", language="ky")
    assert (mine.kind, mine.official, mine.parent_id) == ("comment", False, None)
    reply = comments.answer(actor, question, "Жазында")
    assert reply.parent_id == question.id
    assert reply.official is (role in ("proposer", "authority_here"))
    # Answering an answer answers its thread: one level only.
    deeper = comments.answer(actor, reply, "Дагы")
    assert deeper.parent_id == question.id


def test_anonymous_visitors_are_sent_to_log_in_and_nothing_is_written(app, world) -> None:
    project = world["project"]
    question = comments.add_comment(world["member"], project, "Кайда?", kind="question")
    client = app.test_client()
    for url, data in ((f"/projects/{project.id}/comments", {"body": "Hi"}),
                      (f"/projects/comments/{question.id}/answer", {f"a{question.id}-body": "Hi"})):
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _comment_count() == 1
    page = _page(client, f"/projects/{project.id}?lang=en")
    assert "Log in to comment or ask a question." in page
    assert 'action="/projects/comments/' not in page  # no answer form, no report link
    assert "/report/" not in page


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "withdrawn"])
def test_a_project_that_is_not_public_takes_no_comment(app, make_user, here, status) -> None:
    proposer, moderator = make_user(home=here), make_user("moderator")
    project = _project(proposer, here, moderator, "draft" if status == "draft" else "submitted")
    if status == "returned":
        projects.transition(moderator, project, "return", note="Add a photo")
    elif status == "withdrawn":
        projects.transition(proposer, project, "withdraw")
    for actor in (proposer, moderator):
        with pytest.raises(PermissionDenied):
            comments.add_comment(actor, project, "Hello")
    assert login(app.test_client(), proposer).post(
        f"/projects/{project.id}/comments", data={"body": "Hello"}).status_code == 403
    assert login(app.test_client(), make_user()).post(
        f"/projects/{project.id}/comments", data={"body": "Hello"}).status_code == 404
    page = _page(login(app.test_client(), proposer), f"/projects/{project.id}?lang=en")
    assert 'id="comments"' not in page
    assert _comment_count() == 0


def test_an_archived_projects_comments_stay_readable_but_take_no_more(app, world) -> None:
    project = world["project"]
    comments.add_comment(world["member"], project, "Бул сонун")
    projects.transition(world["moderator"], project, "archive")
    with pytest.raises(PermissionDenied):
        comments.add_comment(world["proposer"], project, "Дагы")
    page = _page(login(app.test_client(), world["proposer"]), f"/projects/{project.id}?lang=en")
    assert "Бул сонун" in page and 'name="body"' not in page


# -- the page --------------------------------------------------------------------------------


def test_a_question_waits_for_an_answer_until_the_proposer_answers_officially(
        app, world) -> None:
    project, member = world["project"], world["member"]
    member.profile.display_name = "Айбек"
    db.session.commit()
    client = login(app.test_client(), member)
    response = client.post(f"/projects/{project.id}/comments?lang=en", data={
        "kind": "question", "body": "Канча акча керек?\nЖана качан?", "language": "ky"})
    assert response.status_code == 302
    question = db.session.scalar(sa.select(ProjectComment))
    assert (question.kind, question.author_id, question.body) == (
        "question", member.id, "Канча акча керек?\nЖана качан?")
    # Its permanent address leads to the comment on the project page.
    assert response.headers["Location"].endswith(f"/projects/comments/{question.id}")
    landing = client.get(f"/projects/comments/{question.id}")
    assert landing.headers["Location"].endswith(f"/projects/{project.id}#comment-{question.id}")
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    section = page.split('id="comments"')[1]
    assert "Айбек" in section and "Question" in section and "Waiting for an answer" in section
    assert member.email not in page

    # Another member's answer does not end the wait; the proposer's does, marked official.
    comments.answer(world["authority_elsewhere"], question, "Не знаю")
    assert "Waiting for an answer" in _page(app.test_client(), f"/projects/{project.id}?lang=en")
    proposing = login(app.test_client(), world["proposer"])
    form = _page(proposing, f"/projects/{project.id}?lang=en")
    assert "Answer officially" in form and "marked as the official answer" in form
    assert proposing.post(f"/projects/comments/{question.id}/answer", data={
        f"a{question.id}-body": "200 000 сом, жазында.", f"a{question.id}-language": "ky",
    }).status_code == 302
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "Waiting for an answer" not in page
    assert "Official answer" in page and "(the proposer)" in page
    assert "200 000 сом, жазында." in page
    # The proposer has no display name: a neutral "Member", never the e-mail.
    assert "Member" in page and world["proposer"].email not in page
    # The authority of another place sees a plain "Answer".
    other = _page(login(app.test_client(), world["authority_elsewhere"]),
                  f"/projects/{project.id}?lang=en")
    assert "Answer officially" not in other and "<summary>Answer</summary>" in other


def test_the_authority_of_the_place_answers_officially_on_the_page(app, world) -> None:
    project = world["project"]
    question = comments.add_comment(world["member"], project, "Ким жооп берет?", kind="question")
    client = login(app.test_client(), world["authority_here"])
    client.post(f"/projects/comments/{question.id}/answer",
                data={f"a{question.id}-body": "Айыл өкмөтү"})
    answer = db.session.scalar(sa.select(ProjectComment).where(
        ProjectComment.parent_id.is_not(None)))
    assert answer.official
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "(the local authority)" in page


def test_forms_come_back_with_the_error_and_the_text_typed(app, world) -> None:
    project = world["project"]
    client = login(app.test_client(), world["member"])
    long_text = "Суу " * 1001 + "аягы"
    refused = client.post(f"/projects/{project.id}/comments?lang=en",
                          data={"kind": "question", "body": long_text})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "This is too long." in html and "аягы</textarea>" in html
    assert 'value="question" checked' in html or 'checked value="question"' in html \
        or re.search(r'<input[^>]*checked[^>]*value="question"', html)
    empty = client.post(f"/projects/{project.id}/comments?lang=en", data={"body": "   "})
    assert empty.status_code == 200 and "Please write something." in empty.get_data(as_text=True)
    question = comments.add_comment(world["admin"], project, "Суроо", kind="question")
    refused = client.post(f"/projects/comments/{question.id}/answer?lang=en",
                          data={f"a{question.id}-body": "x" * 4001})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "This is too long." in html
    assert re.search(r"<details open>", html)
    with pytest.raises(ValidationError):
        comments.add_comment(world["member"], project, "a\x00b")
    assert _comment_count() == 1


def test_ampersands_and_scripts_are_escaped_on_the_page(app, world) -> None:
    comments.add_comment(world["member"], world["project"], HOSTILE)
    world["member"].profile.display_name = "<b>Bold</b> & co"
    db.session.commit()
    page = _page(app.test_client(), f"/projects/{world['project'].id}")
    assert "<script>alert(1)</script>" not in page and "<b>Bold</b>" not in page
    assert "Water &amp; &lt;script&gt;alert(1)&lt;/script&gt; pipes" in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page


def test_the_comments_make_the_same_number_of_queries_for_2_or_20(
        app, world, make_user) -> None:
    """The section of the page, rendered as a moderator sees it (every button), from a fresh
    session so nothing is already loaded: authors come joined, answers in one query."""
    from flask import render_template_string
    from flask_login import login_user

    from diaspora.accounts.models import User
    from diaspora.projects.models import Project

    project_id, moderator_id = world["project"].id, world["moderator"].id
    proposer_id, member_id = world["proposer"].id, world["member"].id

    def count_queries() -> int:
        seen: list[str] = []
        db.session.remove()
        with app.test_request_context(f"/projects/{project_id}"):
            login_user(db.session.get(User, moderator_id))
            project = db.session.get(Project, project_id)

            def remember(*args: object) -> None:
                seen.append(str(args[2]))

            sa.event.listen(db.engine, "before_cursor_execute", remember)
            try:
                html = render_template_string('{% include "projects/_comments.html" %}',
                                              project=project)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", remember)
        assert "Writer 1" in html
        return len(seen)

    def write(first: int, n: int) -> None:
        for index in range(first, first + n):
            author = make_user()
            author.profile.display_name = f"Writer {index}"
            db.session.commit()
            question = comments.add_comment(author, db.session.get(Project, project_id),
                                            f"Суроо {index}", kind="question")
            comments.answer(db.session.get(User, proposer_id), question, f"Жооп {index}")

    write(0, 2)
    few = count_queries()
    write(2, 18)
    report(db.session.get(User, member_id), "project_comment",
           question_id(db.session.get(Project, project_id)), "spam")
    assert count_queries() == few <= 6


def question_id(project) -> int:
    return db.session.scalar(sa.select(ProjectComment.id).where(
        ProjectComment.project_id == project.id, ProjectComment.parent_id.is_(None))
        .order_by(ProjectComment.id).limit(1))


def test_many_threads_are_paged_and_a_permanent_address_finds_the_right_page(
        app, world, monkeypatch) -> None:
    monkeypatch.setattr(comments, "THREADS_PER_PAGE", 3)
    monkeypatch.setattr(comments, "RATE_LIMIT", 100)
    project, member = world["project"], world["member"]
    made = [comments.add_comment(member, project, f"Пикир номер {i}") for i in range(7)]
    monkeypatch.setattr(comments.list_threads, "__defaults__", (1, 3))
    monkeypatch.setattr(comments.page_of, "__defaults__", (3,))
    first = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "Пикир номер 6" in first and "Пикир номер 3" not in first
    assert "Page 1 of 3" in first and f"/projects/{project.id}?cpage=2#comments" in first
    oldest = app.test_client().get(f"/projects/comments/{made[0].id}")
    assert oldest.headers["Location"].endswith(
        f"/projects/{project.id}?cpage=3#comment-{made[0].id}")
    last = _page(app.test_client(), f"/projects/{project.id}?cpage=3&lang=en")
    assert "Пикир номер 0" in last and "Пикир номер 1" not in last
    # A page past the end shows the last one; nonsense shows the first.
    assert "Пикир номер 0" in _page(app.test_client(), f"/projects/{project.id}?cpage=99")
    assert "Пикир номер 6" in _page(app.test_client(), f"/projects/{project.id}?cpage=abc")


# -- edit, delete ------------------------------------------------------------------------------


def test_its_author_edits_a_comment_for_15_minutes_and_nobody_else_does(app, world) -> None:
    comment = comments.add_comment(world["member"], world["project"], "Биринчи")
    for role in ("proposer", "authority_here", "moderator", "admin"):
        client = login(app.test_client(), world[role])
        assert client.get(f"/projects/comments/{comment.id}/edit").status_code == 403, role
        assert client.post(f"/projects/comments/{comment.id}/edit",
                           data={"body": "Changed"}).status_code == 403, role
    anonymous = app.test_client().post(f"/projects/comments/{comment.id}/edit",
                                       data={"body": "Changed"})
    assert "/login" in anonymous.headers["Location"]
    author = login(app.test_client(), world["member"])
    assert "Биринчи</textarea>" in _page(author, f"/projects/comments/{comment.id}/edit")
    refused = author.post(f"/projects/comments/{comment.id}/edit?lang=en", data={"body": ""})
    assert refused.status_code == 200 and "Please write something." in refused.get_data(
        as_text=True)
    assert author.post(f"/projects/comments/{comment.id}/edit",
                       data={"body": "Экинчи"}).status_code == 302
    db.session.refresh(comment)
    assert comment.body == "Экинчи" and comment.edited_at is not None
    assert "edited" in _page(app.test_client(), f"/projects/{world['project'].id}?lang=en")
    # Sixteen minutes later: too late, said so.
    comment.created_at = comment.created_at - timedelta(minutes=16)
    db.session.commit()
    late = author.post(f"/projects/comments/{comment.id}/edit?lang=en",
                       data={"body": "Үчүнчү"}, follow_redirects=True)
    assert "only in the first 15 minutes" in late.get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        comments.edit_comment(world["member"], comment, "Үчүнчү")
    db.session.refresh(comment)
    assert comment.body == "Экинчи"


def test_its_author_deletes_a_comment_and_its_answers_stay(app, world) -> None:
    project = world["project"]
    question = comments.add_comment(world["member"], project, "Жашыруун суроо", kind="question")
    comments.answer(world["proposer"], question, "Жооп ушул")
    for role in ("proposer", "authority_here", "moderator", "admin"):
        assert login(app.test_client(), world[role]).post(
            f"/projects/comments/{question.id}/delete").status_code == 403, role
    author = login(app.test_client(), world["member"])
    assert author.post(f"/projects/comments/{question.id}/delete").status_code == 302
    db.session.refresh(question)
    assert question.deleted_at is not None and question.body == ""
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "Deleted" in page and "Жашыруун суроо" not in page and "Жооп ушул" in page
    assert "Waiting for an answer" not in page
    # Nothing more to delete, edit or answer.
    assert author.post(f"/projects/comments/{question.id}/delete").status_code == 403
    with pytest.raises(InvalidTransition):
        comments.answer(world["admin"], question, "Late")


# -- hide and restore --------------------------------------------------------------------------


def test_moderators_hide_and_restore_comments_audited_but_never_their_own(app, world) -> None:
    project = world["project"]
    rude = comments.add_comment(world["member"], project, "Орой сөз")
    report(world["authority_here"], "project_comment", rude.id, "offensive")
    for role in ("member", "proposer", "authority_here", "authority_elsewhere"):
        assert login(app.test_client(), world[role]).post(
            f"/projects/comments/{rude.id}/hide").status_code == 403, role
    moderating = login(app.test_client(), world["moderator"])
    assert moderating.post(f"/projects/comments/{rude.id}/hide").status_code == 302
    db.session.refresh(rude)
    assert rude.hidden_at is not None and rude.hidden_by_id == world["moderator"].id
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "Hidden by a moderator" in page and "Орой сөз" not in page
    staff_page = _page(moderating, f"/projects/{project.id}?lang=en")
    assert "Орой сөз" in staff_page and "Show again" in staff_page
    # Its open report is closed by the decision.
    assert db.session.scalar(sa.select(Report.resolution)) == "hidden"
    # Hiding again says so; the admin restores it.
    again = moderating.post(f"/projects/comments/{rude.id}/hide?lang=en", follow_redirects=True)
    assert "already hidden" in again.get_data(as_text=True)
    assert login(app.test_client(), world["admin"]).post(
        f"/projects/comments/{rude.id}/restore").status_code == 302
    db.session.refresh(rude)
    assert rude.hidden_at is None
    assert "Орой сөз" in _page(app.test_client(), f"/projects/{project.id}")
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["project_comment.hide", "project_comment.restore"]
    # A moderator's own comment is another moderator's decision.
    own = comments.add_comment(world["moderator"], project, "Менин пикирим")
    assert moderating.post(f"/projects/comments/{own.id}/hide").status_code == 403
    with pytest.raises(PermissionDenied):
        comments.hide_comment(world["moderator"], own)
    comments.hide_comment(world["admin"], own)


# -- notifications -----------------------------------------------------------------------------


def test_the_proposer_hears_of_comments_and_the_asker_of_answers_in_their_language(
        app, make_user, here, world) -> None:
    project, proposer = world["project"], world["proposer"]  # proposer reads Russian
    asker = make_user(home=here, locale="ky", telegram_chat_id=8_100_002)
    asker.profile.display_name = HOSTILE
    db.session.commit()
    question = comments.add_comment(asker, project, HOSTILE + " когда?", kind="question")
    [to_proposer] = _outbox(proposer)
    assert to_proposer.template == "project.comment"
    text = render_message(to_proposer.template, to_proposer.params, proposer.locale)
    assert "задал(а) вопрос о вашем проекте «Таза суу»" in text
    assert "Water &amp; &lt;script&gt;alert(1)&lt;/script&gt; pipes" in text
    assert "<script>" not in text
    assert f"http://mekendesh.test/projects/comments/{question.id}?lang=ru" in text

    comments.answer(proposer, question, "Жазында & <b>баштайбыз</b>")
    assert len(_outbox(proposer)) == 1  # nobody is told of their own answer
    [to_asker] = _outbox(asker)
    text = render_message(to_asker.template, to_asker.params, asker.locale)
    assert "расмий жооп берди" in text  # Kyrgyz: answered officially
    assert "Жазында &amp; &lt;b&gt;баштайбыз&lt;/b&gt;" in text
    # The proposer has no display name: "a member", in the asker's language.
    assert "Мүчө" in text or "Катышуучу" in text

    # A third member answers the asker: both hear of it, the proposer as a reply.
    comments.answer(world["member"], question, "Мен да күтөм")
    assert len(_outbox(asker)) == 2 and len(_outbox(proposer)) == 2
    reply = render_message("project.comment", _outbox(proposer)[-1].params, "en")
    assert "answered a comment on your project" in reply


def test_the_proposer_commenting_on_their_own_project_is_told_nothing(app, world) -> None:
    comments.add_comment(world["proposer"], world["project"], "Жаңылык")
    assert _outbox(world["proposer"]) == []


# -- the rate limit -----------------------------------------------------------------------------


def test_a_member_writes_at_most_10_comments_in_10_minutes(app, world) -> None:
    project, member = world["project"], world["member"]
    for index in range(10):
        comments.add_comment(member, project, f"Пикир {index}")
    with pytest.raises(ValidationError) as refused:
        comments.add_comment(member, project, "Дагы бирөө")
    assert "Акыркы 10 мүнөттө 10 пикир жаздыңыз" in str(refused.value)  # Kyrgyz by default
    page = login(app.test_client(), member).post(
        f"/projects/{project.id}/comments?lang=en", data={"body": "Дагы бирөө"})
    assert page.status_code == 200 and "Please wait" in page.get_data(as_text=True)
    assert "Дагы бирөө</textarea>" in page.get_data(as_text=True)
    # Older comments no longer count.
    for old in db.session.scalars(sa.select(ProjectComment)):
        old.created_at -= timedelta(minutes=11)
    db.session.commit()
    comments.add_comment(member, project, "Дагы бирөө")
    # The proposer answering many questions officially is not limited.
    question = comments.get_comment(question_id(project))
    for index in range(12):
        comments.answer(world["proposer"], question, f"Жооп {index}")


# -- personal data -------------------------------------------------------------------------------


def test_a_members_comments_and_reports_are_in_their_data_and_erased_with_it(app, world) -> None:
    member, project = world["member"], world["project"]
    question = comments.add_comment(member, project, "Менин сөзүм", kind="question")
    comments.answer(world["proposer"], question, "Жооп")
    other = comments.add_comment(world["admin"], project, "Башка")
    report(member, "project_comment", other.id, "spam", note="Жарнама")
    data = accounts.export_personal_data(member, member)
    assert data["project_comments"][0]["text"] == "Менин сөзүм"
    assert data["project_comments"][0]["kind"] == "question"
    assert data["reports"] == [{"subject_kind": "project_comment", "subject_id": other.id,
                                "reason": "spam", "note": "Жарнама",
                                "created_at": data["reports"][0]["created_at"]}]
    accounts.delete_personal_data(member, member)
    db.session.expire_all()
    erased = db.session.get(ProjectComment, question.id)
    assert erased.body == "" and erased.deleted_at is not None
    page = _page(app.test_client(), f"/projects/{project.id}?lang=en")
    assert "Менин сөзүм" not in page and "Deleted" in page and "Жооп" in page
    row = db.session.scalar(sa.select(Report))
    assert (row.reporter_id, row.note, row.reason) == (None, None, "spam")

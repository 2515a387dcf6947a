"""The results pages: who may read them, the SVG charts and their tables, filters, typed
answers, and publishing (one message through the outbox to those who answered)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.delivery.messages import render_message
from diaspora.delivery.models import Broadcast, OutboxMessage
from diaspora.extensions import db
from diaspora.surveys import service
from diaspora.surveys.models import Survey
from diaspora.surveys.service import OptionSpec
from tests.conftest import login
from tests.surveys.conftest import texts
from tests.surveys.results_helpers import respond

HOSTILE = "Trust & <script>alert(1)</script>"


@pytest.fixture
def answered(make_survey, make_user, here) -> tuple[Survey, list]:
    """A survey whose first option reads "Trust & <script>…", answered by 10 members who
    can be reached in Telegram."""
    survey = make_survey()
    author = make_user("moderator")
    question = survey.questions[0]
    spec = service.QuestionSpec(
        "single", texts("Do you send money home?"),
        options=[OptionSpec(texts(HOSTILE), id=question.options[0].id),
                 *[OptionSpec(dict(o.label), id=o.id) for o in question.options[1:]]])
    service.save_question(author, survey, spec, question)
    members = []
    for i in range(10):
        respond(make_user, survey, home=here, sends=i % 2)
    from diaspora.surveys.models import SurveyParticipation

    for participation in db.session.scalars(sa.select(SurveyParticipation)):
        members.append(participation.user_id)
    from diaspora.accounts.models import User

    for index, user_id in enumerate(members):
        db.session.get(User, user_id).telegram_chat_id = 9_100_000 + index
    db.session.commit()
    return survey, members


def _get(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_staff_read_charts_with_the_same_numbers_in_a_table(client, answered, make_user
                                                            ) -> None:
    survey, _members = answered
    login(client, make_user("moderator"))
    status, page = _get(client, f"/surveys/{survey.id}/results?lang=en")
    assert status == 200
    svg = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svg) == 6  # single, multiple, scale, number, place, country
    assert "<script>" not in page
    escaped = "Trust &amp; &lt;script&gt;alert(1)&lt;/script&gt;"
    assert escaped in svg[0]  # the label in the chart (full text in its <title>)
    assert f'<th scope="row">{escaped}</th><td>5</td><td>50.0%</td>' in page
    assert '<th scope="row">Sometimes</th><td>5</td><td>50.0%</td>' in page
    assert ">5 (50.0%)</text>" in svg[0]
    assert f'href="/surveys/{survey.id}/results.csv"' in page
    assert "Read the typed answers" in page


def test_the_page_speaks_three_languages(client, answered, make_user) -> None:
    survey, _members = answered
    login(client, make_user("moderator"))
    expected = {"ky": "Жыйынтыктар", "ru": "Результаты", "en": "Results"}
    for lang, word in expected.items():
        status, page = _get(client, f"/surveys/{survey.id}/results?lang={lang}")
        assert status == 200 and f"<h1>{word}:" in page


def test_filters_are_a_plain_get_form_and_a_refusal_says_why(client, answered, make_user,
                                                             here) -> None:
    survey, _members = answered
    login(client, make_user("moderator"))
    status, page = _get(client, f"/surveys/{survey.id}/results?lang=en")
    assert '<form method="get"' in page
    assert f'<option value="{here.region_id}"' in page
    status, page = _get(client, f"/surveys/{survey.id}/results?region={here.region_id}"
                                "&lang=en")
    assert status == 200 and "Responses in this view: 10" in page
    status, page = _get(client, f"/surveys/{survey.id}/results?country=KZ&lang=en")
    assert status == 200 and "Fewer than 5 people answered with this filter value" in page
    assert "<svg" not in page


def test_members_read_results_only_once_published_and_only_if_they_answered(
        client, answered, make_user, here) -> None:
    survey, members = answered
    from diaspora.accounts.models import User

    member = db.session.get(User, members[0])
    outsider = make_user(home=here)
    assert _get(login(client, member), f"/surveys/{survey.id}/results")[0] == 403
    service.set_results_published(make_user("moderator"), survey, True)
    status, page = _get(login(client, member), f"/surveys/{survey.id}/results?lang=en")
    assert status == 200 and "<svg" in page
    # Members see no staff controls, no downloads, no typed answers.
    assert "results.csv" not in page and "Read the typed answers" not in page
    assert "Typed answers are read by the programme's staff only." in page
    for url in (f"/surveys/{survey.id}/results.csv", f"/surveys/{survey.id}/results.xlsx",
                f"/surveys/{survey.id}/results/questions/{survey.questions[4].id}/answers"):
        assert _get(login(client, member), url)[0] == 403
    assert _get(login(client, outsider), f"/surveys/{survey.id}/results")[0] == 403
    anonymous = client.application.test_client()
    response = anonymous.get(f"/surveys/{survey.id}/results")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_web_leads_those_who_answered_to_the_published_results(
        app, answered, make_user, here) -> None:
    """Found by the browser journeys: the results were published but no page linked to them
    (only the Telegram message did), so a web-only member could not find them."""
    survey, members = answered
    from diaspora.accounts.models import User

    member = db.session.get(User, members[0])
    results_link = f'href="/surveys/{survey.id}/results"'
    pages = ("/surveys/?lang=en", f"/surveys/{survey.id}/thanks?lang=en")
    assert not any(results_link in _get(login(app.test_client(), member), url)[1]
                   for url in pages)  # not published yet: nothing to see
    moderator = make_user("moderator")
    service.set_results_published(moderator, survey, True)
    for url in pages:
        status, page = _get(login(app.test_client(), member), url)
        assert status == 200 and results_link in page, url
    # Results are mostly published once a survey has closed: it leaves the list of open
    # surveys, its results stay within reach.
    service.close_survey(moderator, survey)
    page = _get(login(app.test_client(), member), "/surveys/?lang=en")[1]
    assert "There are no open surveys for you right now." in page and results_link in page
    # Someone who did not answer is not led to them.
    outsider = login(app.test_client(), make_user(home=here))
    assert results_link not in _get(outsider, "/surveys/?lang=en")[1]


def test_publishing_tells_those_who_answered_once(client, answered, make_user, here) -> None:
    survey, members = answered
    survey.title = {"en": "Money & <b>home</b>", "ky": "Акча & <b>үй</b>"}
    db.session.commit()
    staff = make_user("moderator")
    make_user(home=here, telegram_chat_id=9_200_000)  # reachable, did not answer
    login(client, staff)
    page = client.get(f"/surveys/{survey.id}/results?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"publish": "1", **({"csrf_token": token.group(1)} if token else {})}
    response = client.post(f"/surveys/{survey.id}/results/publish", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    broadcast = db.session.get(Broadcast, db.session.get(Survey, survey.id).results_broadcast_id)
    assert broadcast.template == "survey.results" and broadcast.total == 10
    rows = db.session.scalars(sa.select(OutboxMessage)
                              .where(OutboxMessage.broadcast_id == broadcast.id)).all()
    assert sorted(row.user_id for row in rows) == sorted(members)
    text = render_message("survey.results", broadcast.params, "ky")
    assert "Акча &amp; &lt;b&gt;үй&lt;/b&gt;" in text  # the title, escaped
    assert f'href="http://mekendesh.test/surveys/{survey.id}/results?lang=ky"' in text
    with force_locale("ky"):
        assert "жыйынтыктары" in text
    # Unpublishing and publishing again sends nothing more.
    for publish in ("0", "1"):
        assert client.post(f"/surveys/{survey.id}/results/publish",
                           data={**data, "publish": publish}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 10
    assert db.session.get(Survey, survey.id).results_published


def test_a_draft_has_no_results_to_publish(client, make_survey, make_user) -> None:
    survey = make_survey(open_it=False)
    login(client, make_user("moderator"))
    response = client.post(f"/surveys/{survey.id}/results/publish", data={"publish": "1"},
                           follow_redirects=True)
    assert "A survey that never opened has no results to publish." in response.get_data(
        as_text=True)
    assert not db.session.get(Survey, survey.id).results_published


def test_staff_read_typed_answers_page_by_page(client, make_survey, make_user, here) -> None:
    survey = make_survey()
    for i in range(25):
        respond(make_user, survey, home=here, q5=f"Answer {i:02d} & <b>more</b>")
    login(client, make_user("moderator"))
    url = f"/surveys/{survey.id}/results/questions/{survey.questions[5].id}/answers?lang=en"
    status, page = _get(client, url)
    assert status == 200
    assert page.count("<blockquote>") == 20
    assert "Answer 00 &amp; &lt;b&gt;more&lt;/b&gt;" in page and "Answer 20" not in page
    status, page = _get(client, url + "&page=2")
    assert page.count("<blockquote>") == 5 and "Answer 24" in page
    # A question that is not typed text has no such page.
    choice = f"/surveys/{survey.id}/results/questions/{survey.questions[0].id}/answers"
    assert _get(client, choice)[0] == 404


def test_downloads_carry_the_label_as_written(client, answered, make_user) -> None:
    """A CSV or XLSX cell is text, not HTML: the label comes back exactly as staff wrote
    it (and the page, above, escapes it)."""
    import csv
    import io

    from openpyxl import load_workbook

    survey, _members = answered
    login(client, make_user("moderator"))
    data = client.get(f"/surveys/{survey.id}/results.csv?lang=en").get_data()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert sum(row[3] == HOSTILE for row in rows[1:]) == 5
    data = client.get(f"/surveys/{survey.id}/results.xlsx?lang=en").get_data()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    assert sum(row[3] == HOSTILE for row in sheet.iter_rows(min_row=2, values_only=True)) == 5


def test_the_page_makes_as_many_queries_with_more_answers(client, make_survey, make_user,
                                                          here, elsewhere) -> None:
    survey = make_survey()
    staff = make_user("moderator")

    def count_queries(url: str) -> int:
        seen: list[str] = []

        def remember(*args) -> None:
            # The page's own queries (loading the logged-in user varies between requests).
            if "survey" in args[2] or "places" in args[2]:
                seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert login(client, staff).get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return len(seen)

    for _ in range(6):
        respond(make_user, survey, home=here)
    url = f"/surveys/{survey.id}/results?region={here.region_id}"
    few = count_queries(f"/surveys/{survey.id}/results"), count_queries(url)
    for i in range(14):
        respond(make_user, survey, home=here if i % 2 else elsewhere,
                country=("RU", "KZ", "TR")[i % 3], q6=str((here, elsewhere)[i % 2].id),
                q7=("Казакстан", "Турция")[i % 2])
    assert (count_queries(f"/surveys/{survey.id}/results"), count_queries(url)) == few

"""Answering surveys on the web: the list, the one answer page (every kind of question,
conditions, errors next to each question with nothing typed lost), closed and scheduled
surveys, the thanks page, and one response per member under two concurrent submissions."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.surveys import service
from diaspora.surveys.models import SurveyAnswer, SurveyParticipation, SurveyResponse
from tests.conftest import login
from tests.surveys.conftest import answers_for


def form_data(raw: dict[int, object]) -> dict[str, object]:
    """Raw answers (question id -> value) as the browser posts them."""
    return {f"q{qid}": value for qid, value in raw.items()}


def fieldset(html: str, question) -> str:
    """The part of the page about one question."""
    match = re.search(rf'<fieldset id="q{question.id}".*?</fieldset>', html, re.S)
    assert match, f"question {question.id} is not on the page"
    return match.group(0)


def responses() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))


def test_every_kind_of_question_is_answered_through_the_form(app, make_survey, make_user,
                                                              here) -> None:
    survey = make_survey()
    member = make_user(home=here)
    client = login(app.test_client(), member)
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    q = survey.questions
    assert f'type="radio" name="q{q[0].id}"' in page  # single
    assert f'type="checkbox" name="q{q[1].id}"' in page and "Choose up to 2." in page
    assert "Not at all" in fieldset(page, q[2]) and "Fully" in fieldset(page, q[2])  # scale
    assert 'inputmode="numeric"' in fieldset(page, q[3])
    assert "<textarea" in fieldset(page, q[5])
    assert "<optgroup" in fieldset(page, q[6]) and here.display_name("en") in page  # place
    assert '<option value="DE">Germany</option>' in fieldset(page, q[7])  # country
    assert "(optional)" in fieldset(page, q[4]) and "(optional)" not in fieldset(page, q[0])

    response = client.post(f"/surveys/{survey.id}", data=form_data(answers_for(survey, here)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/surveys/{survey.id}/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in thanks and "Diaspora &amp; home" in thanks

    stored = db.session.scalars(sa.select(SurveyAnswer)).all()
    by_question: dict[int, list[SurveyAnswer]] = {}
    for row in stored:
        by_question.setdefault(row.question_id, []).append(row)
    assert by_question[q[0].id][0].option_id == q[0].options[0].id
    assert {a.option_id for a in by_question[q[1].id]} == {q[1].options[0].id, q[1].options[2].id}
    assert by_question[q[2].id][0].number_value == 4
    assert by_question[q[3].id][0].number_value == 15000
    assert by_question[q[4].id][0].text_value == "Novosibirsk"
    assert by_question[q[5].id][0].text_value == "Trust & partners <b>"
    assert by_question[q[6].id][0].place_id == here.id
    assert by_question[q[7].id][0].country_code == "DE"

    # A second visit says it was answered; a second POST changes nothing.
    again = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "You have already answered this survey. Thank you!" in again
    client.post(f"/surveys/{survey.id}", data=form_data(answers_for(survey, here)))
    assert responses() == 1


def test_a_conditional_question_says_when_to_answer_and_a_hidden_answer_is_dropped(
        app, make_survey, make_user, here) -> None:
    survey = make_survey()
    q = survey.questions
    client = login(app.test_client(), make_user(home=here))
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    note = fieldset(page, q[3])
    assert "Answer only if your answer to question 1 was: «Regularly» / «Sometimes»." in note
    assert "Answer only if" not in fieldset(page, q[0])

    raw = answers_for(survey, here, sends=2)  # "No": the amount is not asked, yet typed
    assert client.post(f"/surveys/{survey.id}", data=form_data(raw)).status_code == 302
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)
                                 .where(SurveyAnswer.question_id == q[3].id))


def test_errors_stand_next_to_their_questions_and_nothing_typed_is_lost(
        app, make_survey, make_user, here) -> None:
    survey = make_survey()
    q = survey.questions
    client = login(app.test_client(), make_user(home=here))
    raw = answers_for(survey, here)
    raw[q[1].id] = [str(o.id) for o in q[1].options[:3]]  # at most 2
    raw[q[2].id] = ""  # required
    raw[q[3].id] = "fifteen"
    raw[q[7].id] = "Atlantis"
    raw[q[5].id] = "Line one\nline <two> & three"
    response = client.post(f"/surveys/{survey.id}", data=form_data(raw))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 answers need your attention: see below." in page
    assert "Choose at most 2." in fieldset(page, q[1])
    assert "Please answer this question." in fieldset(page, q[2])
    assert "Write a whole number, in digits." in fieldset(page, q[3])
    assert "know this country. Try its name" in fieldset(page, q[7])
    assert "field-error" not in fieldset(page, q[0]) + fieldset(page, q[4])
    # What was typed and chosen is still there.
    assert re.search(rf'value="{q[0].options[0].id}" checked', fieldset(page, q[0]))
    assert len(re.findall(r"checked", fieldset(page, q[1]))) == 3
    assert 'value="fifteen"' in fieldset(page, q[3])
    assert 'value="Novosibirsk"' in fieldset(page, q[4])
    assert "Line one\nline &lt;two&gt; &amp; three</textarea>" in fieldset(page, q[5])
    assert re.search(rf'value="{here.id}" selected', fieldset(page, q[6]))
    assert responses() == 0

    # Kyrgyz: the errors in Kyrgyz, next to the same questions.
    page = client.post(f"/surveys/{survey.id}?lang=ky", data=form_data(raw)).get_data(
        as_text=True)
    assert "Бул суроого жооп бериңиз." in fieldset(page, q[2])


def test_closed_scheduled_and_others_surveys_say_so(app, make_survey, make_user, here,
                                                   elsewhere) -> None:
    member = make_user(home=here)
    client = login(app.test_client(), member)
    later = make_survey(opens_at=utcnow() + timedelta(days=2))
    page = client.get(f"/surveys/{later.id}").get_data(as_text=True)
    assert "This survey is not open yet." in page and "<textarea" not in page

    ending = make_survey(closes_at=utcnow() + timedelta(hours=1))
    assert "<textarea" in client.get(f"/surveys/{ending.id}").get_data(as_text=True)
    ending.closes_at = utcnow() - timedelta(minutes=1)  # the closing date passes
    db.session.commit()
    raw = form_data(answers_for(ending, here))
    for response in (client.get(f"/surveys/{ending.id}"), client.post(f"/surveys/{ending.id}",
                                                                       data=raw)):
        assert response.status_code == 200
        assert "This survey has closed." in response.get_data(as_text=True)
    assert responses() == 0

    theirs = make_survey(audience="home", place_ids=[elsewhere.id])
    response = client.get(f"/surveys/{theirs.id}")
    assert response.status_code == 403
    assert "This survey is meant for other members." in response.get_data(as_text=True)
    draft = make_survey(open_it=False)
    assert client.get(f"/surveys/{draft.id}").status_code == 404

    ky = client.get(f"/surveys/{later.id}?lang=ky").get_data(as_text=True)
    assert "Бул сурамжылоо азырынча ачыла элек." in ky


def test_the_list_shows_what_is_open_for_the_member_and_marks_answered_ones(
        app, make_survey, make_user, here, elsewhere) -> None:
    member = make_user(home=here)
    for_all = make_survey()
    for_here = make_survey(audience="home", place_ids=[here.id])
    for_there = make_survey(audience="home", place_ids=[elsewhere.id])
    make_survey(open_it=False)
    service.submit_response(member, for_all, answers_for(for_all, here))

    page = login(app.test_client(), member).get("/surveys/").get_data(as_text=True)
    assert page.count("Diaspora &amp; home") == 2
    assert f"/surveys/{for_here.id}" in page and f"/surveys/{for_there.id}" not in page
    assert "You answered this survey." in page
    # Not answered first.
    assert page.index(f"/surveys/{for_here.id}") < page.index(f"/surveys/{for_all.id}")

    visitor = app.test_client().get("/surveys/?lang=en").get_data(as_text=True)
    assert f"/surveys/{for_all.id}" in visitor and f"/surveys/{for_here.id}" not in visitor
    assert "Log in to answer the surveys meant for you" in visitor
    # The answer page itself asks a visitor to log in, then comes back.
    response = app.test_client().get(f"/surveys/{for_all.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert 'href="/surveys/"' in visitor  # the nav link


@pytest.mark.parametrize("attempt", range(2))
def test_two_concurrent_submissions_make_one_response(app, make_survey, make_user, here,
                                                      monkeypatch, attempt) -> None:
    """Both requests pass every check before either writes (a barrier holds them there);
    the participation's primary key lets one through, the other is told it answered."""
    survey = make_survey()
    member = make_user(home=here)
    data = form_data(answers_for(survey, here))
    barrier = threading.Barrier(2, timeout=20)
    facts = service._respondent_facts

    def both_checked(who):
        barrier.wait()
        return facts(who)

    monkeypatch.setattr(service, "_respondent_facts", both_checked)
    member_id = member.get_id()
    pages: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = member_id, True
            # Each request runs in its own app context and database session (IsolatedClient).
            response = client.post(f"/surveys/{survey.id}", data=data)
            pages.append((response.status_code, response.get_data(as_text=True)))
        except BaseException as error:  # noqa: BLE001  (reported by the test below)
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and len(pages) == 2
    statuses = sorted(status for status, _page in pages)
    assert statuses == [200, 302]
    refused = next(page for status, page in pages if status == 200)
    assert "You have already answered this survey. Thank you!" in refused
    db.session.expire_all()
    assert responses() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyParticipation)) == 1
    answers = db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer))
    assert answers == 9  # 8 questions, two options of the multiple choice


def test_a_place_id_beyond_the_column_is_a_wrong_answer_not_an_error(
        app, make_survey, make_user, here) -> None:
    survey = make_survey()
    client = login(app.test_client(), make_user(home=here))
    place_question = survey.questions[6]
    for forged in (str(2**31), str(10**20), "-1", "²"):
        raw = answers_for(survey, here)
        raw[place_question.id] = forged
        response = client.post(f"/surveys/{survey.id}", data=form_data(raw))
        assert response.status_code == 200
        assert "Choose a place from the list." in fieldset(response.get_data(as_text=True),
                                                           place_question)
    assert responses() == 0


def test_the_list_and_the_manage_page_ask_the_same_number_of_queries_for_more_surveys(
        app, make_survey, make_user, here) -> None:
    member = make_user(home=here)
    moderator = make_user("moderator")
    pages = {"/surveys/": login(app.test_client(), member),
             "/surveys/manage": login(app.test_client(), moderator)}

    def statements() -> dict[str, int]:
        seen: dict[str, int] = dict.fromkeys(pages, 0)
        current = [""]

        def remember(*_args: object) -> None:
            seen[current[0]] += 1

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            for url, client in pages.items():
                current[0] = url
                assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return seen

    survey = make_survey(author=moderator)
    service.submit_response(member, survey, answers_for(survey, here))
    statements()  # the first request of a browser records its session; the second reads it
    few = statements()
    for _ in range(4):
        other = make_survey(author=moderator)
        service.submit_response(member, other, answers_for(other, here))
    make_survey(author=moderator, open_it=False)
    assert statements() == few

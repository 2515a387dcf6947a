"""The survey service: answering every kind of question, conditions, one response per member,
the edit rules after opening, anonymity and erasure."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.accounts import service as accounts
from diaspora.errors import InvalidTransition, PermissionDenied
from diaspora.extensions import db
from diaspora.models import utcnow
from diaspora.surveys import service
from diaspora.surveys.models import SurveyAnswer, SurveyResponse
from diaspora.surveys.service import AlreadyAnswered, AnswersInvalid, OptionSpec
from tests.surveys.conftest import answers_for, options, texts


@pytest.fixture(autouse=True)
def _english(ctx: None):
    """Refusals are matched by their English text."""
    with force_locale("en"):
        yield


def test_a_member_answers_every_kind_once(make_survey, make_user, here) -> None:
    survey = make_survey()
    member = make_user(home=here)
    response = service.submit_response(member, survey, answers_for(survey, here))
    assert response.user_id is None  # anonymous: the response names nobody
    assert response.country_code == "RU" and response.home_region_id == here.region_id
    rows = db.session.scalars(sa.select(SurveyAnswer).where(
        SurveyAnswer.response_id == response.id)).all()
    by_question = {}
    for row in rows:
        by_question.setdefault(row.question_id, []).append(row)
    q = survey.questions
    assert len(by_question[q[1].id]) == 2
    assert by_question[q[2].id][0].number_value == 4
    assert by_question[q[3].id][0].number_value == 15000
    assert by_question[q[5].id][0].text_value == "Trust & partners <b>"
    assert by_question[q[7].id][0].country_code == "DE"
    assert service.has_answered(member, survey)
    with pytest.raises(AlreadyAnswered):
        service.submit_response(member, survey, answers_for(survey, here))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 1


def test_a_condition_hides_a_question_and_drops_its_answer(make_survey, make_user, here) -> None:
    survey = make_survey()
    member = make_user(home=here)
    raw = answers_for(survey, here, sends=2)  # "No": the amount is not asked
    number_question = survey.questions[3]
    assert number_question not in service.visible_questions(
        survey, {survey.questions[0].id: survey.questions[0].options[2].id})
    response = service.submit_response(member, survey, raw)
    assert all(a.question_id != number_question.id for a in response.answers)


def test_all_problems_are_reported_at_once_by_question(make_survey, make_user, here) -> None:
    survey = make_survey()
    q = survey.questions
    raw = answers_for(survey, here)
    raw[q[1].id] = [str(o.id) for o in q[1].options[:3]]  # max 2
    raw[q[3].id] = "99999999999999999999999"  # beyond 64 bits
    raw[q[2].id] = ""  # required
    raw[q[7].id] = "Atlantis"
    with pytest.raises(AnswersInvalid) as error:
        service.submit_response(make_user(home=here), survey, raw)
    assert list(error.value.errors) == [f"q{q[1].id}", f"q{q[2].id}", f"q{q[3].id}",
                                        f"q{q[7].id}"]
    with force_locale("en"):
        assert str(error.value.errors[f"q{q[3].id}"]) == "This number is too large."
    with force_locale("ky"):
        assert str(error.value.errors[f"q{q[3].id}"]) == "Бул сан өтө чоң."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def test_closed_scheduled_and_out_of_audience_surveys_refuse(make_survey, make_user, here,
                                                              elsewhere) -> None:
    from datetime import timedelta

    member = make_user(home=here)
    later = make_survey(opens_at=utcnow() + timedelta(days=1))
    with pytest.raises(InvalidTransition, match="not open yet"):
        service.submit_response(member, later, answers_for(later, here))
    ended = make_survey()
    service.close_survey(make_user("moderator"), ended)
    with pytest.raises(InvalidTransition, match="closed"):
        service.submit_response(member, ended, answers_for(ended, here))
    theirs = make_survey(audience="home", place_ids=[elsewhere.id])
    with pytest.raises(PermissionDenied):
        service.submit_response(member, theirs, answers_for(theirs, here))
    assert [s.id for s in service.open_surveys_for(member)] == []


def test_after_opening_only_harmless_edits_pass(make_survey, make_user, here) -> None:
    survey = make_survey()
    moderator = make_user("moderator")
    service.submit_response(make_user(home=here), survey, answers_for(survey, here))
    first = survey.questions[0]
    spec = service.QuestionSpec(
        "single", texts("Do you send money home?"),
        options=[OptionSpec(o.label, o.id) for o in first.options[1:]])
    with pytest.raises(InvalidTransition, match="option that people chose"):
        service.save_question(moderator, survey, spec, first)
    with pytest.raises(InvalidTransition, match="must be optional"):
        service.save_question(moderator, survey, service.QuestionSpec(
            "short_text", texts("New")))
    added = service.save_question(moderator, survey, service.QuestionSpec(
        "single", texts("New"), required=False, options=options("a", "b")))
    assert added.position == len(survey.questions) - 1
    with pytest.raises(InvalidTransition, match="can't be removed"):
        service.delete_question(moderator, survey.questions[2])
    settings = service.SurveySettings(title=survey.title, anonymous=False)
    with pytest.raises(InvalidTransition, match="anonymous"):
        service.update_survey(moderator, survey, settings)


def test_erasure_removes_named_answers_and_keeps_anonymous_ones(make_survey, make_user,
                                                                here) -> None:
    member = make_user(home=here)
    anonymous = make_survey()
    named = make_survey(anonymous=False)
    service.submit_response(member, anonymous, answers_for(anonymous, here))
    service.submit_response(member, named, answers_for(named, here))
    export = accounts.export_personal_data(member, member)
    assert len(export["survey_answers"]) == 1
    assert export["survey_answers"][0]["survey"]["en"] == "Diaspora & home"
    accounts.delete_personal_data(member, member)
    counts = dict(db.session.execute(sa.select(
        SurveyResponse.survey_id, sa.func.count()).group_by(SurveyResponse.survey_id)).all())
    assert counts == {anonymous.id: 1}

"""Survey results: counts and percentages, medians, the counts kept on submit, and
small-cell suppression, including an attacker who reads every filtered view and solves the
numbers as equations (differencing, sibling sums, inclusion-exclusion over filters)."""

from __future__ import annotations

import random

import pytest
from flask_babel import force_locale

from diaspora.accounts import service as accounts
from diaspora.surveys import results, service
from diaspora.surveys.results import SUPPRESSED, Filters
from tests.surveys.results_helpers import Attacker, districts, respond

PLANS = ("within_year", "later", "no", None)


@pytest.fixture(autouse=True)
def _english(ctx: None):
    with force_locale("en"):
        yield


def table(view: results.Results, index: int) -> dict[str, tuple[str, str]]:
    found = view.questions[index]
    return {cell.label: (cell.shown, cell.shown_percent) for cell in found.cells}


def test_counts_and_percentages_of_each_kind(make_survey, make_user, here) -> None:
    survey = make_survey()
    for i in range(10):
        respond(make_user, survey, home=here, sends=i % 2, scale=3 + i % 2,
                number=str(1000 * (i + 1) if i < 5 else 10_000 * i))
    view = results.results(survey, Filters(), "en")
    assert view.refused is None and view.respondents == 10
    assert table(view, 0) == {"Regularly": ("5", "50.0%"), "Sometimes": ("5", "50.0%"),
                              "No": ("0", "0.0%")}
    # Multiple choice: each option counts the people who chose it.
    assert table(view, 1)["Agriculture"] == ("10", "100.0%")
    assert table(view, 1)["Education"] == ("0", "0.0%")
    assert table(view, 2) == {"1": ("0", "0.0%"), "2": ("0", "0.0%"), "3": ("5", "50.0%"),
                              "4": ("5", "50.0%"), "5": ("0", "0.0%")}
    # Numbers by range of magnitude: 1000..5000 and 50 000..90 000.
    assert table(view, 3) == {"1,000–9,999": ("5", "50.0%"), "10,000–99,999": ("5", "50.0%")}
    assert view.questions[4].is_text and view.questions[4].answered == 10
    assert table(view, 6) == {f"{here.full_name('en')}": ("10", "100.0%")}
    assert table(view, 7) == {"Germany": ("10", "100.0%")}


def test_medians_from_cumulative_counts(make_survey, make_user, here) -> None:
    survey = make_survey()
    scales = [1, 2, 2, 3, 3, 4, 4, 5, 5, 5]
    for i, scale in enumerate(scales):
        respond(make_user, survey, home=here, scale=scale, number=str(10 * (i + 1)))
    view = results.results(survey, Filters(), "en")
    assert view.questions[2].median == 3.5  # even: the mean of the two middle values
    assert view.questions[3].median == 55  # 10..100
    respond(make_user, survey, home=here, scale=5, number="7")
    view = results.results(survey, Filters(), "en")
    assert view.questions[2].median == 4  # odd: the middle value
    assert view.questions[3].median == 50


def test_a_small_cell_and_the_cell_that_would_give_it_away_show_less_than_five(
        make_survey, make_user, here) -> None:
    survey = make_survey()
    for sends in [0] * 6 + [1] * 5 + [2]:
        respond(make_user, survey, home=here, sends=sends)
    view = results.results(survey, Filters(), "en")
    # "No" is 1; with "Sometimes" shown, 12 - 6 - 5 would tell it: both are hidden.
    assert table(view, 0) == {"Regularly": ("6", "50.0%"), "Sometimes": (SUPPRESSED, ""),
                              "No": (SUPPRESSED, "")}
    assert view.questions[0].shown_answered == "12"


def test_results_wait_for_five_responses(make_survey, make_user, here) -> None:
    survey = make_survey()
    for _ in range(4):
        respond(make_user, survey, home=here)
    view = results.results(survey, Filters(), "en")
    assert view.refused == "Results are shown once at least 5 people have answered."
    assert not view.questions


def test_filters_offer_only_values_five_people_share(make_survey, make_user, here) -> None:
    survey = make_survey()
    for _ in range(9):
        respond(make_user, survey, home=here, country="RU", plan="later")
    respond(make_user, survey, home=here, country="KZ", plan="no")
    choices = results.filter_choices(survey, "en")
    # Kazakhstan has 1 respondent; offering Russia would make "all minus Russia" show them.
    assert choices.countries == [] and choices.plans == []
    assert [region_id for region_id, _name in choices.regions] == [here.region_id]
    for view in (Filters(country="RU"), Filters(country="KZ"), Filters(plan="no")):
        refused = results.results(survey, view, "en").refused
        assert refused == ("Fewer than 5 people answered with this filter value, so it "
                           "can't be shown on its own.")


def test_a_combination_of_filters_that_isolates_fewer_than_five_is_refused(
        make_survey, make_user, here, elsewhere) -> None:
    survey = make_survey()
    for i in range(20):
        respond(make_user, survey, home=here if i < 10 else elsewhere,
                country="RU" if i % 2 else "KZ", plan="later" if i < 14 else "no")
    osh = elsewhere.region_id
    # Each value alone has at least 5 people (Osh 10, "no" 6, Kazakhstan 10).
    for view in (Filters(plan="no"), Filters(region=osh), Filters(country="KZ")):
        assert results.results(survey, view, "en").refused is None
    # Kazakhstan, Osh and "no" together: 3 people.
    refused = results.results(survey, Filters(country="KZ", region=osh, plan="no"),
                              "en").refused
    assert refused == "Fewer than 5 people match these filters. Choose fewer or wider filters."
    # Osh and "no": 6 people, but Osh minus them is 4: comparing the two views would show
    # those 4 people's answers.
    refused = results.results(survey, Filters(region=osh, plan="no"), "en").refused
    assert refused == ("Compared with wider views, this combination of filters would show "
                       "the answers of fewer than 5 people. Choose fewer or wider filters.")


def _people(kind: str) -> list[dict]:
    """Respondents shaped for one way of singling someone out."""
    homes = districts(3)
    people: list[dict] = []
    if kind == "siblings":
        # All - Russia - Kazakhstan = the two in Türkiye.
        people += [dict(home=homes[i % 2], country="RU", sends=i % 2) for i in range(10)]
        people += [dict(home=homes[i % 2], country="KZ", sends=i % 2) for i in range(6)]
        people += [dict(home=homes[0], country="TR", sends=2, scale=1) for _ in range(2)]
    elif kind == "quadrants":
        # All - Russia - Osh + Russia & Osh = the one in Kazakhstan and not from Osh.
        for country, home, n in (("RU", 0, 8), ("RU", 1, 7), ("KZ", 0, 6), ("KZ", 1, 1)):
            people += [dict(home=homes[home], country=country, sends=2 if n == 1 else i % 2,
                            scale=5 if n == 1 else 3) for i in range(n)]
    elif kind == "complement":
        # A view minus a wider one: 12 plan to return later, 1 does not say.
        people += [dict(home=homes[0], plan="later", sends=i % 2) for i in range(12)]
        people += [dict(home=homes[0], plan=None, sends=2, scale=1)]
    else:
        rng = random.Random(int(kind))
        for _ in range(rng.choice([60, 100])):
            people.append(dict(home=rng.choice(homes), plan=rng.choice(PLANS),
                               country=rng.choice(["RU", "RU", "RU", "KZ", "KZ", "TR", "DE"]),
                               sends=rng.choice([0, 0, 1, 2]), scale=rng.choice([1, 3, 4, 5])))
    return people


@pytest.mark.parametrize("shape", ["siblings", "quadrants", "complement", "1", "2"])
def test_no_combination_or_difference_of_views_singles_anyone_out(
        make_survey, make_user, here, shape) -> None:
    survey = make_survey()
    for person in _people(shape):
        respond(make_user, survey, **person)
    attacker = Attacker(survey)
    assert any(result.refused is None and view for view, result in attacker.views)
    for question in (0, 2):  # single choice and scale
        assert attacker.disclosed(question) == []


def test_the_attacker_would_find_people_if_nothing_were_hidden(
        make_survey, make_user, here, monkeypatch) -> None:
    """The attack above is real: with suppression off, it finds the lone respondent's
    answers."""
    monkeypatch.setattr(results, "MIN_CELL", 1)
    survey = make_survey()
    for person in _people("quadrants"):
        respond(make_user, survey, **person)
    found = Attacker(survey).disclosed(0)
    assert any("No = 1 (group of 1)" in line for line in found)


def test_without_the_sibling_rule_the_attacker_would_find_someone(
        make_survey, make_user, here, monkeypatch) -> None:
    """Rule 4 is needed: hiding only the values not offered along a filter lets the views
    of the offered values, added up, single out a lone respondent of the random data."""
    monkeypatch.setattr(results, "_sibling_hidden", lambda counts, viewable: {results.REST})
    survey = make_survey()
    for person in _people("1"):
        respond(make_user, survey, **person)
    assert any("(group of 1)" in line for line in Attacker(survey).disclosed(0))


def test_counts_kept_on_submit_equal_a_group_by_over_the_answers(
        make_survey, make_user, here, elsewhere) -> None:
    survey = make_survey(anonymous=False)
    members = []
    for i in range(8):
        respond(make_user, survey, home=here if i % 2 else elsewhere, sends=i % 3,
                plan=PLANS[i % 4], scale=1 + i % 5)
    members = [p.user_id for p in survey_participants(survey)]
    assert results.counts_agree(survey)
    # Erasing a member takes their named response out of the counts too.
    member = accounts_user(members[0])
    accounts.delete_personal_data(member, member)
    assert service.response_count(survey) == 7
    assert results.counts_agree(survey)
    view = results.results(survey, Filters(), "en")
    assert view.respondents == 7


def survey_participants(survey):
    import sqlalchemy as sa

    from diaspora.extensions import db
    from diaspora.surveys.models import SurveyParticipation

    return db.session.scalars(sa.select(SurveyParticipation)
                              .where(SurveyParticipation.survey_id == survey.id)).all()


def accounts_user(user_id: int):
    from diaspora.accounts.models import User
    from diaspora.extensions import db

    return db.session.get(User, user_id)

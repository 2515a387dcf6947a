"""Surveys test helpers: a survey with one question of every kind, built through the service."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from diaspora.accounts.models import User
from diaspora.places.models import Place
from diaspora.surveys import service
from diaspora.surveys.models import Survey
from diaspora.surveys.service import OptionSpec, QuestionSpec, SurveySettings


def texts(en: str, ky: str | None = None, ru: str | None = None) -> dict[str, str]:
    return {"en": en, "ky": ky or f"{en} (ky)", "ru": ru or f"{en} (ru)"}


def options(*labels: str) -> list[OptionSpec]:
    return [OptionSpec(texts(label)) for label in labels]


def every_kind(place: Place) -> list[QuestionSpec]:
    """One question of each kind; the fourth is shown only to those who send money."""
    return [
        QuestionSpec("single", texts("Do you send money home?"),
                     options=options("Regularly", "Sometimes", "No")),
        QuestionSpec("multiple", texts("Which sectors interest you?"), required=False,
                     options=options("Agriculture", "Education", "Health & care", "Roads"),
                     max_choices=2),
        QuestionSpec("scale", texts("How much do you trust local authorities?"),
                     low_label=texts("Not at all"), high_label=texts("Fully")),
        QuestionSpec("number", texts("How much a month, in som?"), min_value=0,
                     max_value=1_000_000),  # condition set in make_survey
        QuestionSpec("short_text", texts("Your city abroad"), required=False),
        QuestionSpec("long_text", texts("What would help you invest at home?"),
                     required=False),
        QuestionSpec("place", texts("Where is home?")),
        QuestionSpec("country", texts("Where do you live?")),
    ]


@pytest.fixture
def make_survey(ctx: None, make_user: Callable[..., User], here: Place
                ) -> Callable[..., Survey]:
    """A survey with one question of every kind, opened unless `open_it=False`."""

    def factory(*, open_it: bool = True, anonymous: bool = True, author: User | None = None,
                **settings: object) -> Survey:
        author = author or make_user("moderator")
        survey = service.create_survey(author, SurveySettings(
            title=texts("Diaspora & home"), intro=texts("Five minutes, anonymous."),
            anonymous=anonymous, **settings))
        for spec in every_kind(here):
            question = service.save_question(author, survey, spec)
            if spec.kind == "number":
                source = survey.questions[0]
                spec.condition_question_id = source.id
                spec.condition_option_ids = [source.options[0].id, source.options[1].id]
                service.save_question(author, survey, spec, question)
        if open_it:
            service.open_survey(author, survey)
        return survey

    return factory


def answers_for(survey: Survey, place: Place, *, sends: int = 0) -> dict[int, object]:
    """A complete set of raw answers, as the web form would post them."""
    q = survey.questions
    return {
        q[0].id: str(q[0].options[sends].id),
        q[1].id: [str(q[1].options[0].id), str(q[1].options[2].id)],
        q[2].id: "4",
        q[3].id: "15 000",
        q[4].id: "Novosibirsk",
        q[5].id: "Trust & partners <b>",
        q[6].id: str(place.id),
        q[7].id: "Германия",
    }

"""A small world with something of every kind the open-data API serves, and the people
behind it whose details must never come out of it."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import HOME
from diaspora.places.models import Place
from diaspora.projects import service as projects
from diaspora.surveys import service as surveys
from diaspora.surveys.models import Survey
from tests.surveys.conftest import answers_for, make_survey  # noqa: F401  (a fixture)

SECRET_TEXT = "Trust & partners"  # a typed survey answer (answers_for writes it)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class OpenData:
    people: list[User]
    authority: User
    post: Any
    draft_post: Any
    project: Any
    authority_project: Any
    draft_project: Any
    survey: Survey
    draft_survey: Survey
    place: Place
    secrets: list[str] = field(default_factory=list)


def _named(make_user: Callable[..., User], name: str, **kwargs: Any) -> User:
    user = make_user(**kwargs)
    user.profile.display_name = name
    db.session.commit()
    return user


@pytest.fixture
def open_data(ctx: None, make_user: Callable[..., User],
              make_survey: Callable[..., Survey],  # noqa: F811  (the fixture imported above)
              here: Place, elsewhere: Place) -> OpenData:
    """Members (7 in Russia from "here", 3 in Kazakhstan from "elsewhere"), an authority of
    "here", a moderator; a published and a draft post; a member's published project, the
    authority's own, a draft; an open survey (answered) and a draft one."""
    people = [_named(make_user, f"Айгүл Сыдыкова {i}", country="RU", home=here)
              for i in range(7)]
    people += [_named(make_user, f"Бакыт Осмонов {i}", country="KZ", home=elsewhere)
               for i in range(3)]
    authority = _named(make_user, "Нурлан Бекович", role="authority", places=(here,))
    moderator = _named(make_user, "Модератор Асанова", role="moderator")
    people += [authority, moderator]

    post = news.save_post(authority, title={"en": "Road repaired", "ky": "Жол оңдолду"},
                          body={"en": "Done **well**.", "ky": "Бүттү."}, audience=HOME,
                          place_id=here.id, image=png())
    news.publish(authority, post)
    draft_post = news.save_post(authority, title={"en": "Secret draft"}, body={"en": "No."},
                                audience=HOME, place_id=here.id)

    proposer = people[0]
    project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=here.id, title="Clean water", summary="A pump for the school",
        description="We need *water*.", sector="water", budget_items=[("Pump", "1000")],
        contributions=["money"], photos=[png()], language="en"))
    projects.transition(proposer, project, "submit")
    projects.transition(moderator, project, "publish")
    for supporter in people[1:4]:  # three supporters: a count of people below five
        projects.support(supporter, project)
    authority_project = projects.save_project(authority, projects.ProjectDraft(
        place_id=here.id, title="New school roof", summary="Before winter", sector="education",
        as_authority=True))
    projects.transition(authority, authority_project, "submit")
    if authority_project.status != "published":
        projects.transition(moderator, authority_project, "publish")
    draft_project = projects.save_project(proposer, projects.ProjectDraft(
        place_id=here.id, title="Hidden draft", summary="Not yet"))

    survey = make_survey(author=moderator)
    for member in people[:5]:
        surveys.submit_response(member, survey, answers_for(survey, here))
    draft_survey = make_survey(author=moderator, open_it=False)
    db.session.commit()

    secrets = [SECRET_TEXT, "Novosibirsk", "Test aiyl okmotu", "Secret draft", "Hidden draft"]
    for person in people:
        secrets += [person.email, person.profile.display_name]
    return OpenData(people, authority, post, draft_post, project, authority_project,
                    draft_project, survey, draft_survey, here, secrets)

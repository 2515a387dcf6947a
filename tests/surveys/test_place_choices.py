"""The answer form's place question lists the whole gazetteer from a list built once per
language and kept while the gazetteer stays as it is: a community a moderator adds, or a
place renamed, is on the next form a member opens; a chosen place stays chosen."""

from __future__ import annotations

import re

from diaspora.extensions import db
from diaspora.places import service as places
from tests.conftest import login
from tests.surveys.conftest import answers_for
from tests.surveys.test_web import fieldset, form_data


def place_options(html: str, question) -> list[str]:
    return re.findall(r"<option[^>]*>([^<]*)</option>", fieldset(html, question))


def test_the_place_list_follows_the_gazetteer(app, make_survey, make_user, here) -> None:
    survey = make_survey()
    question = survey.questions[6]
    client = login(app.test_client(), make_user(home=here))
    before = place_options(client.get(f"/surveys/{survey.id}?lang=en").get_data(as_text=True),
                           question)
    assert "— " + here.display_name("en") in before

    places.add_community(make_user("moderator"), here,
                         {"ky": "Жаңы-Айыл", "ru": "Жаны-Айыл", "en": "Jangy-Aiyl"})
    here.name = {**here.name, "en": "Renamed District"}
    db.session.commit()
    after = place_options(client.get(f"/surveys/{survey.id}?lang=en").get_data(as_text=True),
                          question)
    assert "—— Jangy-Aiyl" in after
    assert "— Renamed District" in after
    assert len(after) == len(before) + 1
    # The other languages' lists are built anew too.
    ky = client.get(f"/surveys/{survey.id}?lang=ky").get_data(as_text=True)
    assert "—— Жаңы-Айыл" in place_options(ky, question)


def test_a_chosen_place_comes_back_chosen_with_the_errors(app, make_survey, make_user,
                                                          here) -> None:
    survey = make_survey()
    question = survey.questions[6]
    client = login(app.test_client(), make_user(home=here))
    raw = answers_for(survey, here)
    raw[survey.questions[2].id] = "99"  # beyond the scale: the form comes back
    page = client.post(f"/surveys/{survey.id}?lang=en", data=form_data(raw)).get_data(
        as_text=True)
    chosen = re.findall(r'<option value="(\d+)" selected>', fieldset(page, question))
    assert chosen == [str(here.id)]
    # Nothing stays chosen on the next member's empty form.
    fresh = client.get(f"/surveys/{survey.id}?lang=en").get_data(as_text=True)
    assert " selected" not in fieldset(fresh, question)

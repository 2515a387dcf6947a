"""The survey builder on the web: settings, questions of every kind, options, conditions,
moving, opening and closing, the edit rules after opening shown next to their fields, the
preview in each language, the templates and the demo survey."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.surveys import service
from diaspora.surveys.models import Survey, SurveyResponse
from diaspora.surveys.templates import AUTHORITIES_READINESS, DIASPORA_MAPPING, TEMPLATES
from tests.conftest import login
from tests.surveys.conftest import answers_for


def staff_client(app, make_user):
    moderator = make_user("moderator")
    return moderator, login(app.test_client(), moderator)


def question_form(kind: str, prompt: str, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {"kind": kind, "prompt_en": prompt, "prompt_ky": f"{prompt} ky",
                               "prompt_ru": f"{prompt} ru", "required": "y", "action": "save"}
    data.update(extra)
    return data


def option_rows(*labels: str, ids: tuple = ()) -> dict[str, str]:
    rows: dict[str, str] = {}
    for index, label in enumerate(labels):
        rows[f"options-{index}-id"] = str(ids[index]) if index < len(ids) else ""
        for code in ("en", "ky", "ru"):
            rows[f"options-{index}-label_{code}"] = (label if code == "en" or not label
                                                     else f"{label} {code}")
    return rows


def near(html: str, field_id: str, size: int = 600) -> str:
    """The markup right after a field: where its error is shown."""
    start = html.index(f'id="{field_id}"')
    return html[start:start + size]


def test_staff_build_a_survey_with_every_kind_open_and_close_it(app, make_user, here) -> None:
    moderator, client = staff_client(app, make_user)
    response = client.post("/surveys/new", data={
        "title_en": "Water at home", "title_ky": "Үйдөгү суу", "title_ru": "Вода дома",
        "intro_en": "Two minutes.", "audience": "everyone", "anonymous": "y"})
    assert response.status_code == 302
    survey = db.session.scalar(sa.select(Survey))
    editor = response.headers["Location"]
    assert editor.endswith(f"/surveys/{survey.id}/edit")

    new = f"/surveys/{survey.id}/questions/new"
    page = client.get(f"{new}?kind=single").get_data(as_text=True)
    assert page.count('name="options-') == 3 * 4  # three blank rows, id + three languages
    assert "A condition can name only an earlier" in page
    more = client.post(new, data=question_form("single", "Clean?", action="more_options",
                                               **option_rows("Yes", "No", "", "")))
    assert len(re.findall(r'name="options-\d+-id"', more.get_data(as_text=True))) == 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 1
    for form in (
        question_form("single", "Clean?", **option_rows("Yes", "No", "")),
        question_form("multiple", "Which sources?", max_choices="2",
                      **option_rows("Well", "Tap", "River")),
        question_form("scale", "How good?", low_label_en="Bad", high_label_en="Good"),
        question_form("number", "How many litres?", min_value="0", max_value="500"),
        question_form("short_text", "Your street"),
        question_form("long_text", "Anything else?"),
        question_form("place", "Where?", prompt_ky="", prompt_ru=""),  # English only
        question_form("country", "Living in?"),
    ):
        response = client.post(new, data=form)
        assert response.status_code == 302, re.findall(r'role="alert">([^<]+)',
                                                       response.get_data(as_text=True))
    db.session.expire_all()
    q = survey.questions
    assert [x.kind for x in q] == ["single", "multiple", "scale", "number", "short_text",
                                   "long_text", "place", "country"]
    assert [o.label["ru"] for o in q[0].options] == ["Yes ru", "No ru"]
    assert q[1].max_choices == 2 and (q[3].min_value, q[3].max_value) == (0, 500)
    assert q[2].low_label == {"en": "Bad"} and q[2].high_label == {"en": "Good"}

    # A condition: ask the litres only to those who answered "No" to the first question.
    edit_url = f"/surveys/{survey.id}/questions/{q[3].id}"
    page = client.get(edit_url).get_data(as_text=True)
    assert "1. Clean?" in page and "2. Which sources?" in page and "How good?" not in page
    response = client.post(edit_url, data=question_form(
        "number", "How many litres?", min_value="0", max_value="500",
        condition_option_ids=[str(q[0].options[1].id)]))
    assert response.status_code == 302
    db.session.expire_all()
    assert q[3].condition_question_id == q[0].id
    assert q[3].condition_option_ids == [q[0].options[1].id]
    editor_page = client.get(editor).get_data(as_text=True)
    assert "Answer only if your answer to question 1 was: «No»." in editor_page

    # Moving: the second question up; a question never goes above its condition's source.
    client.post(f"/surveys/{survey.id}/questions/{q[1].id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [x.kind for x in survey.questions][:2] == ["multiple", "single"]
    source = next(x for x in survey.questions if x.kind == "single")
    client.post(f"/surveys/{survey.id}/questions/{source.id}/move", data={"direction": "down"})
    client.post(f"/surveys/{survey.id}/questions/{source.id}/move", data={"direction": "down"})
    db.session.expire_all()
    kinds = [x.kind for x in survey.questions]
    assert kinds.index("single") < kinds.index("number")
    refused = client.get(editor).get_data(as_text=True)
    assert "A question must come after the question its condition depends on." in refused

    # Deleting: the source of a condition can't go; a plain question can.
    client.post(f"/surveys/{survey.id}/questions/{source.id}/delete")
    short = next(x for x in survey.questions if x.kind == "short_text")
    client.post(f"/surveys/{survey.id}/questions/{short.id}/delete")
    db.session.expire_all()
    assert "short_text" not in [x.kind for x in survey.questions]
    assert "single" in [x.kind for x in survey.questions]

    # A question is not in Kyrgyz and Russian as the title is: opening says which.
    response = client.post(f"/surveys/{survey.id}/open")
    assert "is not written in every language of the title" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert survey.status == "draft"
    client.post(f"/surveys/{survey.id}/edit", data={
        "title_en": "Water at home", "audience": "everyone", "anonymous": "y"})
    client.post(f"/surveys/{survey.id}/open")
    db.session.expire_all()
    assert survey.status == "open" and service.is_live(survey)
    page = client.get(editor).get_data(as_text=True)
    assert "Delete the draft" not in page and "Close the survey" in page
    client.post(f"/surveys/{survey.id}/close")
    db.session.expire_all()
    assert survey.status == "closed"
    manage = client.get("/surveys/manage").get_data(as_text=True)
    assert "Water at home" in manage and ">closed<" in manage


def test_a_draft_is_deleted_and_an_opened_survey_is_not(app, make_user, make_survey) -> None:
    moderator, client = staff_client(app, make_user)
    draft = make_survey(open_it=False, author=moderator)
    opened = make_survey(author=moderator)
    assert client.post(f"/surveys/{draft.id}/delete").headers["Location"].endswith(
        "/surveys/manage")
    response = client.post(f"/surveys/{opened.id}/delete")
    assert "can't be deleted; close it instead." in unescape(client.get(
        response.headers["Location"]).get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 1


def test_the_editor_shows_next_to_the_field_why_an_edit_is_refused_after_opening(
        app, make_user, make_survey, here) -> None:
    moderator, client = staff_client(app, make_user)
    survey = make_survey(author=moderator)
    service.submit_response(make_user(home=here), survey, answers_for(survey, here))
    first = survey.questions[0]
    editor = client.get(f"/surveys/{survey.id}/edit").get_data(as_text=True)
    assert "This survey has opened: changes that would break answers" in editor

    # Removing the option people chose ("Regularly": its row emptied).
    rows = option_rows("", "Sometimes", "No", ids=tuple(o.id for o in first.options))
    page = unescape(client.post(f"/surveys/{survey.id}/questions/{first.id}", data=question_form(
        "single", "Do you send money home?", **rows)).get_data(as_text=True))
    options_part = page[page.index('class="option-rows"'):]
    assert options_part.index("an option that people chose can't be removed") < \
        options_part.index('name="options-0-label_ky"')
    # What staff typed is still there.
    assert 'value="Sometimes"' in page

    # A new required question.
    page = unescape(client.post(f"/surveys/{survey.id}/questions/new", data=question_form(
        "short_text", "Your name")).get_data(as_text=True))
    assert "a new question must be optional" in near(page, "required")
    # The kind of a question.
    page = unescape(client.post(f"/surveys/{survey.id}/questions/{survey.questions[4].id}",
                                data=question_form("long_text", "Your city abroad")).get_data(
        as_text=True))
    assert "a question's kind can't change" in near(page, "kind", 2000)
    # Anonymity, in the settings.
    page = unescape(client.post(f"/surveys/{survey.id}/edit", data={
        "title_en": "Diaspora & home", "audience": "everyone"}).get_data(as_text=True))
    assert "can't change once the survey has opened" in near(page, "anonymous")
    db.session.expire_all()
    assert [o.label["en"] for o in first.options] == ["Regularly", "Sometimes", "No"]
    assert survey.anonymous is True and len(survey.questions) == 8

    # An optional question added after opening is fine.
    response = client.post(f"/surveys/{survey.id}/questions/new", data={
        **question_form("short_text", "Your name"), "required": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert len(survey.questions) == 9 and survey.questions[-1].required is False


def test_the_preview_shows_the_member_page_in_each_language_and_saves_nothing(
        app, make_user, make_survey, here) -> None:
    moderator, client = staff_client(app, make_user)
    survey = make_survey(open_it=False, author=moderator)
    expected = {"ky": ("Do you send money home? (ky)", "Жоопторду текшерүү"),
                "ru": ("Do you send money home? (ru)", "Проверить ответы"),
                "en": ("Do you send money home?", "Check the answers")}
    for code, (prompt, button) in expected.items():
        page = client.get(f"/surveys/{survey.id}/preview?language={code}").get_data(
            as_text=True)
        assert f'<div lang="{code}" class="survey-answer">' in page
        assert prompt in page and button in page
        assert "Nothing you send here is saved." in page  # the staff's own language: English
    page = client.post(f"/surveys/{survey.id}/preview?language=ru", data={}).get_data(
        as_text=True)
    assert "Ответьте на этот вопрос." in page or "Пожалуйста, ответьте" in page
    page = client.post(f"/surveys/{survey.id}/preview?language=en", data={
        f"q{qid}": value for qid, value in answers_for(survey, here).items()}).get_data(
        as_text=True)
    assert "These answers would be accepted. Nothing was saved." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0
    # Members don't preview.
    member = login(app.test_client(), make_user(home=here))
    assert member.get(f"/surveys/{survey.id}/preview").status_code == 403


def test_a_template_makes_a_draft_in_one_click(app, make_user, here) -> None:
    moderator, client = staff_client(app, make_user)
    page = client.get("/surveys/manage").get_data(as_text=True)
    assert "Diaspora mapping" in page and "readiness" in page
    response = client.post("/surveys/manage/from-template",
                           data={"template": "diaspora_mapping"})
    assert response.status_code == 302
    survey = db.session.scalar(sa.select(Survey))
    assert survey.status == "draft" and survey.template == "diaspora_mapping"
    assert survey.title["ky"] == "Диаспораны картага түшүрүү"
    q = survey.questions
    assert len(q) == len(DIASPORA_MAPPING.questions)
    # "How often" is asked of those who send money, "when" of those who plan to return.
    assert q[1].condition_question_id == q[0].id
    assert q[1].condition_option_ids == [q[0].options[0].id, q[0].options[1].id]
    assert q[3].condition_option_ids == [q[2].options[0].id]
    helps = {o.label["en"] for o in q[6].options}
    assert {"Legal guarantees for investors", "Cooperation with local authorities",
            "Reliable partners at home"} <= helps
    # Staff adapt it: a question is reworded, then it opens (every text in three languages).
    service.open_survey(moderator, survey)
    assert service.is_live(survey)

    client.post("/surveys/manage/from-template", data={"template": "authorities_readiness"})
    readiness = db.session.scalars(sa.select(Survey).where(
        Survey.template == "authorities_readiness")).one()
    assert readiness.audience == "authorities" and here.id in readiness.place_ids
    assert len(readiness.questions) == len(AUTHORITIES_READINESS.questions)
    assert client.post("/surveys/manage/from-template",
                       data={"template": "nope"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 2


def test_template_texts_are_written_in_three_languages() -> None:
    for template in TEMPLATES.values():
        texts = [template.title, template.intro]
        for question in template.questions:
            texts += [question.prompt, *question.options]
            texts += [x for x in (question.hint, question.low_label, question.high_label) if x]
        for text in texts:
            assert set(text) == {"ky", "ru", "en"} and all(text.values()), text
            assert text["ky"] != text["ru"] or text["ky"] == "Туризм", text


def test_the_demo_data_has_an_open_survey(app, ctx) -> None:
    from diaspora.cli import seed_demo

    seed_demo(2)
    survey = db.session.scalars(sa.select(Survey)).one()
    assert survey.template == "diaspora_mapping" and service.is_live(survey)
    seed_demo(2)  # once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Survey)) == 1
    assert "Диаспораны картага түшүрүү" in app.test_client().get(
        "/surveys/?lang=ky").get_data(as_text=True)


def test_forged_kinds_and_audiences_are_refused_in_the_reader_s_language(app, make_user,
                                                                         make_survey) -> None:
    moderator, client = staff_client(app, make_user)
    survey = make_survey(open_it=False, author=moderator)
    page = client.post(f"/surveys/{survey.id}/questions/new?lang=ky", data=question_form(
        "essay", "Write")).get_data(as_text=True)
    assert "Суроонун түрүн тандаңыз." in near(page, "kind", 3000)
    page = client.post(f"/surveys/{survey.id}/edit?lang=ky", data={
        "title_en": "Water", "audience": "martians", "anonymous": "y"}).get_data(as_text=True)
    assert "Not a valid choice" not in page
    assert "Сурамжылоо кимге арналганын тандаңыз." in page
    db.session.expire_all()
    assert len(survey.questions) == 8 and survey.audience == "everyone"

"""Downloads of responses: CSV with a BOM (Kyrgyz survives a spreadsheet), XLSX with the same
content, no identity in an anonymous survey's file, small groups as "<5", and cells that a
spreadsheet would run as formulas made inert."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from diaspora.extensions import db
from diaspora.surveys import service
from diaspora.surveys.models import Survey, SurveyParticipation
from diaspora.surveys.service import OptionSpec
from tests.conftest import login
from tests.surveys.conftest import texts
from tests.surveys.results_helpers import respond

KYRGYZ_OPTION = "Үзгүлтүксүз, ай сайын (ң, ө, ү)"
KYRGYZ_PROMPT = "Үйгө акча жөнөтөсүзбү?"


def _kyrgyz_first_question(survey: Survey, author) -> None:
    question = survey.questions[0]
    spec = service.QuestionSpec(
        "single", {**texts("Do you send money home?"), "ky": KYRGYZ_PROMPT},
        options=[OptionSpec({**dict(question.options[0].label), "ky": KYRGYZ_OPTION},
                            id=question.options[0].id),
                 *[OptionSpec(dict(o.label), id=o.id) for o in question.options[1:]]])
    service.save_question(author, survey, spec, question)


@pytest.fixture
def staff(make_user):
    return make_user("moderator")


def _download(client, staff, survey: Survey, kind: str, lang: str = "ky") -> bytes:
    response = login(client, staff).get(f"/surveys/{survey.id}/results.{kind}?lang={lang}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data()


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True)]


def test_csv_starts_with_a_bom_and_kyrgyz_comes_back_as_written(
        client, make_survey, make_user, staff, here) -> None:
    survey = make_survey()
    _kyrgyz_first_question(survey, staff)
    for _ in range(6):
        respond(make_user, survey, home=here, sends=0)
    data = _download(client, staff, survey, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(data)
    assert rows[0][3] == f"1. {KYRGYZ_PROMPT}"
    assert rows[0][:3] == ["Жашаган өлкө", "Туулган облусу", "Кайтуу пландары"]
    assert len(rows) == 7 and all(row[3] == KYRGYZ_OPTION for row in rows[1:])


def test_xlsx_opens_with_the_same_content_as_the_csv(client, make_survey, make_user, staff,
                                                     here, elsewhere) -> None:
    survey = make_survey()
    _kyrgyz_first_question(survey, staff)
    for i in range(8):
        respond(make_user, survey, home=here if i % 2 else elsewhere, sends=i % 3,
                number=str(1000 * i), q5=f"Жооп {i}: ң & <b>")
    from_csv = _csv_rows(_download(client, staff, survey, "csv"))
    from_xlsx = _xlsx_rows(_download(client, staff, survey, "xlsx"))
    assert from_xlsx[0] == from_csv[0]
    assert sorted(from_xlsx[1:]) == sorted(from_csv[1:])
    assert len(from_xlsx) == 9
    assert any("Жооп 3: ң & <b>" in row for row in from_xlsx)
    # Multiple choice: the chosen options, joined, in the question's order.
    assert {row[3 + 1] for row in from_xlsx[1:]} == {"Agriculture (ky); Health & care (ky)"}


def test_an_anonymous_file_names_nobody_and_keeps_no_order(client, make_survey, make_user,
                                                          staff, here) -> None:
    survey = make_survey(anonymous=True)
    for i in range(20):
        respond(make_user, survey, home=here, number=str(1000 + i))  # in the order answered
    header, *rows = _csv_rows(_download(client, staff, survey, "csv", "en"))
    assert header[:3] == ["Country of residence", "Home region", "Plans to return"]
    assert "Member id" not in header and "Day" not in header
    assert len(header) == 3 + len(survey.questions)
    amounts = [int(row[3 + 3]) for row in rows]
    assert sorted(amounts) == list(range(1000, 1020))
    second = [int(row[3 + 3]) for row in _csv_rows(_download(client, staff, survey, "csv",
                                                             "en"))[1:]]
    assert amounts != sorted(amounts) or second != sorted(second)  # random order
    sheet_rows = _xlsx_rows(_download(client, staff, survey, "xlsx", "en"))
    assert sheet_rows[0] == header


def test_a_named_file_carries_the_member_id(client, make_survey, make_user, staff,
                                            here) -> None:
    survey = make_survey(anonymous=False)
    for _ in range(5):
        respond(make_user, survey, home=here)
    header, *rows = _csv_rows(_download(client, staff, survey, "csv", "en"))
    assert header[:2] == ["Member id", "Day"]
    members = {str(p.user_id) for p in db.session.scalars(
        sa.select(SurveyParticipation).where(SurveyParticipation.survey_id == survey.id))}
    assert {row[0] for row in rows} == members


def test_cells_a_spreadsheet_would_run_are_made_inert(client, make_survey, make_user, staff,
                                                      here) -> None:
    survey = make_survey()
    hostile = ["=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "=HYPERLINK(\"http://x\")"]
    for text in hostile:
        respond(make_user, survey, home=here, q4=text)
    header, *rows = _csv_rows(_download(client, staff, survey, "csv", "en"))
    assert sorted(row[3 + 4] for row in rows) == sorted("'" + text for text in hostile)
    data = _download(client, staff, survey, "xlsx", "en")
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [row[3 + 4] for row in sheet.iter_rows(min_row=2)]
    assert sorted(cell.value for cell in cells) == sorted("'" + text for text in hostile)
    assert {cell.data_type for cell in cells} == {"s"}  # text, not formulas


def test_small_groups_show_less_than_five_in_the_file(client, make_survey, make_user, staff,
                                                      here, elsewhere) -> None:
    survey = make_survey()
    for _ in range(6):
        respond(make_user, survey, home=here, country="RU", plan="later")
    # One person in Kazakhstan, from Osh, who also named Osh as home in the answers.
    respond(make_user, survey, home=elsewhere, country="KZ", plan="no",
            q6=str(elsewhere.id))
    header, *rows = _csv_rows(_download(client, staff, survey, "csv", "en"))
    lone = [row for row in rows if row[3 + 6] == "<5"]
    assert len(lone) == 1
    assert lone[0][:3] == ["<5", "<5", "<5"]
    others = [row for row in rows if row is not lone[0]]
    assert {tuple(row[:3]) for row in others} == {("Russia", "Naryn Region", "Yes, later")}

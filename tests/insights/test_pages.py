"""The insights page, a region's view, the downloads and their refresh, as people meet them."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from diaspora.accounts.models import User
from diaspora.delivery.housekeeping import jobs
from diaspora.extensions import db
from diaspora.insights import service as insights
from diaspora.insights.models import COUNTRY, InsightSnapshot
from diaspora.models import utcnow
from diaspora.places.models import Place
from diaspora.projects.models import Project
from diaspora.surveys.models import OPEN, Survey, SurveyResponse
from tests.conftest import login, sql_statements

SECRET_NAME = "Айгүл Жашыруунова"


def _members(make_user: Callable[..., User], n: int, home: Place | None, country: str = "RU",
             **profile: object) -> list[User]:
    made = []
    for _ in range(n):
        user = make_user("member", home=home, country=country)
        for field, value in profile.items():
            setattr(user.profile, field, value)
        made.append(user)
    db.session.commit()
    return made


def _proposals(here: Place, n: int, answered: int, days: int = 2) -> None:
    for i in range(n):
        db.session.add(Project(
            place_id=here.id, region_id=here.region_id, district_id=here.id, title=f"P{i}",
            summary="S", sector="water", status="published", origin="member",
            published_at=utcnow(), answer_seconds=days * 86400 if i < answered else None,
            answered_at=utcnow() if i < answered else None))
    db.session.commit()


def _cells(html: str, title: str) -> dict[str, str]:
    """The rows of the table under the heading `title`: {row header: first figure}."""
    article = html.split(f">{title}</h3>", 1)[1].split("</article>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>\s*<td>([^<]*)</td>', article)
    return {label: figure for label, figure in rows}


def test_the_page_draws_every_table_with_its_figures_in_three_languages(
        client: FlaskClient, make_user: Callable[..., User], here: Place,
        elsewhere: Place) -> None:
    _members(make_user, 7, here, return_plan="within_year", remittances="regularly",
             wants_to_invest=True, interest_sectors=["it", "water"])
    _members(make_user, 3, elsewhere, country="KZ", return_plan="no")
    # Six more say nothing of their home: they protect Kazakhstan's three (3 + 6 >= 5).
    _members(make_user, 6, None, country="DE")
    _proposals(here, 10, answered=5, days=3)
    titles = {"ky": "Талдоо: Мекендештеги диаспора",
              "ru": "Аналитика: диаспора на платформе «Мекендеш»",
              "en": "Insights: the diaspora on Mekendesh"}
    for lang, title in titles.items():
        html = client.get(f"/insights/?lang={lang}").get_data(as_text=True)
        assert f'lang="{lang}"' in html and title in html
        assert html.count("<svg") >= 16 and html.count("<table") >= 16
    html = client.get("/insights/?lang=en").get_data(as_text=True)
    countries = _cells(html, "Members by country of residence")
    assert countries["Russia"] == "7" and countries["Kazakhstan"] == "&lt;5"
    assert countries["Germany"] == "&lt;5"  # hidden with it: 16 - 7 would give 3 away
    regions = _cells(html, "Members by home region or district")
    assert regions["Naryn Region"] == "7" and regions["Osh Region"] == "&lt;5"
    plans = _cells(html, "Plans to return home, and when")
    assert plans["Yes, within a year"] == "7" and plans["No"] == "&lt;5"
    sectors = _cells(html, "Members who want to invest at home, by sector")
    assert sectors["IT"] == "7" and sectors["Water and sanitation"] == "7"
    # Ten proposals in Naryn Region, five answered after three days.
    article = html.split(">Authorities&#39; answers to members&#39; proposals</h3>")[1]
    naryn = article.split("Naryn Region</th>")[1].split("</tr>")[0]
    assert re.findall(r"<td>([^<]*)</td>", naryn) == ["10", "50%", "3"]
    assert html.count('class="tile-map"') == 2
    # A hidden figure draws no bar: its length would tell it.
    chart = html.split(">Members by country of residence</h3>")[1].split("</svg>")[0]
    assert chart.count("<rect") == 1


def test_no_personal_data_in_the_page_the_downloads_or_the_api(
        client: FlaskClient, make_user: Callable[..., User], here: Place) -> None:
    members = _members(make_user, 6, here, display_name=SECRET_NAME, city="Казань")
    answers = [client.get("/insights/?lang=ky"),
               client.get("/insights/download/all.json"),
               client.get("/insights/download/members-by-country.csv?lang=ru"),
               client.get("/api/v1/insights/members-by-region")]
    for response in answers:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert SECRET_NAME not in text and "Казань" not in text
        assert all(member.email not in text for member in members)


def test_downloads_keep_hidden_figures_hidden_and_titles_inert(
        client: FlaskClient, make_user: Callable[..., User], here: Place, ctx: None) -> None:
    _members(make_user, 9, here)
    _members(make_user, 2, here, country="TR")
    _members(make_user, 6, here, country="KZ")  # hidden too, to protect Türkiye's two
    survey = Survey(title={"en": "=HYPERLINK(\"x\") & <b>bold</b>"}, intro={"en": "I"},
                    status=OPEN, opened_at=utcnow())
    db.session.add(survey)
    db.session.flush()
    db.session.add_all(SurveyResponse(survey_id=survey.id, home_region_id=here.region_id)
                       for _ in range(6))
    db.session.commit()

    response = client.get("/insights/download/members-by-country.csv?lang=ru")
    assert response.mimetype == "text/csv"
    assert 'filename="mekendesh-members-by-country.csv"' in response.headers[
        "Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Ключ", "Название", "Количество"]
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["RU"][1:] == ["Россия", "9"] and by_key["TR"][2] == "<5"
    assert by_key["KZ"][2] == "<5" and by_key["total"][2] == "17"

    rows = list(csv.reader(io.StringIO(client.get(
        "/insights/download/survey-participation.csv?lang=en").get_data(as_text=True))))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][2] == "6"

    everything = json.loads(client.get("/insights/download/all.json").get_data(as_text=True))
    participation = next(t for t in everything["tables"] if t["id"] == "survey-participation")
    assert participation["cells"][0]["label"]["en"] == "=HYPERLINK(\"x\") & <b>bold</b>"
    html = client.get("/insights/?lang=en").get_data(as_text=True)
    assert "<b>bold</b>" not in html and "&amp; &lt;b&gt;bold&lt;/b&gt;" in html

    assert client.get("/insights/download/members-by-country.xlsx").status_code == 404
    assert client.get("/insights/download/all.csv").status_code == 404


def test_a_region_view_is_for_its_authorities_and_staff(
        app: Flask, make_user: Callable[..., User], here: Place, elsewhere: Place) -> None:
    _members(make_user, 8, here)
    ours = make_user("authority", places=(here,))
    theirs = make_user("authority", places=(elsewhere,))
    member = make_user("member", home=here)
    url = f"/insights/region/{here.region_id}?lang=en"
    html = login(app.test_client(), ours).get(url).get_data(as_text=True)
    assert "Insights: Naryn Region" in html
    districts = _cells(html, "Members by home region or district")
    assert districts[here.name["en"]] == "9"  # the eight and the member below
    page = login(app.test_client(), ours).get("/insights/?lang=en").get_data(as_text=True)
    assert f'href="/insights/region/{here.region_id}"' in page  # the way to their region
    assert login(app.test_client(), theirs).get(url).status_code == 403
    assert login(app.test_client(), member).get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302  # to the login page
    # Downloads of a region follow the same rule.
    download = f"/insights/download/members-by-region.csv?region={here.region_id}"
    assert login(app.test_client(), ours).get(download).status_code == 200
    assert login(app.test_client(), theirs).get(download).status_code == 403
    assert app.test_client().get(download).status_code == 403
    huge = "/insights/download/all.json?region=" + "9" * 30
    assert login(app.test_client(), ours).get(huge).status_code == 404


def test_the_page_reads_stored_tables_and_housekeeping_recounts_them(
        app: Flask, client: FlaskClient, make_user: Callable[..., User], here: Place) -> None:
    assert "insights.refresh" in {job.name for job in jobs(app)}
    _members(make_user, 6, here)
    # Nothing stored yet: the page counts for itself and writes nothing.
    assert _cells(client.get("/insights/?lang=en").get_data(as_text=True),
                  "Members by country of residence")["Russia"] == "6"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InsightSnapshot)) == 0
    assert insights.refresh_if_due() is True
    regions = db.session.scalar(sa.select(sa.func.count()).select_from(Place)
                                .where(Place.level == 1))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InsightSnapshot)) == (
        1 + regions)
    _members(make_user, 4, here)
    assert insights.refresh_if_due() is False  # fresh: nothing counted
    assert _cells(client.get("/insights/?lang=en").get_data(as_text=True),
                  "Members by country of residence")["Russia"] == "6"
    stored = db.session.get(InsightSnapshot, COUNTRY)
    stored.computed_at = utcnow() - timedelta(
        seconds=app.config["INSIGHTS_REFRESH_SECONDS"] + 1)
    db.session.commit()
    assert insights.refresh_if_due() is True
    assert _cells(client.get("/insights/?lang=en").get_data(as_text=True),
                  "Members by country of residence")["Russia"] == "10"


def test_a_stored_page_costs_the_same_queries_whatever_the_numbers(
        client: FlaskClient, make_user: Callable[..., User], here: Place) -> None:
    def queries() -> int:
        with sql_statements() as seen:
            assert client.get("/insights/").status_code == 200
        return len(seen)

    _members(make_user, 5, here)
    insights.refresh()
    few = queries()
    _members(make_user, 30, here)
    _proposals(here, 12, answered=6)
    insights.refresh()
    assert queries() == few <= 4


def test_one_scan_for_every_region_counts_what_each_scope_counts_alone(
        make_user: Callable[..., User], here: Place, elsewhere: Place) -> None:
    """The member tables count the country and every region from one scan of the members
    (refresh); each must equal that scope counted on its own (a page before any refresh)."""
    import random

    from diaspora.insights.tables import TABLES

    rng = random.Random(3)
    region = db.session.get(Place, here.region_id)  # a home given as the region alone
    for i in range(40):
        user = make_user("member", home=rng.choice([here, elsewhere, region, None]),
                         country=rng.choice(["RU", "kz", "TR", None]))
        user.created_at = utcnow() - timedelta(days=rng.randrange(0, 500))
        user.profile.return_plan = rng.choice([None, "within_year", "later", "no", "odd"])
        user.profile.remittances = rng.choice([None, "regularly", "no"])
        user.profile.wants_to_invest = i % 3 != 0
        user.profile.interest_sectors = rng.sample(["it", "water", "roads", "bogus"], 2)
    db.session.commit()
    region_ids = list(db.session.scalars(sa.select(Place.id).where(Place.level == 1)))
    checked = 0
    for table in TABLES.values():
        if table.per_region is None:
            continue
        together = table.per_region(region_ids)
        assert together[None] == table.counts(None), table.id
        for region_id in region_ids:
            assert together[region_id] == table.counts(region_id), (table.id, region_id)
        checked += 1
    assert checked == 6


def test_before_anything_is_stored_a_count_serves_the_next_visitors_too(
        client: FlaskClient, make_user: Callable[..., User], here: Place) -> None:
    """A new site before housekeeping's first count: the first visitor's count is kept in the
    process, so the next ones don't count every member again (and nothing is written)."""
    _members(make_user, 6, here)
    with sql_statements() as seen:
        assert client.get("/insights/").status_code == 200
        first = len(seen)
        assert client.get("/api/v1/insights/members-by-country").status_code == 200
        second = len(seen) - first
    assert first > 20 and second <= 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InsightSnapshot)) == 0


def test_the_charts_are_drawn_once_a_language_and_count(
        client: FlaskClient, make_user: Callable[..., User], here: Place,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from diaspora.insights import charts

    drawn: list[str] = []
    real = charts.tile_map
    monkeypatch.setattr(charts, "tile_map",
                        lambda table, *args: drawn.append(table["id"]) or real(table, *args))
    _members(make_user, 6, here)
    insights.refresh()
    for _ in range(3):
        assert client.get("/insights/?lang=ky").status_code == 200
    assert len(drawn) == 2  # the two maps, once
    client.get("/insights/?lang=en")
    assert len(drawn) == 4  # another language
    _members(make_user, 3, here)
    insights.refresh()
    html = client.get("/insights/?lang=en").get_data(as_text=True)
    assert len(drawn) == 6  # a new count
    assert _cells(html, "Members by country of residence")["Russia"] == "9"

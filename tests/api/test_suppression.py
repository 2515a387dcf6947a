"""Small-cell suppression of the open-data aggregates: "<5" for 1 to 4 people, and
complementary suppression so a total minus the shown cells never reveals a hidden one."""

from __future__ import annotations

import random
from collections.abc import Callable

from flask.testing import FlaskClient

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.insights.tables import suppress
from diaspora.places.models import Place
from diaspora.projects.models import Project
from tests.api.helpers import API, check, document

HIDDEN = "<5"


def _members(make_user: Callable[..., User], country: str, n: int, home: Place | None = None
             ) -> None:
    for _ in range(n):
        make_user("member", country=country, home=home)


def _cells(client: FlaskClient, aggregate: str) -> tuple[object, dict[str, object]]:
    response = client.get(f"{API}/insights/{aggregate}")
    body = response.get_json()
    check(document(client), "/insights/{id}", 200, body)
    data = body["data"]
    return data["total"], {cell["key"]: cell["count"] for cell in data["cells"]}


def _cannot_be_derived(total: object, cells: dict[str, object]) -> None:
    """Total minus every shown cell is what the hidden cells hold together: 0 or >= 5."""
    assert isinstance(total, int)
    rest = total - sum(n for n in cells.values() if isinstance(n, int))
    assert rest == 0 or rest >= 5, (total, cells)


def test_a_country_of_three_members_reads_less_than_five(
        client: FlaskClient, make_user: Callable[..., User]) -> None:
    _members(make_user, "RU", 7)
    _members(make_user, "KZ", 3)
    _members(make_user, "TR", 6)
    make_user("authority", country="US")  # authorities and staff are not members
    make_user("moderator", country="US")
    total, cells = _cells(client, "members-by-country")
    assert total == 16
    assert cells["KZ"] == HIDDEN
    # Alone, KZ would be 16 - 7 - 6: the next smallest, Türkiye, is hidden with it.
    assert cells["TR"] == HIDDEN and cells["RU"] == 7
    assert "US" not in cells
    _cannot_be_derived(total, cells)


def test_a_region_of_three_members_reads_less_than_five(
        client: FlaskClient, make_user: Callable[..., User], here: Place,
        elsewhere: Place) -> None:
    _members(make_user, "RU", 12, home=here)
    _members(make_user, "RU", 3, home=elsewhere)
    _members(make_user, "RU", 5, home=None)  # no home place given
    total, cells = _cells(client, "members-by-region")
    assert total == 20
    assert cells[str(elsewhere.region_id)] == HIDDEN
    assert cells["unknown"] == HIDDEN  # the smallest other cell, hidden to protect it
    assert cells[str(here.region_id)] == 12
    regions = db.session.scalars(db.select(Place.id).where(Place.level == 1)).all()
    assert {str(pid) for pid in regions} <= set(cells)
    assert [n for key, n in cells.items() if key not in (
        str(here.region_id), str(elsewhere.region_id), "unknown")] == [0] * (len(regions) - 2)
    _cannot_be_derived(total, cells)


def test_fewer_than_five_members_in_all_hides_the_total(
        client: FlaskClient, make_user: Callable[..., User]) -> None:
    _members(make_user, "RU", 3)
    total, cells = _cells(client, "members-by-country")
    assert total == HIDDEN and cells == {"RU": HIDDEN}


def test_projects_by_sector_and_status_are_suppressed(client: FlaskClient, ctx: None,
                                                      here: Place) -> None:
    def add(n: int, sector: str | None, status: str) -> None:
        for _ in range(n):
            db.session.add(Project(place_id=here.id, region_id=here.region_id, title="P",
                                   summary="S", sector=sector, status=status))

    add(6, "water", "published")
    add(2, "education", "accepted")
    add(5, "roads", "completed")
    add(4, "health", "draft")  # not public: never counted
    db.session.commit()
    total, cells = _cells(client, "projects-by-sector")
    assert total == 13
    assert cells["education"] == HIDDEN and cells["health"] == 0 and cells["agriculture"] == 0
    assert cells["roads"] == HIDDEN and cells["water"] == 6  # roads protects education
    _cannot_be_derived(total, cells)
    total, cells = _cells(client, "projects-by-status")
    assert total == 13 and "draft" not in cells
    assert cells["accepted"] == HIDDEN and cells["completed"] == HIDDEN
    assert cells["published"] == 6
    _cannot_be_derived(total, cells)


def test_suppression_holds_for_any_table() -> None:
    """For many random tables: no shown cell is 1-4, shown cells are exact, and the hidden
    ones together are 0 or at least 5 (so no subtraction isolates one)."""
    rng = random.Random(11)
    for _ in range(2000):
        counts = {f"c{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 20])
                  for i in range(rng.randint(1, 7))}
        total, cells, suppressed = suppress(counts)
        real = sum(counts.values())
        assert total == (HIDDEN if 0 < real < 5 else real)
        hidden = [key for key, n in cells.items() if n == HIDDEN]
        assert suppressed == bool(hidden) or total == HIDDEN
        for key, n in cells.items():
            assert n == HIDDEN or (n == counts[key] and not 0 < n < 5)
        hidden_sum = sum(counts[key] for key in hidden)
        assert hidden_sum == 0 or hidden_sum >= 5 or total == HIDDEN


def test_an_index_lists_the_aggregates(client: FlaskClient, ctx: None) -> None:
    body = client.get(f"{API}/insights?lang=ky").get_json()
    ids = [item["id"] for item in body["data"]]
    assert ids[:2] == ["members-by-country", "members-by-region"]
    assert {"members-by-return-plan", "investors-by-sector", "project-answers",
            "survey-participation", "requests-by-kind", "request-answers",
            "members-by-month"} <= set(ids)
    for item in body["data"]:
        assert client.get(item["url"]).status_code == 200
        assert set(item["title"]) == {"ky", "ru", "en"}

"""The gazetteer of Kyrgyzstan and the countries of residence."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from diaspora.errors import PermissionDenied, ValidationError
from diaspora.extensions import db
from diaspora.places import service
from diaspora.places.countries import country_choices, country_name, match_country
from diaspora.places.models import Place
from tests.conftest import login, place_by_code

ISO_CODES = {"KG-B", "KG-C", "KG-GB", "KG-GO", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y"}


def test_all_regions_and_cities_with_iso_codes(ctx) -> None:
    regions = service.regions()
    assert {r.code for r in regions} == ISO_CODES
    assert place_by_code("KG-C").name["en"].startswith("Ch")
    assert place_by_code("KG-GB").kind == "city"


def test_every_place_is_named_in_three_languages_with_kyrgyz_letters(ctx) -> None:
    places = db.session.scalars(sa.select(Place)).all()
    assert len(places) > 60
    for place in places:
        assert all(place.name.get(code) for code in ("ky", "ru", "en")), place.code
    kyrgyz = " ".join(p.name["ky"] for p in places)
    assert re.search("[өүң]", kyrgyz)
    assert "облусу" in place_by_code("KG-N").name["ky"]


def test_districts_belong_to_their_regions(ctx) -> None:
    naryn = place_by_code("KG-N")
    districts = service.children(naryn)
    assert len(districts) >= 5
    assert all(d.region_id == naryn.id and d.district_id == d.id for d in districts)
    total_districts = db.session.scalar(sa.select(sa.func.count(Place.id)).where(Place.level == 2))
    assert total_districts >= 40


def test_loading_again_changes_nothing(ctx) -> None:
    before = db.session.scalar(sa.select(sa.func.count(Place.id)))
    counts = service.load_gazetteer()
    assert counts == {"created": 0, "updated": 0}
    assert db.session.scalar(sa.select(sa.func.count(Place.id))) == before


def test_moderator_adds_a_community(ctx, make_user, here) -> None:
    moderator = make_user("moderator")
    place = service.add_community(
        moderator, here, {"ky": "Жаңы-Айыл", "ru": "", "en": "Jangy-Aiyl"}
    )
    assert place.level == 3 and place.district_id == here.id and place.region_id == here.region_id
    assert place.full_name("en").endswith(here.parent.display_name("en"))
    with pytest.raises(PermissionDenied):
        service.add_community(make_user("member"), here, {"en": "X"})
    with pytest.raises(ValidationError):
        service.add_community(moderator, here, {"ky": " ", "en": ""})
    with pytest.raises(ValidationError):
        service.add_community(moderator, place_by_code("KG-N"), {"en": "Not a district"})


def test_add_community_page(client, make_user, here) -> None:
    login(client, make_user("moderator"))
    response = client.post(
        "/moderation/places?lang=en", data={"district_id": str(here.id), "name_en": "Test village"}
    )
    assert response.status_code == 302
    page = client.get("/moderation/places?lang=en").get_data(as_text=True)
    assert "Test village" in page
    empty = client.post("/moderation/places?lang=en", data={"district_id": str(here.id)})
    assert "at least one language" in empty.get_data(as_text=True)


def test_country_names_come_from_cldr_with_local_usage() -> None:
    assert country_name("KG", "ru") == "Кыргызстан"
    assert country_name("KG", "ky") == "Кыргызстан"
    assert country_name("TR", "ky") == "Түркия"
    assert country_name("DE", "en") == "Germany"
    codes = [code for code, _ in country_choices("ru")]
    assert codes[:8] == ["RU", "KZ", "TR", "KR", "US", "AE", "DE", "GB"]
    assert "EU" not in codes and "ZZ" not in codes
    assert len(codes) > 240


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Германия", "DE"),
        ("germany", "DE"),
        ("Германия ", "DE"),
        ("Казакстан", "KZ"),
        ("Россия", "RU"),
        ("Түркия", "TR"),
        ("Турция", "TR"),
        ("Южная Корея", "KR"),
        ("Киргизия", "KG"),
        ("Польша", "PL"),
        ("xyz", None),
        ("", None),
    ],
)
def test_typed_country_is_matched_in_any_language(typed: str, code: str | None) -> None:
    assert match_country(typed) == code

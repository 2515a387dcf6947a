"""Profile rules the web and the bot share (accounts service): a city has letters, sectors
mean an interest in investing, one completeness rule, one summary of the answers."""

from __future__ import annotations

import pytest

from diaspora.accounts import service
from diaspora.accounts.models import User
from diaspora.errors import ValidationError
from diaspora.extensions import db
from tests.conftest import login


def _form(here, **extra: object) -> dict:
    data = {"country_code": "KR", "city": "Ansan", "home_place_id": str(here.id), "locale": "en"}
    data.update(extra)
    return data


@pytest.mark.parametrize("city", ["12345", "!!!", "  42 - 7 "])
def test_web_refuses_a_city_without_letters(app, client, make_user, here, city) -> None:
    user = make_user("member")
    login(client, user)
    page = client.post("/account/profile?lang=en", data=_form(here, city=city))
    assert page.status_code == 200
    assert "The name of a city must contain letters." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).profile.city is None


def test_city_message_is_translated(client, make_user, here) -> None:
    login(client, make_user("member", locale="ru"))
    page = client.post("/account/profile?lang=ru", data=_form(here, city="12345", locale="ru"))
    text = page.get_data(as_text=True)
    assert "The name of a city must contain letters." not in text
    assert "букв" in text  # the Russian catalog's message


def test_clean_city_rules(ctx) -> None:
    assert service.clean_city("  Нью   Йорк ") == "Нью Йорк"
    assert service.clean_city("") is None
    with pytest.raises(ValidationError):
        service.clean_city("", required=True)
    with pytest.raises(ValidationError):
        service.clean_city("Berlin" * 20)


def test_web_sectors_set_the_investment_interest(app, client, make_user, here) -> None:
    user = make_user("member")
    login(client, user)
    # no "wants_to_invest" box ticked, but sectors chosen
    response = client.post("/account/profile", data=_form(here, interest_sectors=["water"]))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).profile.wants_to_invest is True
    # the box alone, without sectors, is kept as the member said
    client.post("/account/profile", data=_form(here, wants_to_invest="y"))
    with app.app_context():
        profile = db.session.get(User, user.id).profile
        assert profile.wants_to_invest is True and profile.interest_sectors == []


def test_bot_style_update_clears_interest_with_sectors(ctx, make_user) -> None:
    user = make_user("member")
    service.update_profile(user, user, interest_sectors=["it", "roads"])
    assert user.profile.wants_to_invest is True
    service.update_profile(user, user, interest_sectors=[])
    assert user.profile.wants_to_invest is False


def test_one_completeness_rule(ctx, make_user, here) -> None:
    user = make_user("member", country=None)
    assert service.missing_profile_answers(user.profile) == ["country_code", "home_place_id"]
    with pytest.raises(ValidationError) as refused:
        service.require_complete_profile(user.profile)
    assert refused.value.field == "country_code"
    service.update_profile(user, user, country_code="KZ", home_place_id=here.id)
    assert service.is_profile_complete(user.profile)
    assert service.missing_profile_answers(None) == ["country_code", "home_place_id"]


def test_account_page_shows_the_shared_summary(client, make_user, here) -> None:
    user = make_user("member", home=here)
    service.update_profile(user, user, return_plan="later", remittances="sometimes")
    login(client, user)
    page = client.get("/account?lang=en").get_data(as_text=True)
    for line in service.profile_summary(user, "en"):
        assert line.label in page
    assert "Plans to return" in page and "Yes, later" in page and "Sometimes" in page
    assert "Your profile is not complete" not in page
    ru = client.get("/account?lang=ru").get_data(as_text=True)
    assert service.profile_summary(user, "ru")[0].label in ru

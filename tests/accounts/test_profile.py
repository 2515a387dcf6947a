"""The diaspora profile on the web."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.models import User
from diaspora.extensions import db
from tests.conftest import login, place_by_code


def test_profile_form_saves_every_answer(app, client, make_user, here) -> None:
    user = make_user("member", country=None)
    login(client, user)
    page = client.get("/account/profile?lang=en").get_data(as_text=True)
    assert "Home community in Kyrgyzstan" in page
    assert "Naryn" in page  # the gazetteer is in the select, grouped by region
    response = client.post(
        "/account/profile",
        data={
            "display_name": "  Aibek   Usonov ",
            "country_code": "KR",
            "city": "Ansan",
            "home_place_id": str(here.id),
            "birth_band": "25_34",
            "gender": "undisclosed",
            "occupation_sector": "manufacturing",
            "skills": "welding, Korean, welding",
            "years_abroad": "4",
            "return_plan": "within_year",
            "remittances": "regularly",
            "wants_to_invest": "y",
            "interest_sectors": ["water", "green_energy"],
            "locale": "ru",
            "notify_news": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        profile = saved.profile
        assert profile.display_name == "Aibek Usonov"
        assert (profile.country_code, profile.city, profile.home_place_id) == (
            "KR",
            "Ansan",
            here.id,
        )
        assert profile.skills == ["welding", "Korean"]
        assert profile.years_abroad == 4
        assert profile.interest_sectors == ["water", "green_energy"]
        assert profile.wants_to_invest and not profile.wants_to_volunteer
        assert profile.notify_news and not profile.notify_surveys
        assert saved.locale == "ru"
    account = client.get("/account").get_data(as_text=True)
    assert "Южная Корея" in account and "Ansan" in account


def test_home_place_and_country_are_required(client, make_user) -> None:
    login(client, make_user("member", country=None))
    response = client.post("/account/profile?lang=en", data={"city": "Kazan", "locale": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("This field is required.") == 2
    assert 'value="Kazan"' in page  # what the member typed is kept


def test_invalid_choices_get_translated_messages(client, make_user, here) -> None:
    login(client, make_user("member"))
    base = {"country_code": "RU", "home_place_id": str(here.id), "locale": "en"}
    page = client.post("/account/profile?lang=en", data={**base, "country_code": "QQ"}).get_data(
        as_text=True
    )
    assert "Choose a country from the list." in page
    page = client.post(
        "/account/profile?lang=en", data={**base, "home_place_id": "999999"}
    ).get_data(as_text=True)
    assert "Choose your home place from the list." in page
    page = client.post("/account/profile?lang=en", data={**base, "years_abroad": "200"}).get_data(
        as_text=True
    )
    assert "between 0 and 80" in page
    page = client.post("/account/profile?lang=en", data={**base, "years_abroad": "many"}).get_data(
        as_text=True
    )
    assert 'value="many"' in page
    assert "Enter a whole number." in page


def test_country_list_is_localised_with_kyrgyzstan_usage(client, make_user) -> None:
    login(client, make_user("member"))
    ru = client.get("/account/profile?lang=ru").get_data(as_text=True)
    assert "Кыргызстан" in ru and "Киргизия" not in ru
    ky = client.get("/account/profile?lang=ky").get_data(as_text=True)
    assert "Түштүк Корея" in ky
    en = client.get("/account/profile?lang=en").get_data(as_text=True)
    # Common destinations come first.
    assert en.index("Russia") < en.index("Afghanistan")


def test_account_page_asks_to_complete_profile(client, make_user) -> None:
    login(client, make_user("member", country=None))
    assert "Your profile is not complete" in client.get("/account?lang=en").get_data(as_text=True)


def test_authority_request_then_verification(app, client, make_user, here) -> None:
    applicant = make_user("member")
    login(client, applicant)
    response = client.post(
        "/account/authority", data={"position": "Head of the aiyl okmotu",
                                    "organisation": "Kochkor aiyl okmotu",
                                    "place_id": str(here.id)}
    )
    assert response.status_code == 302
    assert "waiting for a moderator" in client.get("/account?lang=en").get_data(as_text=True)
    with app.app_context():
        from diaspora.accounts.permissions import can

        user = db.session.get(User, applicant.id)
        assert user.role == "authority"
        assert not can(user, "authority.act_for_place", here)  # unusable until verified

    moderator_client = app.test_client()
    login(moderator_client, make_user("moderator"))
    dashboard = moderator_client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Kochkor aiyl okmotu" in dashboard
    with app.app_context():
        link_id = db.session.get(User, applicant.id).authority_places[0].id
    moderator_client.post(f"/moderation/authorities/{link_id}/verify")
    with app.app_context():
        from diaspora.accounts.permissions import can
        from diaspora.moderation.models import AuditEntry

        user = db.session.get(User, applicant.id)
        assert can(user, "authority.act_for_place", here)
        assert not can(user, "authority.act_for_place", place_by_code("KG-O"))
        assert db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "authority.request", "authority.verify"]


def test_authority_request_refuses_missing_place(client, make_user) -> None:
    login(client, make_user("member"))
    page = client.post("/account/authority?lang=en", data={"organisation": "X"}).get_data(
        as_text=True
    )
    assert "This field is required." in page
    assert 'value="X"' in page


def test_member_downloads_their_data(client, make_user, here) -> None:
    user = make_user("member", email="mine@example.org", home=here)
    login(client, user)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["email"] == "mine@example.org"
    assert data["profile"]["country_code"] == "RU"
    assert data["profile"]["home_place"]["code"] == here.code
    assert data["account"]["privacy_notice"]["version"] == "2026-11"


def test_member_deletes_their_data(app, client, make_user) -> None:
    user = make_user("member", email="gone@example.org")
    login(client, user)
    refused = client.post("/account/delete?lang=en", data={})
    assert "Tick the box to confirm." in refused.get_data(as_text=True)
    response = client.post("/account/delete", data={"confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        gone = db.session.get(User, user.id)
        assert gone.email is None and gone.profile is None and not gone.active
    # Logged out, and the old password opens nothing.
    assert client.get("/account").status_code == 302
    again = client.post("/login?lang=en", data={"email": "gone@example.org", "password": "x" * 12})
    assert "Wrong e-mail or password." in again.get_data(as_text=True)

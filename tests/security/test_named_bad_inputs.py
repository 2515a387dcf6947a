"""Issue 7, item 8, the inputs the review named: each gets a clear 4xx or a form error."""

from __future__ import annotations

from tests.conftest import login

HUGE = "99999999999999999999"


def test_huge_numbers_in_urls_are_not_found(client, users):
    assert client.get(f"/news/?page={HUGE}").status_code == 404
    assert client.get("/news/?page=1000001").status_code == 404
    assert client.get("/news/?page=abc").status_code == 200  # unusable: the first page
    assert client.get(f"/news/?region={HUGE}").status_code == 200  # no such region: ignored
    assert client.get(f"/news/{HUGE}").status_code == 404
    assert client.get(f"/news/{2**31}").status_code == 404  # beyond PostgreSQL's INTEGER
    login(client, users["moderator"])
    assert client.get(f"/broadcasts/{HUGE}").status_code == 404
    assert client.get(f"/broadcasts/?page={HUGE}").status_code == 404


def test_ids_that_are_not_numbers_are_form_errors(client, users):
    login(client, users["moderator"])
    response = client.post("/moderation/places", data={
        "district_id": "abc", "name_en": "New village"})
    assert response.status_code == 200
    assert "Choose one of the options offered." in response.get_data(as_text=True)
    response = client.post("/account/profile", data={
        "home_place_id": "abc", "country_code": "RU", "locale": "en"})
    assert response.status_code == 200
    assert "Choose one of the options offered." in response.get_data(as_text=True)


def test_a_publish_date_in_year_one_is_a_form_error(client, users):
    login(client, users["moderator"])
    response = client.post("/news/new", data={
        "title_en": "Soon", "body_en": "Text", "audience": "everyone",
        "publish_at": "0001-01-01T00:00", "action": "publish"})
    assert response.status_code == 200
    assert "Choose a date between the years 2000 and 2999." in response.get_data(as_text=True)


def test_a_nul_byte_in_the_login_email_is_a_bad_request(client):
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x" * 12})
    assert response.status_code == 400

"""The API against its own OpenAPI document: every path, every real id, every documented
parameter, and every documented error, each answer validated against the document's schema;
and no answer carries personal data."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import OpenData
from tests.api.helpers import API, check, document, every_request, url_rule_to_path

# Keys that would mean personal data (or a way back to a person) left the API.
DENIED_KEYS = {
    "email", "user_id", "proposer_id", "proposer", "author_id", "author", "created_by_id",
    "actor_id", "added_by_id", "telegram", "telegram_chat_id", "telegram_username", "phone",
    "display_name", "name_of_member", "organisation", "password_hash", "city", "gender",
    "birth_band", "home_place_id", "verified_by_id", "answers", "text_value", "status_note",
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_every_route_of_the_api_is_in_the_document(app: Flask, client: FlaskClient) -> None:
    documented = set(document(client)["paths"])
    served = {url_rule_to_path(rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.")}
    assert served == documented


def test_every_answer_fits_the_document(client: FlaskClient, open_data: OpenData) -> None:
    doc = document(client)
    seen = 0
    for path, url in every_request(doc, open_data):
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_json())
        assert response.mimetype == "application/json"
        check(doc, path, 200, response.get_json())
        seen += 1
    assert seen > 30


def test_lists_are_not_empty_in_the_world(client: FlaskClient, open_data: OpenData) -> None:
    """The contract walk validated real items, not only empty lists."""
    for resource, expected in (("news", {open_data.post.id}),
                               ("projects", {open_data.project.id,
                                             open_data.authority_project.id}),
                               ("surveys", {open_data.survey.id})):
        data = client.get(f"{API}/{resource}").get_json()["data"]
        assert {item["id"] for item in data} == expected, resource


def test_every_documented_error_fits_the_document(client: FlaskClient,
                                                  open_data: OpenData) -> None:
    doc = document(client)
    for path, item in doc["paths"].items():
        responses = item["get"]["responses"]
        if "404" in responses:
            missing = "nothing-here" if path == "/insights/{id}" else "999999"
            url = (API + path.replace("{id}", missing) if "{id}" in path
                   else f"{API}{path}?page=1000001")
            response = client.get(url)
            assert response.status_code == 404, path
            check(doc, path, 404, response.get_json())
        if "400" in responses:
            response = client.get(f"{API}{path}?per_page=101")
            assert response.status_code == 400, path
            check(doc, path, 400, response.get_json())
        if "304" in responses:
            url = API + path.replace("{id}", _first_id(path, open_data))
            tag = client.get(url).headers["ETag"]
            assert client.get(url, headers={"If-None-Match": tag}).status_code == 304, path


def _first_id(path: str, world: OpenData) -> str:
    return {"/news/{id}": str(world.post.id), "/projects/{id}": str(world.project.id),
            "/surveys/{id}": str(world.survey.id), "/places/{id}": str(world.place.id),
            "/insights/{id}": "members-by-country"}.get(path, "")


def test_no_answer_holds_personal_data(client: FlaskClient, open_data: OpenData) -> None:
    doc = document(client)
    for _path, url in every_request(doc, open_data):
        response = client.get(url)
        body = response.get_json()
        leaked = _keys(body) & DENIED_KEYS
        assert not leaked, (url, leaked)
        text = json.dumps(body, ensure_ascii=False)
        for secret in open_data.secrets:
            assert secret not in text, (url, secret)


def test_drafts_and_private_items_are_not_served(client: FlaskClient,
                                                 open_data: OpenData) -> None:
    assert client.get(f"{API}/news/{open_data.draft_post.id}").status_code == 404
    assert client.get(f"{API}/projects/{open_data.draft_project.id}").status_code == 404
    assert client.get(f"{API}/surveys/{open_data.draft_survey.id}").status_code == 404


def test_a_project_says_who_posted_it_without_naming_anyone(client: FlaskClient,
                                                            open_data: OpenData) -> None:
    member = client.get(f"{API}/projects/{open_data.project.id}").get_json()["data"]
    authority = client.get(f"{API}/projects/{open_data.authority_project.id}").get_json()["data"]
    assert (member["origin"], authority["origin"]) == ("member", "authority")
    # Three supporters are fewer than five people: not given as a number.
    assert member["supporters"] == "<5"
    assert member["title"] == "Clean water" and member["sector"] == "water"
    assert member["photo_urls"] and member["place"]["name"]["en"]


def test_a_survey_is_described_never_answered(client: FlaskClient, open_data: OpenData) -> None:
    data = client.get(f"{API}/surveys/{open_data.survey.id}").get_json()["data"]
    assert data["title"]["en"] == "Diaspora & home"
    assert data["question_count"] == len(open_data.survey.questions) == 8
    assert set(data) == {"id", "title", "intro", "anonymous", "opens_at", "closes_at",
                         "question_count", "url"}

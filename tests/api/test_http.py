"""What a program calling the API meets: pages, ETags and 304, caching and CORS headers,
JSON errors with stable codes and messages in its language, and the rate limit."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from diaspora import create_app
from diaspora.news import service as news
from diaspora.news.models import HOME
from tests.api.conftest import OpenData, png
from tests.api.helpers import API, check, document
from tests.conftest import TEST_ENVIRON, make_test_config


def test_places_come_in_pages_with_links(client: FlaskClient, ctx: None) -> None:
    first = client.get(f"{API}/places?level=3&per_page=100").get_json()
    meta, links = first["meta"], first["links"]
    assert meta["page"] == 1 and meta["per_page"] == 100 and meta["total"] > 100
    assert meta["pages"] == -(-meta["total"] // 100) and len(first["data"]) == 100
    assert links["prev"] is None and "page=2" in links["next"] and "level=3" in links["next"]
    second = client.get(links["next"]).get_json()
    assert second["meta"]["page"] == 2 and "page=1" in second["links"]["prev"]
    assert not {p["id"] for p in first["data"]} & {p["id"] for p in second["data"]}
    assert all(place["level"] == 3 for place in first["data"] + second["data"])
    last = client.get(links["last"]).get_json()
    assert last["links"]["next"] is None and last["data"]
    beyond = client.get(f"{API}/places?level=3&per_page=100&page={meta['pages'] + 1}").get_json()
    assert beyond["data"] == [] and beyond["links"]["next"] is None


def test_the_default_page_has_twenty_items(client: FlaskClient, ctx: None) -> None:
    body = client.get(f"{API}/places").get_json()
    assert len(body["data"]) == 20 and body["meta"]["per_page"] == 20


def test_regions_have_their_names_in_three_languages(client: FlaskClient, ctx: None) -> None:
    regions = client.get(f"{API}/places?level=1").get_json()["data"]
    naryn = next(r for r in regions if r["code"] == "KG-N")
    assert naryn["name"] == {"ky": "Нарын облусу", "ru": "Нарынская область",
                             "en": "Naryn Region"}
    districts = client.get(f"{API}/places?parent={naryn['id']}&per_page=100").get_json()["data"]
    assert districts and all(d["region_id"] == naryn["id"] and d["level"] == 2
                             for d in districts)


def test_bad_parameters_are_400_naming_the_parameter(client: FlaskClient, ctx: None) -> None:
    doc = document(client)
    for query, parameter in (("per_page=101", "per_page"), ("per_page=0", "per_page"),
                             ("page=0", "page"), ("page=two", "page"), ("level=4", "level"),
                             ("status=draft", "status"), ("sector=mining", "sector"),
                             ("region=-1", "region"), ("tag=" + "x" * 31, "tag")):
        path = {"status": "/projects", "sector": "/projects", "region": "/projects",
                "tag": "/news"}.get(parameter, "/places")
        response = client.get(f"{API}{path}?{query}&lang=en")
        assert response.status_code == 400, query
        body = response.get_json()
        assert body["error"] == "bad_parameter" and body["parameter"] == parameter
        assert parameter in body["message"]
        check(doc, path, 400, body)


def test_etag_and_304(client: FlaskClient, open_data: OpenData) -> None:
    first = client.get(f"{API}/news")
    tag = first.headers["ETag"]
    assert not tag.startswith("W/")  # strong
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(f"{API}/news").headers["ETag"] == tag  # same data, same tag
    again = client.get(f"{API}/news", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag
    # A new post: a new tag, the full answer again.
    post = news.save_post(open_data.authority, title={"en": "Bridge opened"},
                          body={"en": "Yes."}, audience=HOME, place_id=open_data.place.id,
                          image=png())
    news.publish(open_data.authority, post)
    changed = client.get(f"{API}/news", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.get_json()["meta"]["total"] == 2


def test_open_to_every_origin(client: FlaskClient, ctx: None) -> None:
    response = client.get(f"{API}/places/1", headers={"Origin": "https://example.net"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options(f"{API}/news", headers={
        "Origin": "https://example.net", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    missing = client.get(f"{API}/nothing")
    assert missing.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_addresses_and_ids_are_json_404(client: FlaskClient, ctx: None) -> None:
    for url in (f"{API}/nothing", f"{API}/news/999999", f"{API}/places/99999999999",
                f"{API}/insights/members-by-shoe-size", f"{API}/places?page=99999999"):
        response = client.get(f"{url}{'&' if '?' in url else '?'}lang=en")
        assert response.status_code == 404, url
        assert response.mimetype == "application/json"
        assert response.get_json() == {
            "error": "not_found", "status": 404,
            "message": "There is nothing at this address of the API."}
        assert response.headers["Cache-Control"] == "no-store"


def test_writing_is_json_405(client: FlaskClient, ctx: None) -> None:
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"{API}/news?lang=en")
        assert response.status_code == 405, method
        body = response.get_json()
        assert body["error"] == "method_not_allowed" and "GET" in body["message"]


def test_messages_in_kyrgyz_and_russian(client: FlaskClient, ctx: None) -> None:
    ky = client.get(f"{API}/nothing?lang=ky")
    assert ky.get_json()["message"] == "API'нин бул дарегинде эч нерсе жок."
    assert ky.get_json()["error"] == "not_found"  # the code never changes with the language
    assert "Set-Cookie" not in ky.headers  # ?lang= chose one answer's language, nothing kept
    ru = client.get(f"{API}/places?per_page=500", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.get_json()["message"].startswith("Параметр «per_page»")
    # No language asked for: Kyrgyz, the site's default.
    assert client.post(f"{API}/news").get_json()["message"] == (
        "Ачык маалыматтар API'син окууга гана болот: GET колдонуңуз.")


def test_too_many_requests_is_json_429(database_url: str, ctx: None) -> None:
    limited = create_app(make_test_config(database_url, RATELIMIT_ENABLED=True,
                                          API_RATE_LIMIT="3 per minute"), environ=TEST_ENVIRON)
    client = limited.test_client()
    address = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [client.get(f"{API}/places/1", environ_overrides=address).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(f"{API}/places/1?lang=ky", environ_overrides=address)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["error"] == "rate_limited"
    assert body["message"] == "Суроолор өтө көп. Бир мүнөт күтүп, кайра аракет кылыңыз."
    check(document(limited.test_client()), "/places/{id}", 429, body)
    # Another address has its own allowance.
    other = client.get(f"{API}/places/1", environ_overrides={"REMOTE_ADDR": "203.0.113.8"})
    assert other.status_code == 200


def test_a_signed_in_member_gets_the_same_public_answer(app: Flask, client: FlaskClient,
                                                      open_data: OpenData) -> None:
    from tests.conftest import login

    anonymous = client.get(f"{API}/projects")
    signed_in = login(app.test_client(), open_data.people[0])
    signed_in.get(f"{API}/places/1")  # a session as the site leaves it after sign-in (its id)
    member = signed_in.get(f"{API}/projects")
    assert member.get_data() == anonymous.get_data()
    assert member.headers["Cache-Control"] == "public, max-age=60"
    assert member.headers["ETag"] == anonymous.headers["ETag"]
    assert "Set-Cookie" not in member.headers


def test_a_member_asked_to_accept_a_new_notice_still_reads_the_api(
        app: Flask, open_data: OpenData) -> None:
    """The web's "accept the changed privacy notice first" redirect is for pages, not data."""
    from diaspora.extensions import db
    from tests.conftest import login

    member = open_data.people[1]
    member.privacy_version = "2000-01"
    db.session.commit()
    client = login(app.test_client(), member)
    assert client.get("/account").status_code == 302  # the web asks first
    response = client.get(f"{API}/news")
    assert response.status_code == 200 and response.get_json()["data"]


def test_the_api_limit_is_shared_through_redis(database_url: str, ctx: None) -> None:
    """Two workers (two apps) over one Redis count one allowance per address."""
    import os

    from diaspora.extensions import limiter

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    workers = [create_app(make_test_config(database_url, RATELIMIT_ENABLED=True,
                                           RATELIMIT_STORAGE_URI=url,
                                           API_RATE_LIMIT="3 per minute"), environ=TEST_ENVIRON)
               for _ in range(2)]
    with workers[0].app_context():
        limiter.reset()
    address = {"REMOTE_ADDR": "203.0.113.9"}
    statuses = [workers[i % 2].test_client().get(f"{API}/places/1", environ_overrides=address)
                .status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    with workers[0].app_context():
        limiter.reset()


def test_parameters_named_like_url_for_options_are_plain_text(client: FlaskClient,
                                                             open_data: OpenData) -> None:
    for query in ("_external=1", "endpoint=x", "_anchor=x", "_scheme=ftp"):
        answer = client.get(f"{API}/places?per_page=1&{query}")
        assert answer.status_code == 200, query
        links = answer.get_json()["links"]
        assert all("#" not in (link or "") and (link or "http").startswith("http")
                   for link in links.values()), links
        assert query.split("=")[0] in links["next"]


def test_a_signed_in_member_leaves_no_cookie_on_a_public_answer(app: Flask,
                                                                open_data: OpenData) -> None:
    from tests.conftest import login

    answer = login(app.test_client(), open_data.people[0]).get(f"{API}/places")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")

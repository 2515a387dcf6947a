"""A light first load: static files under hashed addresses cached a year, pages compressed."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

STATIC = Path(__file__).resolve().parents[2] / "static"
LINKED = re.compile(r'href="(/static/([^"?]+)\?v=([0-9a-f]+))"')


def test_the_pages_stylesheets_carry_the_hash_of_their_bytes(client: FlaskClient) -> None:
    page = client.get("/?lang=ky").get_data(as_text=True)
    linked = LINKED.findall(page)
    assert {name for _, name, _ in linked} >= {"css/pico.min.css", "css/mekendesh.css"}
    for url, name, digest in linked:
        assert digest == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        served = client.get(url)
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_stale_or_missing_hash_is_served_but_revalidated(client: FlaskClient) -> None:
    for url in ("/static/css/mekendesh.css?v=000000000000", "/static/css/mekendesh.css"):
        served = client.get(url)
        assert served.status_code == 200
        assert "immutable" not in served.headers.get("Cache-Control", "")
        assert "max-age=31536000" not in served.headers.get("Cache-Control", "")


def test_a_page_is_sent_compressed_to_a_browser_that_accepts_gzip(client: FlaskClient) -> None:
    plain = client.get("/news/?lang=ru")
    assert "Content-Encoding" not in plain.headers
    packed = client.get("/news/?lang=ru", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = packed.get_data()
    assert len(body) < len(plain.get_data()) / 2
    assert gzip.decompress(body) == plain.get_data()


def test_brotli_is_preferred_when_the_browser_offers_it(client: FlaskClient) -> None:
    packed = client.get("/?lang=ky", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "br"


def test_the_stylesheet_is_compressed_too(client: FlaskClient) -> None:
    served = client.get("/static/css/pico.min.css", headers={"Accept-Encoding": "br"})
    assert served.headers["Content-Encoding"] == "br"
    assert int(served.headers["Content-Length"]) < (STATIC / "css/pico.min.css").stat().st_size / 4


def test_the_open_data_api_is_left_uncompressed(client: FlaskClient) -> None:
    # Its strong ETags and its Vary are part of its contract (diaspora/api/views.py).
    answer = client.get("/api/v1/news", headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200
    assert "Content-Encoding" not in answer.headers
    assert "Accept-Encoding" not in answer.headers.get("Vary", "")


def test_a_static_address_that_is_no_file_is_a_plain_not_found(client: FlaskClient) -> None:
    # The 404 page's language links rebuild the asked address, a folder's name included.
    for url in ("/static/css", "/static/css/", "/static/none.css?v=abc", "/static/../config.py"):
        assert client.get(url).status_code == 404, url


def test_names_outside_static_and_missing_files_are_left_alone(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("static", filename="missing.css") == "/static/missing.css"
        assert "?v=" not in url_for("static", filename="../config.py")
        assert url_for("static", filename="css/pico.min.css", v="given").endswith("?v=given")

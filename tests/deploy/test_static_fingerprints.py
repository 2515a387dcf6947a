"""Static URLs carry their file's content hash, so nginx can let browsers keep them a year
and a changed file still reaches every browser at once (a new URL)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

from diaspora.main.assets import fingerprint
from tests.deploy.conftest import ROOT


def test_pages_link_static_files_by_their_content(client: FlaskClient) -> None:
    page = client.get("/?lang=ky").get_data(as_text=True)
    links = dict(re.findall(r'href="/static/(css/[\w.]+\.css)\?v=([0-9a-f]+)"', page))
    assert "css/mekendesh.css" in links and "css/pico.min.css" in links
    for name, version in links.items():
        assert version == hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest()[:12]
        assert client.get(f"/static/{name}?v={version}").status_code == 200


def test_a_changed_file_gets_a_new_url(tmp_path: Path) -> None:
    style = tmp_path / "site.css"
    style.write_text("body { color: black }")
    before = fingerprint(str(style))
    style.write_text("body { color: navy }")
    os.utime(style, ns=(1, 1))  # even a file whose time went back: its size differs
    assert fingerprint(str(style)) != before
    assert fingerprint(str(tmp_path / "missing.css")) is None


def test_names_outside_static_and_missing_files_are_left_alone(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("static", filename="missing.css") == "/static/missing.css"
        assert "?v=" not in url_for("static", filename="../config.py")
        assert url_for("static", filename="css/pico.min.css", v="given").endswith("?v=given")

"""Issue 7, item 12: Content-Security-Policy everywhere, HSTS and Secure cookies in
production, and pages that need nothing the policy forbids."""

from __future__ import annotations

import re

from diaspora import create_app
from tests.conftest import PASSWORD, login, make_test_config

# What `default-src 'self'` without 'unsafe-inline' would block in a page.
INLINE = re.compile(r"<script(?![^>]*\ssrc=)|<style|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.I)


def _production(database_url: str):
    # What ProductionConfig sets; TESTING only skips the secret-key check.
    return create_app(make_test_config(database_url, ENV_NAME="production",
                                       SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True))


def test_every_page_has_a_policy_and_nothing_inline(client, users):
    login(client, users["admin"])
    app = client.application
    paths = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"]
    assert "/news/new" in paths and "/" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        if response.mimetype == "text/html":
            found = INLINE.search(response.get_data(as_text=True))
            assert found is None, f"{path}: {found and found.group(0)}"
    assert "Strict-Transport-Security" not in client.get("/").headers  # not on plain http dev


def test_production_sends_hsts_and_only_secure_cookies(app, database_url, make_user):
    make_user(email="secure@example.org")
    client = _production(database_url).test_client()
    response = client.get("/?lang=ru")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    response = client.post("/login", data={"email": "secure@example.org", "password": PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    cookies = [*client.get("/?lang=en").headers.getlist("Set-Cookie"),
               *response.headers.getlist("Set-Cookie")]
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"lang", "session", "remember_token"} <= names
    for cookie in cookies:
        assert "; Secure" in cookie, cookie
        assert cookie.count("Secure") == 1, cookie


def test_development_cookies_work_over_plain_http(client):
    cookie = client.get("/?lang=ru").headers["Set-Cookie"]
    assert cookie.startswith("lang=ru") and "Secure" not in cookie

"""Home page, languages, health check and error pages, as a visitor meets them."""

from __future__ import annotations

import re

import pytest

from diaspora import create_app
from tests.conftest import login, make_test_config

HOME_HEADLINE = {
    "ky": "Мекендеш",
    "ru": "Мекендеш",
    "en": "Mekendesh",
}


def html_lang(response) -> str:
    match = re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def test_home_page_is_kyrgyz_by_default(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "ky"
    page = response.get_data(as_text=True)
    # A Kyrgyz page is written with Kyrgyz letters, not Russian or English left in place.
    assert re.search("[өүң]", page)
    for label in ("Кыргызча", "Русский", "English"):
        assert label in page


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_lang_parameter_selects_and_is_remembered_by_cookie(app, lang: str) -> None:
    client = app.test_client()
    response = client.get(f"/?lang={lang}")
    assert html_lang(response) == lang
    assert HOME_HEADLINE[lang] in response.get_data(as_text=True)
    assert f"lang={lang}" in response.headers.get("Set-Cookie", "")
    # Later pages, without ?lang, keep the choice.
    assert html_lang(client.get("/privacy")) == lang


def test_accept_language_decides_without_a_choice(client) -> None:
    assert html_lang(client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})) == "ru"
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})) == "en"
    # A language we do not have falls back to Kyrgyz.
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE"})) == "ky"


def test_unknown_lang_falls_back_quietly(client) -> None:
    response = client.get("/?lang=xx")
    assert response.status_code == 200
    assert html_lang(response) == "ky"
    assert "lang=xx" not in response.headers.get("Set-Cookie", "")


def test_language_link_changes_the_page_not_the_saved_profile(app, client, make_user) -> None:
    """A GET (?lang=) never writes: the switch lasts for this browser, the profile keeps its
    language until the member saves another one through the profile form."""
    from diaspora.accounts.models import User
    from diaspora.extensions import db

    user = make_user("member", locale="ky")
    login(client, user)
    client.get("/?lang=ru")
    assert html_lang(client.get("/account")) == "ru"  # the switch sticks in this session
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "ky"
    fresh = client.application.test_client()  # another browser: the saved language
    login(fresh, user)
    assert html_lang(fresh.get("/account")) == "ky"


def test_the_language_picked_before_logging_in_or_out_stays(app, client, make_user) -> None:
    """A member who switched to Russian on the login page is not thrown back to the
    profile's Kyrgyz by the fresh session that logging in starts, nor by logging out."""
    from tests.conftest import PASSWORD

    user = make_user("member", locale="ky", password=PASSWORD)
    client.get("/login?lang=ru")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           follow_redirects=True)
    assert html_lang(response) == "ru"
    assert html_lang(client.get("/account")) == "ru"
    response = client.post("/logout", follow_redirects=True)
    assert html_lang(response) == "ru"


def test_language_switcher_links_keep_the_page(client) -> None:
    page = client.get("/privacy?lang=en").get_data(as_text=True)
    assert 'href="/privacy?lang=ru"' in page
    assert 'href="/privacy?lang=ky"' in page


def test_healthz_reports_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True}


def test_healthz_is_503_when_database_is_unreachable(tmp_path) -> None:
    broken = create_app(make_test_config(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False


@pytest.mark.parametrize(
    ("lang", "text"),
    [("ky", "Барак табылган жок"), ("ru", "Страница не найдена"), ("en", "Page not found")],
)
def test_404_page_is_translated(client, lang: str, text: str) -> None:
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_403_page_is_translated(client, make_user) -> None:
    login(client, make_user("member"))
    response = client.get("/admin/users?lang=ru")
    assert response.status_code == 403
    assert "Доступ запрещён" in response.get_data(as_text=True)


def test_500_page_is_translated(database_url) -> None:
    app = create_app(make_test_config(database_url, PROPAGATE_EXCEPTIONS=False))

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_csrf_failure_shows_translated_page(database_url) -> None:
    app = create_app(make_test_config(database_url, WTF_CSRF_ENABLED=True))
    response = app.test_client().post(
        "/login?lang=en", data={"email": "a@b.kg", "password": "whatever"}
    )
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_oversized_body_gets_413(database_url) -> None:
    app = create_app(make_test_config(database_url, MAX_CONTENT_LENGTH=1024))
    response = app.test_client().post("/register?lang=en", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_api_style_requests_get_json_errors(client) -> None:
    response = client.get("/api/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    # Under /api/ the open-data API's shape: a stable code and a message (diaspora/api).
    assert response.get_json()["error"] == "not_found"
    assert response.get_json()["status"] == 404


def test_security_headers(client) -> None:
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Language"] == "ky"


def test_pages_work_without_javascript(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "<script" not in page
    assert "/static/css/pico.min.css" in page
    assert client.get("/static/css/pico.min.css").status_code == 200

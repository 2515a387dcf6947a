"""Registering, logging in and out, as a visitor does it in a browser."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from diaspora import create_app
from diaspora.accounts.models import User
from diaspora.extensions import db
from tests.conftest import PASSWORD, make_test_config


def register(
    client,
    email="aida@example.org",
    password=PASSWORD,
    confirm=None,
    accept=True,
    lang="en",
):
    data = {"email": email, "password": password, "confirm": confirm or password}
    if accept:
        data["accept_privacy"] = "y"
    return client.post(f"/register?lang={lang}", data=data)


def test_register_creates_a_member_with_hashed_password_and_consent(app, client) -> None:
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/profile")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "aida@example.org"))
        assert user.role == "member"
        assert user.password_hash and PASSWORD not in user.password_hash
        assert user.check_password(PASSWORD)
        assert user.privacy_version == app.config["PRIVACY_NOTICE_VERSION"]
        assert user.privacy_accepted_at is not None
        assert user.locale == "en"
    # Registered means logged in.
    assert client.get("/account").status_code == 200


def test_duplicate_email_is_refused_clearly_and_form_keeps_input(client) -> None:
    register(client, email="Aida@Example.org")
    client.post("/logout")
    response = register(client, email="aida@example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already exists" in page
    assert 'value="aida@example.org"' in page
    assert PASSWORD not in page  # passwords are never echoed back


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("password12", "most common passwords"),
        ("qwerty1234", "most common passwords"),
        ("1234567890", "most common passwords"),
        ("Mekendesh1", "too easy to guess"),  # the site's own name
        ("aida.example", "too easy to guess"),  # the e-mail address aida@example.org
        ("asdfghjkl;", "Keyboard patterns"),
        ("abcdefghijk", "Keyboard patterns"),
    ],
)
def test_weak_passwords_are_refused_with_reason(client, password: str, message: str) -> None:
    response = register(client, password=password)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_privacy_notice_must_be_accepted(app, client) -> None:
    response = register(client, accept=False)
    assert response.status_code == 200
    assert "accept the privacy notice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_mismatched_confirmation_and_missing_fields(client) -> None:
    response = register(client, confirm="Another-pass-99")
    assert "The passwords do not match." in response.get_data(as_text=True)
    response = client.post("/register?lang=en", data={})
    assert response.get_data(as_text=True).count("This field is required.") >= 2


def test_invalid_email_is_refused(client) -> None:
    response = register(client, email="not-an-address")
    assert "valid e-mail" in response.get_data(as_text=True)


def test_registration_errors_are_translated(client) -> None:
    response = register(client, password="short1", lang="ky")
    assert "10" in response.get_data(as_text=True)
    assert "characters" not in response.get_data(as_text=True)


def test_login_logout_and_wrong_password(client, make_user) -> None:
    make_user("member", email="bakyt@example.org")
    wrong = client.post(
        "/login?lang=en", data={"email": "bakyt@example.org", "password": "nope-123456"}
    )
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert 'value="bakyt@example.org"' in wrong.get_data(as_text=True)
    ok = client.post("/login", data={"email": "bakyt@example.org", "password": PASSWORD})
    assert ok.status_code == 302
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, make_user) -> None:
    make_user("member", email="remember@example.org")
    response = client.post(
        "/login", data={"email": "remember@example.org", "password": PASSWORD, "remember": "y"}
    )
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_login_redirect_never_leaves_the_site(client, make_user) -> None:
    make_user("member", email="next@example.org")
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": "next@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"].endswith("/account")


def _limited_app(database_url: str, storage: str):
    return create_app(
        make_test_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=storage,
            LOGIN_RATE_LIMIT="3 per minute",
        )
    )


def test_login_is_rate_limited(database_url) -> None:
    client = _limited_app(database_url, "memory://").test_client()
    statuses = [
        client.post(
            "/login?lang=en", data={"email": "x@example.org", "password": "bad-12345678"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in client.post("/login?lang=en", data={}).get_data(as_text=True)
    # Reading the login page is never limited.
    assert client.get("/login").status_code == 200


def test_login_rate_limit_is_shared_through_redis(database_url) -> None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    first = _limited_app(database_url, url)
    second = _limited_app(database_url, url)  # another gunicorn worker, same Redis
    from diaspora.extensions import limiter

    with first.app_context():
        limiter.reset()
    data = {"email": "y@example.org", "password": "bad-12345678"}
    statuses = [first.test_client().post("/login", data=data).status_code for _ in range(2)]
    statuses += [second.test_client().post("/login", data=data).status_code for _ in range(2)]
    assert statuses == [200, 200, 200, 429]
    with first.app_context():
        limiter.reset()


def test_unknown_email_costs_the_same_password_hash(client, make_user, monkeypatch) -> None:
    """Login must not tell which e-mails have an account by how fast it answers: an unknown
    address, a bot-only account without password and a wrong password all hash once."""
    from diaspora.accounts import service

    calls: list[str] = []
    real = service.check_password_hash

    def counting(stored: str, password: str) -> bool:
        calls.append(password)
        return real(stored, password)

    monkeypatch.setattr(service, "check_password_hash", counting)
    make_user("member", email="known@example.org")
    for email in ("unknown@example.org", "known@example.org"):
        calls.clear()
        page = client.post("/login?lang=en", data={"email": email, "password": "Guess-123456"})
        assert "Wrong e-mail or password." in page.get_data(as_text=True)
        assert calls == ["Guess-123456"], email


def test_registration_is_rate_limited(database_url) -> None:
    app = create_app(make_test_config(database_url, RATELIMIT_ENABLED=True,
                                      RATELIMIT_STORAGE_URI="memory://",
                                      REGISTER_RATE_LIMIT="2 per hour"))
    client = app.test_client()
    data = {"email": "not-an-address", "password": "x", "confirm": "x"}
    statuses = [client.post("/register", data=data).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/register").status_code == 200  # reading the form is never limited

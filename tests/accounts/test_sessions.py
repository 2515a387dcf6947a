"""Sessions end when they should: a saved cookie stops working after its browser logs out
(the member's other browsers stay in); every cookie, remember-me included, after "log out
everywhere", a new password, a new role, erasure."""

from __future__ import annotations

from flask.testing import FlaskClient

from diaspora.accounts import service
from diaspora.accounts.models import User
from diaspora.extensions import db
from tests.conftest import PASSWORD, login


def _log_in(client: FlaskClient, email: str, *, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def _browser_with(app, **cookies: str) -> FlaskClient:
    """Another browser into which someone pasted saved cookies."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def test_a_saved_session_cookie_stops_working_after_logout(app, client, make_user):
    make_user(email="aida@example.org")
    _log_in(client, "aida@example.org")
    saved = _cookie(client, "session")
    assert _browser_with(app, session=saved).get("/account").status_code == 200
    client.post("/logout")
    assert _browser_with(app, session=saved).get("/account").status_code == 302


def test_logging_out_ends_this_browser_not_the_others(app, client, make_user):
    make_user(email="aida@example.org")
    phone = app.test_client()
    _log_in(phone, "aida@example.org")
    _log_in(client, "aida@example.org")
    saved = _cookie(client, "session")
    client.post("/logout")
    assert client.get("/account").status_code == 302
    assert _browser_with(app, session=saved).get("/account").status_code == 302
    assert phone.get("/account").status_code == 200  # the phone was not logged out


def test_a_browser_back_from_its_remember_me_cookie_logs_out_on_its_own(app, client,
                                                                         make_user):
    make_user(email="aida@example.org")
    laptop = _remembered(app, client, "aida@example.org")
    assert laptop.get("/account").status_code == 200
    saved = _cookie(laptop, "session")
    laptop.post("/logout")
    assert _browser_with(app, session=saved).get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_ended_sessions_are_forgotten_once_no_cookie_can_be_valid(app, client, make_user):
    from datetime import timedelta

    from diaspora.accounts.models import EndedSession
    from diaspora.accounts.sessions import forget_old_ended_sessions
    from diaspora.models import utcnow

    user = make_user(email="aida@example.org")
    _log_in(client, "aida@example.org")
    client.post("/logout")
    with app.app_context():
        db.session.add(EndedSession(session_id="old", user_id=user.id,
                                    ended_at=utcnow() - timedelta(days=40)))
        db.session.commit()
        assert forget_old_ended_sessions() == 1
        assert db.session.scalar(db.select(db.func.count(EndedSession.session_id))) == 1


def _remembered(app, client, email: str) -> FlaskClient:
    """A browser holding only the remember-me cookie of `client` (its session expired)."""
    _log_in(client, email, remember=True)
    browser = _browser_with(app, remember_token=_cookie(client, "remember_token"))
    assert browser.get("/account").status_code == 200
    return _browser_with(app, remember_token=_cookie(client, "remember_token"))


def test_remember_me_cookie_ends_with_log_out_everywhere(app, client, make_user):
    make_user(email="aida@example.org")
    other_device = _remembered(app, client, "aida@example.org")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert 'action="/account/logout-everywhere"' in page
    assert client.post("/account/logout-everywhere").status_code == 302
    assert other_device.get("/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_remember_me_cookie_ends_with_a_new_password(app, client, make_user):
    make_user(email="aida@example.org")
    other_device = _remembered(app, client, "aida@example.org")
    refused = client.post("/account/password?lang=en", data={
        "current_password": "not-my-password-1", "password": "Tulpar-meadow-lake-7",
        "confirm": "Tulpar-meadow-lake-7"})
    assert "not your current password" in refused.get_data(as_text=True)
    weak = client.post("/account/password?lang=en", data={
        "current_password": PASSWORD, "password": "password12", "confirm": "password12"})
    assert "most common passwords" in weak.get_data(as_text=True)
    assert other_device.get("/account").status_code == 200  # refusals changed nothing
    changed = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "Tulpar-meadow-lake-7",
        "confirm": "Tulpar-meadow-lake-7"})
    assert changed.status_code == 302
    assert other_device.get("/account").status_code == 302
    assert client.get("/account").status_code == 200  # this browser goes on


def test_remember_me_cookie_ends_with_a_role_change(app, client, make_user):
    member = make_user(email="aida@example.org")
    other_device = _remembered(app, client, "aida@example.org")
    admin_client = login(app.test_client(), make_user("admin"))
    admin_client.post(f"/admin/users/{member.id}/role", data={"role": "moderator"})
    assert other_device.get("/account").status_code == 302


def test_erasure_and_blocking_end_sessions(app, client, make_user):
    user = make_user(email="aida@example.org")
    other_device = _remembered(app, client, "aida@example.org")
    with app.app_context():
        blocked = db.session.get(User, user.id)
        blocked.active = False
        db.session.commit()
    assert other_device.get("/account").status_code == 302
    with app.app_context():
        erased = db.session.get(User, user.id)
        erased.active = True
        db.session.commit()
        service.delete_personal_data(erased, erased)
    assert other_device.get("/account").status_code == 302


def test_login_starts_a_new_session(app, client, make_user):
    make_user(email="aida@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    _log_in(client, "aida@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_new_remember_me_cookie_after_revocation(app, client, make_user):
    """The remember-me cookie names the session version, not only the user id."""
    user = make_user(email="aida@example.org")
    _log_in(client, "aida@example.org", remember=True)
    first = _cookie(client, "remember_token")
    client.post("/account/logout-everywhere")
    _log_in(client, "aida@example.org", remember=True)
    assert _cookie(client, "remember_token") != first
    assert user.id  # same account


def test_log_out_everywhere_needs_the_forms_csrf_token(database_url, make_user):
    from diaspora import create_app
    from tests.conftest import IsolatedClient, make_test_config

    app = create_app(make_test_config(database_url, WTF_CSRF_ENABLED=True))
    app.test_client_class = IsolatedClient
    make_user(email="aida@example.org")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "aida@example.org", "password": PASSWORD,
                                "csrf_token": token})
    saved = _cookie(client, "session")
    assert client.post("/account/logout-everywhere").status_code == 400  # no token
    assert _browser_with(app, session=saved).get("/account").status_code == 200

"""Issue 10: two-factor sign-in for staff (accounts/two_factor.py).

Moderators and admins enrol an authenticator (a real pyotp code computed here) and get ten
one-time recovery codes; each login then asks a code; staff pages refuse a session that did
not pass that step; an admin resets another staff member who lost the device (audited).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from diaspora.accounts import two_factor
from diaspora.accounts.models import RecoveryCode, StaffTotp, User
from diaspora.errors import PermissionDenied
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from tests.conftest import PASSWORD, login

_SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
_RECOVERY = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")
STAFF_PAGE = "/moderation/"


def _sign_in(app: Flask, user: User) -> tuple[FlaskClient, object]:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client, response


def _enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Go through the enrolment page as a person would: read the key, type its code."""
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    secret = _SECRET.search(page).group(1).replace(" ", "")
    answer = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 200
    codes = _RECOVERY.findall(answer.get_data(as_text=True))
    return secret, codes


def _code_after(secret: str, steps: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def test_a_moderator_enrols_end_to_end_and_then_uses_staff_pages(app, make_user) -> None:
    moderator = make_user("moderator")
    client, response = _sign_in(app, moderator)
    # The password alone leads to the code step, not to the staff pages.
    assert "/account/two-factor" in response.headers["Location"]
    refused = client.get(STAFF_PAGE)
    assert refused.status_code == 302 and "/account/two-factor" in refused.headers["Location"]
    assert "/account/two-factor/setup" in client.get("/account/two-factor").headers["Location"]

    page = client.get("/account/two-factor/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html
    secret = _SECRET.search(html).group(1).replace(" ", "")
    # The QR code is the otpauth:// URI with the issuer; a reload shows the same key.
    uri = two_factor.enrolment(moderator, secret).uri
    assert uri.startswith("otpauth://totp/") and "issuer=Mekendesh" in uri
    assert secret in client.get("/account/two-factor/setup").get_data(as_text=True).replace(" ", "")

    wrong = client.post("/account/two-factor/setup",
                        data={"code": f"{(int(pyotp.TOTP(secret).now()) + 1) % 10**6:06d}"})
    assert wrong.status_code == 200
    assert "This code is not right" in wrong.get_data(as_text=True)
    assert client.get(STAFF_PAGE).status_code == 302

    done = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    codes = _RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "shown only now" in done.get_data(as_text=True)
    assert client.get(STAFF_PAGE).status_code == 200

    # The key is never shown again, nor stored in clear in the recovery codes.
    assert client.get("/account/two-factor/setup").status_code == 302
    for url in ("/account", "/account/data.json", "/account/two-factor/recovery-codes"):
        body = client.get(url).get_data(as_text=True)
        assert secret not in body and "code_hash" not in body and "totp_secret" not in body
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not any(code.replace("-", "") in h for code in codes
                                              for h in stored)
        assert db.session.scalar(sa.select(AuditEntry.action).where(
            AuditEntry.action == "two_factor.enrol")) == "two_factor.enrol"


def test_each_login_asks_a_code_and_a_code_is_not_accepted_twice(app, make_user) -> None:
    moderator = make_user("moderator")
    first, _ = _sign_in(app, moderator)
    secret, _ = _enrol(first)

    # A new login starts unverified, even for the same person.
    client, response = _sign_in(app, moderator)
    assert "/account/two-factor" in response.headers["Location"]
    assert client.get(STAFF_PAGE).status_code == 302
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and "5 wrong codes in a minute" in page.get_data(as_text=True)

    # The code that confirmed the enrolment was seen: replaying it is refused.
    replay = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert replay.status_code == 200 and "already used" in replay.get_data(as_text=True)
    assert client.get(STAFF_PAGE).status_code == 302

    fresh = _code_after(secret, 1)  # the next 30 seconds' code, within the window
    accepted = client.post("/account/two-factor?next=/moderation/", data={"code": fresh})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/moderation/")
    assert client.get(STAFF_PAGE).status_code == 200

    # Someone who saw it cannot use it in another session either.
    other, _ = _sign_in(app, moderator)
    again = other.post("/account/two-factor", data={"code": fresh})
    assert "already used" in again.get_data(as_text=True)
    assert other.get(STAFF_PAGE).status_code == 302


def test_a_recovery_code_works_once(app, make_user) -> None:
    moderator = make_user("moderator")
    first, _ = _sign_in(app, moderator)
    _, codes = _enrol(first)

    client, _ = _sign_in(app, moderator)
    used = client.post("/account/two-factor", data={"code": codes[3].upper()})
    assert used.status_code == 302
    assert "9 codes are left" in client.get("/account").get_data(as_text=True)
    assert client.get(STAFF_PAGE).status_code == 200

    other, _ = _sign_in(app, moderator)
    refused = other.post("/account/two-factor", data={"code": codes[3]})
    assert refused.status_code == 200
    assert "This code is not right" in refused.get_data(as_text=True)
    assert other.get(STAFF_PAGE).status_code == 302
    assert other.post("/account/two-factor", data={"code": codes[4]}).status_code == 302
    with app.app_context():
        assert two_factor.recovery_codes_left(db.session.get(User, moderator.id)) == 8


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(app, make_user) -> None:
    moderator = make_user("moderator")
    client, _ = _sign_in(app, moderator)
    secret, old = _enrol(client)

    wrong = client.post("/account/two-factor/recovery-codes", data={"code": "not a code"})
    assert wrong.status_code == 200 and "6-digit code" in wrong.get_data(as_text=True)
    made = client.post("/account/two-factor/recovery-codes",
                       data={"code": _code_after(secret, 1)})
    new = _RECOVERY.findall(made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)

    other, _ = _sign_in(app, moderator)
    assert other.post("/account/two-factor", data={"code": old[0]}).status_code == 200
    assert other.post("/account/two-factor", data={"code": new[0]}).status_code == 302


def test_an_admin_resets_a_lost_device_audited_and_the_member_enrols_again(
        app, make_user) -> None:
    moderator, admin = make_user("moderator"), make_user("admin")
    device, _ = _sign_in(app, moderator)
    _enrol(device)
    assert device.get(STAFF_PAGE).status_code == 200

    admin_client = login(app.test_client(), admin)
    listed = admin_client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{moderator.id}/two-factor/reset" in listed
    # Nobody resets their own: no button, and the request is refused.
    assert f"/admin/users/{admin.id}/two-factor/reset" not in listed
    done = admin_client.post(f"/admin/users/{moderator.id}/two-factor/reset")
    assert done.status_code == 302
    assert "next sign-in" in admin_client.get("/admin/users").get_data(as_text=True)

    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "two_factor.reset"))
        assert entry.actor_id == admin.id and entry.object_id == moderator.id
        assert entry.before["recovery_codes_left"] == 10
        assert db.session.get(StaffTotp, moderator.id) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    # The old session (maybe on the lost phone) has ended; the next sign-in enrols again.
    assert "/login" in device.get("/account").headers["Location"]
    client, response = _sign_in(app, moderator)
    assert "/account/two-factor/setup" in client.get(response.headers["Location"]
                                                     ).headers["Location"]


def test_nobody_resets_their_own_authenticator(ctx, make_user) -> None:
    admin, other_admin = make_user("admin"), make_user("admin")
    db.session.add(StaffTotp(user_id=admin.id, totp_secret=pyotp.random_base32()))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        two_factor.reset(admin, admin)
    two_factor.reset(other_admin, admin)
    assert db.session.get(StaffTotp, admin.id) is None


def test_the_only_admin_who_lost_the_device_is_reset_at_the_console(app, make_user) -> None:
    admin = make_user("admin")
    device, _ = _sign_in(app, admin)
    _enrol(device)
    runner = app.test_cli_runner()

    unknown = runner.invoke(args=["reset-two-factor", "--email", "nobody@example.org"])
    assert unknown.exit_code != 0 and "No account has the email" in unknown.output
    done = runner.invoke(args=["reset-two-factor", "--email", admin.email.upper()])
    assert done.exit_code == 0, done.output
    assert "next sign-in" in done.output
    again = runner.invoke(args=["reset-two-factor", "--email", admin.email])
    # The service's refusal, in the site's default language (Kyrgyz).
    assert again.exit_code != 0 and "аутентификатор жок" in again.output

    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "two_factor.reset"))
        assert entry.actor_id is None and entry.object_id == admin.id
        assert db.session.get(StaffTotp, admin.id) is None
    # The old session has ended; the next sign-in sets up an authenticator again.
    assert "/login" in device.get("/account").headers["Location"]
    client, response = _sign_in(app, admin)
    assert "/account/two-factor/setup" in client.get(response.headers["Location"]
                                                     ).headers["Location"]


def test_a_member_is_not_asked_for_a_code(app, make_user, client) -> None:
    member = make_user("member")
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/account")
    assert client.get("/account").status_code == 200
    assert "Staff sign-in" not in client.get("/account").get_data(as_text=True)
    assert client.get("/account/two-factor").status_code == 403
    assert client.get("/account/two-factor/setup").status_code == 403


def test_json_requests_of_an_unverified_moderator_get_403(app, make_user) -> None:
    moderator = make_user("moderator")
    client = login(app.test_client(), moderator, two_factor=False)
    response = client.get(STAFF_PAGE, headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.is_json


def test_the_pages_speak_kyrgyz_and_russian(app, make_user) -> None:
    moderator = make_user("moderator", locale="ky")
    client = login(app.test_client(), moderator, two_factor=False)
    ky = client.get("/account/two-factor/setup?lang=ky").get_data(as_text=True)
    ru = client.get("/account/two-factor/setup?lang=ru").get_data(as_text=True)
    assert "Set up your authenticator" not in ky and "Set up your authenticator" not in ru
    assert re.search("[ңөү]", ky) and "аутентификатор" in ru.lower()


def _staff_powers() -> list[tuple[str, int]]:
    """Every case of the permission walker that a (verified) moderator may do and a member
    may not: the staff pages and actions."""
    from tests.test_permissions import LOGIN, ROUTES

    refused = (LOGIN, 403, 404, 410)
    return [(endpoint, index) for endpoint, cases in ROUTES.items()
            for index, case in enumerate(cases)
            if case.expected["moderator"].status not in refused
            and case.expected["member"].status in refused
            and not endpoint.startswith("accounts.two_factor")]


@pytest.mark.parametrize(("endpoint", "index"), _staff_powers())
def test_an_unverified_moderator_is_refused_on_every_staff_route(
        app: Flask, csrf_on: None, make_user: Callable[..., User], here, elsewhere,
        endpoint: str, index: int) -> None:
    from tests.test_permissions import (
        ROUTES,
        _fresh_world,
        changed_tables,
        fetch_csrf_token,
        snapshot,
    )

    case = ROUTES[endpoint][index]
    world = _fresh_world(app, make_user, {"here": here.id, "elsewhere": elsewhere.id})
    world.acting = world.users["moderator"]
    url = case.url(world) if callable(case.url) else case.url
    data = dict(case.data(world) if callable(case.data) else case.data)
    client = login(app.test_client(), world.users["moderator"], two_factor=False)
    if case.method == "POST":
        data["csrf_token"] = fetch_csrf_token(client, url)
    before = snapshot()
    response = client.open(url, method=case.method, data=data)
    assert not changed_tables(before, snapshot()), f"{case.method} {url} changed data"
    if response.status_code == 302:
        assert "/account/two-factor" in response.headers["Location"], (case.method, url)
    else:
        assert response.status_code in (403, 404), (case.method, url, response.status_code)


@pytest.fixture
def csrf_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from diaspora.extensions import limiter

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setattr(limiter, "enabled", False)


def test_code_attempts_are_limited_per_account(database_url, make_user) -> None:
    from diaspora import create_app
    from tests.conftest import make_test_config

    moderator = make_user("moderator")
    db.session.add(StaffTotp(user_id=moderator.id, totp_secret=pyotp.random_base32()))
    db.session.commit()
    limited = create_app(make_test_config(database_url, RATELIMIT_ENABLED=True,
                                          RATELIMIT_STORAGE_URI="memory://"))
    statuses = []
    for attempt in range(6):
        # From a new address each time: the limit follows the account, not the address.
        client = login(limited.test_client(), moderator, two_factor=False)
        statuses.append(client.post(
            "/account/two-factor?lang=en", data={"code": "12345"},
            environ_overrides={"REMOTE_ADDR": f"198.51.100.{attempt + 1}"}).status_code)
    assert statuses == [200] * 5 + [429]

"""Roles: the first admin, changing roles (audited), demo accounts."""

from __future__ import annotations

import sqlalchemy as sa

from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.moderation.models import AuditEntry
from tests.conftest import login


def test_create_admin_command(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "Boss@Example.org", "--password", "Strong-admin-2026"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
        assert admin.role == "admin" and admin.check_password("Strong-admin-2026")
    weak = runner.invoke(args=["create-admin", "--email", "b@example.org", "--password", "weak"])
    assert weak.exit_code != 0
    assert "10" in weak.output  # the reason, in the default language


def test_admin_changes_role_and_it_is_audited(app, client, make_user) -> None:
    admin, member = make_user("admin"), make_user("member")
    login(client, admin)
    assert member.email in client.get("/admin/users").get_data(as_text=True)
    response = client.post(f"/admin/users/{member.id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).role == "moderator"
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.actor_id, entry.object_id) == (
            "user.change_role",
            admin.id,
            member.id,
        )
        assert (entry.before, entry.after) == ({"role": "member"}, {"role": "moderator"})
    assert "user.change_role" in client.get("/moderation/audit").get_data(as_text=True)


def test_admin_cannot_demote_themselves_and_others_cannot_change_roles(client, make_user) -> None:
    admin, moderator, member = make_user("admin"), make_user("moderator"), make_user("member")
    login(client, admin)
    assert client.post(f"/admin/users/{admin.id}/role", data={"role": "member"}).status_code == 403
    login(client, moderator)
    assert client.post(f"/admin/users/{member.id}/role", data={"role": "admin"}).status_code == 403
    assert client.post("/admin/users/999999/role", data={"role": "admin"}).status_code == 404


def test_unknown_role_is_refused(app, client, make_user) -> None:
    admin, member = make_user("admin"), make_user("member")
    login(client, admin)
    client.post(f"/admin/users/{member.id}/role", data={"role": "king"})
    with app.app_context():
        assert db.session.get(User, member.id).role == "member"


def test_seed_demo_creates_every_role_once(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--members", "5"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo"])
    assert "nothing to do" in second.output
    with app.app_context():
        roles = {
            u.email: u.role
            for u in db.session.scalars(sa.select(User).where(User.email.is_not(None)))
        }
        for email, role, password, _name in DEMO_ACCOUNTS:
            assert roles[email] == role
            assert db.session.scalar(sa.select(User).where(User.email == email)).check_password(
                password
            )
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == len(DEMO_ACCOUNTS) + 5
        authority = db.session.scalar(
            sa.select(User).where(User.email == "authority@demo.mekendesh.kg")
        )
        assert authority.authority_places and authority.authority_places[0].verified


def test_users_page_counts_with_plural_forms(client, make_user) -> None:
    login(client, make_user("admin"))
    assert "1 account" in client.get("/admin/users?lang=en").get_data(as_text=True)
    make_user("member")
    assert "2 accounts" in client.get("/admin/users?lang=en").get_data(as_text=True)


def test_bootstrap_adds_demo_data_to_a_new_database_only(tmp_path) -> None:
    from diaspora import create_app
    from tests.conftest import make_test_config

    fresh = create_app(make_test_config(f"sqlite:///{tmp_path}/fresh.sqlite3"))
    runner = fresh.test_cli_runner()
    first = runner.invoke(args=["bootstrap"])
    assert first.exit_code == 0, first.output
    assert "Demo accounts created" in first.output
    with fresh.app_context():
        users_after_first = db.session.scalar(sa.select(sa.func.count(User.id)))
        assert users_after_first > len(DEMO_ACCOUNTS)
        # A member erases a demo account: starting again must not bring demo data back. (Not
        # a DELETE of the row: the audit log names it, and the log is append-only.)
        from diaspora.accounts import service

        gone = db.session.scalar(sa.select(User).where(User.email == DEMO_ACCOUNTS[4][0]))
        service.delete_personal_data(gone, gone)
    second = runner.invoke(args=["bootstrap"])
    assert second.exit_code == 0 and "Demo accounts created" not in second.output
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == users_after_first
        assert db.session.scalar(sa.select(User).where(User.email == DEMO_ACCOUNTS[4][0])) is None
        db.engine.dispose()

"""The audit log: append-only in the database, filtered and exported by staff."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diaspora.accounts import service as accounts
from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.moderation import guard
from diaspora.moderation.models import AuditEntry
from tests.conftest import login


def _entry(actor: User | None, action: str, object_type: str = "newspost",
           object_id: int | None = 1, *, at: datetime | None = None,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action,
                       object_type=object_type, object_id=object_id, before=before,
                       after=after, created_at=at or datetime.now(UTC))
    db.session.add(entry)
    db.session.commit()
    return entry


# -- the database refuses changes ------------------------------------------------------------


def test_the_database_refuses_update_and_delete_of_audit_rows(make_user):
    admin = make_user("admin")
    entry = _entry(admin, "user.change_role", "user", admin.id, after={"role": "admin"})
    entry_id = entry.id
    db.session.remove()
    statements = [
        "UPDATE audit_log SET action = 'nothing.happened'",
        "UPDATE audit_log SET actor_id = NULL WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
        "DELETE FROM audit_log",
    ]
    if db.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement), {"id": entry_id})
    # Through the ORM too, as application code would try it.
    row = db.session.get(AuditEntry, entry_id)
    row.after = {"role": "member"}
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry_id))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.remove()
    kept = db.session.get(AuditEntry, entry_id)
    assert (kept.action, kept.actor_id, kept.after) == ("user.change_role", admin.id,
                                                        {"role": "admin"})
    # New rows are still written.
    _entry(admin, "news.publish")
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 2


def test_deleting_an_account_the_log_names_is_refused(make_user):
    """Its ON DELETE SET NULL would rewrite the log: the database says no, and the whole
    transaction goes."""
    moderator = make_user("moderator")
    _entry(moderator, "news.unpublish")
    db.session.delete(moderator)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(User, moderator.id) is not None


def test_erasing_a_member_keeps_the_log_and_anonymises_who_acted(app, make_user):
    """Erasure works with the guard on: it empties the account, not the log."""
    member = make_user("member", email="aigul@example.org")
    member.profile.display_name = "Aigul Sydykova"
    db.session.commit()
    accounts.change_password(member, "Correct-horse-42", "Another-long-horse-77")
    accounts.delete_personal_data(member, member)
    rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["user.change_password", "user.delete_personal_data"]
    assert all(r.actor_id == member.id for r in rows)
    admin = make_user("admin")
    page = login(app.test_client(), admin).get("/moderation/audit").get_data(as_text=True)
    assert "user.delete_personal_data" in page
    assert "Aigul" not in page and "aigul@" not in page
    assert f"#{member.id}" in page


def test_the_guard_is_in_place_after_the_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        assert guard.installed(conn)


# -- reading: filters, pages --------------------------------------------------------------------


@pytest.fixture
def log(make_user):
    """A small log: two moderators, an admin, the system; three days."""
    aigul = make_user("moderator", email="aigul@example.org")
    aigul.profile.display_name = "Aigul Moderator"
    bakyt = make_user("moderator", email="bakyt@example.org")
    bakyt.profile.display_name = "Bakyt"
    admin = make_user("admin", email="boss@example.org")
    db.session.commit()
    day = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    _entry(aigul, "news.publish", "newspost", 11, at=day)
    _entry(aigul, "news.unpublish", "newspost", 11, at=day + timedelta(days=1))
    _entry(bakyt, "project.approve", "project", 7, at=day + timedelta(days=1))
    _entry(admin, "user.change_role", "user", bakyt.id, at=day + timedelta(days=2),
           before={"role": "member"}, after={"role": "moderator"})
    _entry(None, "news.publish_scheduled", "newspost", 12, at=day + timedelta(days=2))
    return {"aigul": aigul, "bakyt": bakyt, "admin": admin}


def _shown(app, user, query: str = "") -> set[str]:
    response = login(app.test_client(), user).get(f"/moderation/audit{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {action for action in ("news.publish<", "news.unpublish", "project.approve",
                                  "user.change_role", "news.publish_scheduled")
            if f"<code>{action.rstrip('<')}</code>" in html}


def test_filters_by_actor_action_object_and_days(app, log):
    admin = log["admin"]
    everything = {"news.publish<", "news.unpublish", "project.approve", "user.change_role",
                  "news.publish_scheduled"}
    assert _shown(app, admin) == everything
    aigul = {"news.publish<", "news.unpublish"}
    assert _shown(app, admin, f"?actor={log['aigul'].id}") == aigul
    assert _shown(app, admin, "?actor=AIGUL@example.org") == aigul
    assert _shown(app, admin, "?actor=moderator") == aigul  # part of the name
    # A kind of action, or one action.
    assert _shown(app, admin, "?action=news.") == {"news.publish<", "news.unpublish",
                                                   "news.publish_scheduled"}
    assert _shown(app, admin, "?action=news.publish") == {"news.publish<"}
    assert _shown(app, admin, "?object_type=newspost&object_id=11") == aigul
    # Days in the viewer's time zone (Asia/Bishkek, UTC+6), both ends included.
    assert _shown(app, admin, "?date_from=2026-11-21&date_to=2026-11-21") == {
        "news.unpublish", "project.approve"}
    assert _shown(app, admin, "?date_from=2026-11-22") == {"user.change_role",
                                                           "news.publish_scheduled"}
    assert _shown(app, admin, "?actor=bakyt&action=project.&date_to=2026-11-21") == {
        "project.approve"}


def test_action_choices_are_the_actions_the_log_holds(app, log):
    html = login(app.test_client(), log["admin"]).get("/moderation/audit").get_data(
        as_text=True)
    for value in ("news.", "news.publish", "news.unpublish", "project.", "user.change_role"):
        assert f'value="{value}"' in html
    assert 'value="survey.' not in html


@pytest.mark.parametrize("query", [
    "?date_from=yesterday", "?date_from=0001-01-01", "?object_id=99999999999999999999",
    "?object_id=abc", "?action=no.such.action", "?date_from=2026-11-22&date_to=2026-11-21",
])
def test_a_filter_that_cannot_be_read_is_shown_at_its_field(app, log, query):
    response = login(app.test_client(), log["admin"]).get(f"/moderation/audit{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "<code>" not in html  # no rows that would look filtered when they are not
    assert login(app.test_client(), log["admin"]).get(
        f"/moderation/audit.csv{query}").status_code == 400


def test_pages_keep_the_filters_and_cost_the_same_queries(app, make_user):
    admin = make_user("admin")
    actors = [make_user("moderator") for _ in range(3)]
    for n in range(120):
        _entry(actors[n % 3], "news.publish" if n % 2 else "survey.open", object_id=n)
    client = login(app.test_client(), admin)
    html = client.get("/moderation/audit?action=news.").get_data(as_text=True)
    assert "60 entries" in html
    links = re.findall(r'href="([^"]*page=2[^"]*)"', html)
    assert links and all("action=news." in link for link in links)
    second = client.get("/moderation/audit?action=news.&page=2").get_data(as_text=True)
    assert second.count("<code>news.publish</code>") == 10
    assert "survey.open</code>" not in second

    def queries(url: str) -> int:
        seen: list[str] = []

        def remember(*args) -> None:
            seen.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return len(seen)

    assert queries("/moderation/audit?object_id=1") == queries("/moderation/audit")


# -- the CSV export ----------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_has_the_filtered_rows_in_utc_and_is_safe_in_a_spreadsheet(app, make_user):
    admin = make_user("admin")
    admin.profile.display_name = '=HYPERLINK("http://evil.example","click") & "Co"'
    db.session.commit()
    at = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    _entry(admin, "project.reject", "project", 5, at=at,
           before={"status": "submitted"}, after={"reason": '-2+3 & "quoted" <b>'})
    _entry(admin, "news.publish", "newspost", 9, at=at)
    response = login(app.test_client(), admin).get("/moderation/audit.csv?action=project.")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:3] == ["Number", "When (UTC)", "Account id"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["When (UTC)"] == "2026-11-27T23:30:00+00:00"
    assert row["Account id"] == str(admin.id)
    # A formula is shown as text; & and quotes survive the CSV quoting unchanged.
    assert row["Who"] == "'" + '=HYPERLINK("http://evil.example","click") & "Co"'
    assert row["Action"] == "project.reject" and row["Object id"] == "5"
    assert row["After"] == '{"reason": "-2+3 & \\"quoted\\" <b>"}'
    assert row["Before"] == '{"status": "submitted"}'


def test_csv_neutralises_every_formula_start(ctx):
    from diaspora.moderation.audit import _cell

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert _cell(f"{start}1+1") == f"'{start}1+1"
    assert _cell("Bishkek & Osh") == "Bishkek & Osh"
    assert _cell(None) == ""


def test_csv_streams_a_long_log_in_batches(app, make_user, monkeypatch):
    from diaspora.moderation import audit

    monkeypatch.setattr(audit, "EXPORT_BATCH", 7)
    admin = make_user("admin")
    for n in range(30):
        _entry(admin, "survey.open", "survey", n)
    response = login(app.test_client(), admin).get("/moderation/audit.csv")
    assert response.is_streamed
    _header, *rows = _csv(response)
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    assert len({r[0] for r in rows}) == 30


def test_who_may_read_and_export(app, users):
    _entry(users["admin"], "user.change_role", "user", users["member"].id)
    for role in ("member", "authority_here"):
        client = login(app.test_client(), users[role])
        assert client.get("/moderation/audit").status_code == 403
        assert client.get("/moderation/audit.csv").status_code == 403
    moderator = login(app.test_client(), users["moderator"])
    page = moderator.get("/moderation/audit").get_data(as_text=True)
    assert "user.change_role" in page and "audit.csv" not in page
    assert moderator.get("/moderation/audit.csv").status_code == 403
    admin = login(app.test_client(), users["admin"])
    assert "audit.csv" in admin.get("/moderation/audit").get_data(as_text=True)
    assert admin.get("/moderation/audit.csv").status_code == 200
    assert app.test_client().get("/moderation/audit.csv").status_code == 302


def test_no_route_changes_or_deletes_audit_rows(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "9" * 40, "%_\\", "<script>", "x" * 300,
                                   "#2147483648", "0001-01-01"])
def test_hostile_filter_values_are_never_a_server_error(app, log, value):
    client = login(app.test_client(), log["admin"])
    for name in ("actor", "action", "object_type", "object_id", "date_from", "date_to"):
        for url in ("/moderation/audit", "/moderation/audit.csv"):
            response = client.get(url, query_string={name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
            response.get_data()

"""Issue 7, item 14: what is not public is never cached by others; audit rows name the real
type of the object, even when it was passed as a LocalProxy such as `current_user`."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image
from werkzeug.local import LocalProxy

from diaspora.extensions import db
from diaspora.moderation import audit
from diaspora.moderation.models import AuditEntry
from diaspora.news import service as news
from tests.conftest import login


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, format="PNG")
    return out.getvalue()


def test_draft_images_are_private_published_ones_public(client, users):
    moderator = users["moderator"]
    post = news.save_post(moderator, title={"en": "Pictured"}, body={"en": "x"}, image=_png())
    image_url = f"/news/images/{post.image_id}"
    login(client, moderator)
    draft = client.get(image_url)
    assert draft.status_code == 200 and draft.mimetype == "image/jpeg"
    assert draft.headers["Cache-Control"] == "private, no-store"
    news.publish(moderator, post)
    public = client.application.test_client().get(image_url)
    assert public.status_code == 200
    assert public.headers["Cache-Control"] == "public, max-age=86400"


def test_signed_in_pages_are_not_stored(client, users):
    assert "no-store" not in client.get("/news/").headers.get("Cache-Control", "")
    login(client, users["member"])
    assert client.get("/account").headers["Cache-Control"] == "private, no-store"


def test_audit_rows_name_the_object_behind_a_proxy(users):
    moderator = users["moderator"]
    post = news.save_post(moderator, title={"en": "T"}, body={"en": "x"})
    audit.record(LocalProxy(lambda: moderator), "test.user", LocalProxy(lambda: moderator))
    audit.record(moderator, "test.post", LocalProxy(lambda: post))
    db.session.commit()
    rows = {row.action: row for row in db.session.scalars(sa.select(AuditEntry))}
    assert (rows["test.user"].object_type, rows["test.user"].object_id) == ("user", moderator.id)
    assert rows["test.user"].actor_id == moderator.id
    assert (rows["test.post"].object_type, rows["test.post"].object_id) == ("newspost", post.id)


def test_a_signed_in_visitors_stylesheet_asks_nothing_of_the_database(app, client, users):
    """Every page pulls its stylesheets; deciding their caching must not load the user."""
    login(client, users["member"])
    statements: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        response = client.get("/static/css/mekendesh.css")
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    assert statements == []

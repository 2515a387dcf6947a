"""The staff progress page and cancel button; everyone else is refused."""

from __future__ import annotations

from diaspora.delivery import service as delivery
from diaspora.delivery.models import Broadcast
from diaspora.extensions import db
from tests.conftest import login


def test_progress_page_and_cancel(app, users, make_user):
    for chat in range(3):
        make_user(telegram_chat_id=700 + chat)
    broadcast = delivery.enqueue_broadcast(users["moderator"], subject="t", template="text",
                                           params={"text": {"en": "Hello members"}})
    db.session.commit()
    for role in ("member", "authority_here", "authority_elsewhere"):
        client = login(app.test_client(), users[role])
        assert client.get(f"/broadcasts/{broadcast.id}").status_code == 403
        assert client.post(f"/broadcasts/{broadcast.id}/cancel").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/broadcasts/{broadcast.id}").status_code == 302
    staff = login(app.test_client(), users["moderator"])
    page = staff.get(f"/broadcasts/{broadcast.id}?lang=en").get_data(as_text=True)
    assert "Hello members" in page and "<progress" in page
    data = staff.get(f"/broadcasts/{broadcast.id}/progress.json").get_json()
    assert data["total"] == 3 and data["queued"] == 3 and data["percent"] == 0.0
    assert staff.get("/broadcasts/").status_code == 200
    assert staff.get("/broadcasts/999999").status_code == 404
    cancelled = staff.post(f"/broadcasts/{broadcast.id}/cancel?lang=ru")
    assert cancelled.status_code == 302
    shown = staff.get(cancelled.headers["Location"]).get_data(as_text=True)
    assert "3 сообщения не будут отправлены" in shown  # the Russian plural for 3
    db.session.expire_all()
    assert db.session.get(Broadcast, broadcast.id).cancelled
    assert delivery.progress(broadcast).cancelled == 3

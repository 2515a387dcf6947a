"""Every route, every role: the answer each one gets.

A route missing from ROUTES fails the first test, so a new page cannot ship without
someone deciding who may open it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.extensions import db
from diaspora.news import service as news
from diaspora.news.models import HOME, NewsPost
from tests.conftest import login

ROLES = ("anonymous", "member", "authority_here", "authority_elsewhere", "moderator", "admin")

LOGIN = "login"  # anonymous visitors are sent to the login page


def answers(default: int | str, **per_role: int | str) -> dict[str, int | str]:
    table = dict.fromkeys(ROLES, default)
    table.update(per_role)
    return table


PUBLIC = answers(200)
MEMBERS = answers(200, anonymous=LOGIN)
STAFF = answers(403, anonymous=LOGIN, moderator=200, admin=200)
ADMINS = answers(403, anonymous=LOGIN, admin=200)
VISITORS_ONLY = answers(302, anonymous=200)  # a logged-in user is sent to their account


@dataclass
class Route:
    method: str
    url: Callable[[dict], str] | str
    expected: dict[str, int | str]
    data: dict = field(default_factory=dict)


def _pending_authority(objects: dict) -> int:
    applicant = User(role="authority")
    db.session.add(applicant)
    db.session.flush()
    link = AuthorityPlace(user_id=applicant.id, place_id=objects["here"].id, organisation="X")
    db.session.add(link)
    db.session.commit()
    return link.id


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _post(objects: dict, *, published: bool = True) -> NewsPost:
    """A post by the authority of this place, about this place, with an image."""
    author = objects["users"]["authority_here"]
    post = news.save_post(author, title={"en": "Road repaired"}, body={"en": "Done."},
                          audience=HOME, place_id=objects["here"].id, image=_png(),
                          push_telegram=True)
    if published:
        news.publish(author, post)
    return post


def _broadcast(objects: dict) -> int:
    return _post(objects).broadcast_id


ROUTES: dict[str, list[Route]] = {
    "main.index": [Route("GET", "/", PUBLIC)],
    "main.privacy": [Route("GET", "/privacy", PUBLIC)],
    "main.healthz": [Route("GET", "/healthz", PUBLIC)],
    "accounts.register": [Route("GET", "/register", VISITORS_ONLY)],
    "accounts.login": [Route("GET", "/login", VISITORS_ONLY)],
    "accounts.logout": [Route("POST", "/logout", answers(302))],
    "accounts.account": [Route("GET", "/account", MEMBERS)],
    "accounts.edit_profile": [Route("GET", "/account/profile", MEMBERS)],
    "accounts.request_authority": [
        Route("GET", "/account/authority", answers(200, anonymous=LOGIN, moderator=403, admin=403))
    ],
    "accounts.download_data": [Route("GET", "/account/data.json", MEMBERS)],
    "accounts.delete_account": [Route("GET", "/account/delete", MEMBERS)],
    "accounts.link_telegram": [
        Route("POST", "/account/telegram/link", answers(302, anonymous=LOGIN), {"code": "x"})
    ],
    "accounts.confirm_link_telegram": [
        Route("POST", "/account/telegram/link/confirm", answers(302, anonymous=LOGIN),
              {"code": "x"})
    ],
    "accounts.change_password": [Route("GET", "/account/password", MEMBERS)],
    "accounts.logout_everywhere": [
        Route("POST", "/account/logout-everywhere", answers(302, anonymous=LOGIN))
    ],
    # A used, expired or unknown login link is gone for everyone.
    "accounts.login_telegram": [Route("GET", "/login/telegram/not-a-token", answers(410))],
    "admin.users": [Route("GET", "/admin/users", ADMINS)],
    "admin.change_role": [
        Route(
            "POST",
            lambda o: f"/admin/users/{o['users']['member'].id}/role",
            answers(403, anonymous=LOGIN, admin=302),
            data={"role": "member"},
        ),
    ],
    "news.index": [Route("GET", "/news/", PUBLIC)],
    "news.feed": [Route("GET", "/news/feed/en.atom", PUBLIC)],
    "news.show": [
        Route("GET", lambda o: f"/news/{_post(o).id}", PUBLIC),
        Route("GET", lambda o: f"/news/{_post(o, published=False).id}",
              answers(404, authority_here=200, moderator=200, admin=200)),
        Route("GET", "/news/999999", answers(404)),
    ],
    "news.image": [
        Route("GET", lambda o: f"/news/images/{_post(o).image.id}", PUBLIC),
        Route("GET", lambda o: f"/news/images/{_post(o, published=False).image.id}",
              answers(404, authority_here=200, moderator=200, admin=200)),
    ],
    "news.create": [Route("GET", "/news/new", answers(200, anonymous=LOGIN, member=403))],
    "news.manage": [Route("GET", "/news/manage", answers(200, anonymous=LOGIN, member=403))],
    "news.edit": [
        Route("GET", lambda o: f"/news/{_post(o).id}/edit",
              answers(403, anonymous=LOGIN, authority_here=200, moderator=200, admin=200)),
        Route("GET", "/news/999999/edit", answers(404, anonymous=LOGIN)),
    ],
    "news.unpublish": [
        Route("POST", lambda o: f"/news/{_post(o).id}/unpublish",
              answers(403, anonymous=LOGIN, moderator=302, admin=302)),
    ],
    "delivery.index": [Route("GET", "/broadcasts/", STAFF)],
    "delivery.show": [
        Route("GET", lambda o: f"/broadcasts/{_broadcast(o)}", STAFF),
        Route("GET", "/broadcasts/999999", answers(404, anonymous=LOGIN, member=403,
                                                   authority_here=403, authority_elsewhere=403)),
    ],
    "delivery.progress_json": [
        Route("GET", lambda o: f"/broadcasts/{_broadcast(o)}/progress.json", STAFF),
    ],
    "delivery.cancel": [
        Route("POST", lambda o: f"/broadcasts/{_broadcast(o)}/cancel",
              answers(403, anonymous=LOGIN, moderator=302, admin=302)),
    ],
    "moderation.dashboard": [Route("GET", "/moderation/", STAFF)],
    "moderation.decide_authority": [
        Route(
            "POST",
            lambda o: f"/moderation/authorities/{_pending_authority(o)}/reject",
            answers(403, anonymous=LOGIN, moderator=302, admin=302),
        ),
    ],
    "moderation.add_community": [Route("GET", "/moderation/places", STAFF)],
    "moderation.audit_log": [Route("GET", "/moderation/audit", STAFF)],
}

IGNORED_ENDPOINTS = {"static"}


def test_every_route_has_its_permissions_written_down(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - IGNORED_ENDPOINTS
    missing = endpoints - set(ROUTES)
    assert not missing, f"routes with no permission expectations: {sorted(missing)}"
    gone = set(ROUTES) - endpoints
    assert not gone, f"expectations for routes that no longer exist: {sorted(gone)}"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_each_role_gets_the_expected_answer(app, endpoint: str, users, here, elsewhere) -> None:
    objects = {"users": users, "here": here, "elsewhere": elsewhere}
    for route in ROUTES[endpoint]:
        for role in ROLES:
            url = route.url(objects) if callable(route.url) else route.url
            client = app.test_client()
            login(client, users[role])
            response = client.open(url, method=route.method, data=route.data)
            expected = route.expected[role]
            if expected == LOGIN:
                assert response.status_code == 302, (endpoint, role, response.status_code)
                assert "/login" in response.headers["Location"], (endpoint, role)
            else:
                assert response.status_code == expected, (endpoint, role, response.status_code)

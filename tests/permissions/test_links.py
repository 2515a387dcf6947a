"""Pages offer a link only to those the link's page lets in (the navigation's staff links,
the authority request, a post's edit and delivery links), decided by can()."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask

from diaspora.news import service as news
from diaspora.news.models import HOME
from tests.conftest import login
from tests.test_permissions import ROLES

_HREF = re.compile(r'href="([^"]+)"')


def _links(html: str) -> set[str]:
    """Same-site page links (not static files, not the language switch)."""
    found = set()
    for href in _HREF.findall(html):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
            continue
        if "lang=" in parts.query:
            continue
        found.add(parts.path)
    return found


@pytest.fixture
def pages(users, here) -> list[str]:
    author = users["authority_here"]
    published = news.save_post(author, title={"en": "Road"}, body={"en": "Done."},
                               audience=HOME, place_id=here.id, push_telegram=True)
    news.publish(author, published)
    draft = news.save_post(author, title={"en": "Draft"}, body={"en": "Soon."},
                           audience=HOME, place_id=here.id)
    return ["/", "/account", "/news/", f"/news/{published.id}", f"/news/{draft.id}",
            "/news/manage", f"/news/{draft.id}/edit", "/moderation/", "/broadcasts/"]


def _offered(app: Flask, user, pages: list[str]) -> dict[str, set[str]]:
    """page -> the links it shows `user` (pages `user` may not open left out)."""
    client = login(app.test_client(), user)
    offered = {}
    for page in pages:
        response = client.get(page)
        if response.status_code == 200:
            offered[page] = _links(response.get_data(as_text=True))
    return offered


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_page_offers_opens(app: Flask, users, pages, role: str) -> None:
    user = users[role]
    client = login(app.test_client(), user)
    refused = []
    for page, links in _offered(app, user, pages).items():
        for link in sorted(links):
            status = client.get(link).status_code
            if status in (401, 403, 404) or (status == 302 and user is not None
                                              and link not in ("/login", "/register")):
                refused.append((page, link, status))
    assert not refused, f"{role} is offered links that refuse them: {refused}"


def test_staff_links_and_the_authority_request_are_offered_to_those_allowed(
        app: Flask, users, pages) -> None:
    def everything(role: str) -> set[str]:
        return set().union(*_offered(app, users[role], pages).values())

    member, authority = everything("member"), everything("authority_here")
    moderator, admin = everything("moderator"), everything("admin")
    assert "/moderation/" in moderator and "/broadcasts/" in moderator
    assert "/admin/users" in admin and "/admin/users" not in moderator
    assert "/account/authority" in member and "/account/authority" in authority
    assert "/account/authority" not in moderator | admin
    assert not {"/moderation/", "/broadcasts/", "/admin/users"} & (member | authority)
    assert any(link.endswith("/edit") for link in authority)
    assert not any(link.endswith("/edit") for link in member)

"""Accessibility: axe-core in real headless Chromium over the main pages, in ky, ru and en,
logged out and as each role, plus the keyboard (skip link, visible focus).

axe-core is vendored (tests/vendor/axe-core, no network). A page fails on any violation of
impact "serious" or "critical" among the WCAG 2.0/2.1 A and AA rules. One browser, one
context per role; axe is injected once per page. Everything axe found is also written to
test-artifacts/a11y/axe.json, to read when the test fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from diaspora.extensions import db
from tests.browser import CHROMIUM, chromium_or_skip, served
from tests.conftest import login

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "a11y"
LANGUAGES = ("ky", "ru", "en")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# Colours do not change with the language, and color-contrast is the slowest rule by far:
# checked once per page, in Kyrgyz, under the light and the dark system theme (Pico follows
# prefers-color-scheme); Russian and English run every other rule.
CONTRAST_ONLY = {"runOnly": {"type": "rule", "values": ["color-contrast"]},
                 "resultTypes": ["violations"]}
NO_CONTRAST = {**AXE_OPTIONS, "rules": {"color-contrast": {"enabled": False}}}
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    chromium_or_skip()
    with served(app) as address:
        yield address


def _demo_world(app: Flask) -> dict:
    """The demo data (flask seed-demo), and the ids of one item of each kind to open."""
    from diaspora.accounts.demo import DEMO_ACCOUNTS
    from diaspora.accounts.models import User
    from diaspora.cli import seed_demo
    from diaspora.news.models import NewsPost
    from diaspora.projects.models import PUBLIC_STATES, Project
    from diaspora.support.models import SupportRequest
    from diaspora.surveys.models import OPEN, Survey

    with app.app_context():
        seed_demo(3)
        users = {role: db.session.scalar(sa.select(User).where(User.email == email))
                 for email, role, _password, _name in reversed(DEMO_ACCOUNTS)}
        project = db.session.scalar(sa.select(Project).where(Project.status.in_(PUBLIC_STATES))
                                    .order_by(Project.id))
        survey = db.session.scalar(sa.select(Survey).where(Survey.status == OPEN)
                                   .order_by(Survey.id))
        world = {
            "users": {role: user.id for role, user in users.items()},
            "post": db.session.scalar(sa.select(NewsPost.id).where(
                NewsPost.status == "published").order_by(NewsPost.id)),
            "project": project.id,
            "project_place": project.place_id,
            "survey": survey.id,
            "request": db.session.scalar(sa.select(SupportRequest.id).where(
                SupportRequest.requester_id == users["member"].id).order_by(SupportRequest.id)),
        }
        place = users["authority"].authority_places[0]
        world["authority_place"] = place.place_id
        world["authority_region"] = place.place.region_id or place.place_id
    assert all(value for value in world.values()), world
    return world


def _pages(w: dict) -> dict[str, list[str]]:
    """The main pages each visitor opens (what a role adds to what everyone sees)."""
    return {
        "anonymous": [
            "/", "/news/", f"/news/{w['post']}", "/projects/", f"/projects/{w['project']}",
            f"/projects/place/{w['project_place']}", "/surveys/", "/privacy", "/login",
            "/register", "/insights/",
        ],
        "member": [
            "/", f"/projects/{w['project']}", "/projects/new", "/projects/mine",
            f"/surveys/{w['survey']}", "/support/", "/support/new",
            f"/support/{w['request']}" if w["request"] else "/support/",
            f"/support/services/{w['authority_place']}", "/account", "/account/profile",
            "/account/password", "/notifications/", "/notifications/settings",
        ],
        "authority": [
            "/projects/queue", "/support/queue", "/news/new", "/news/manage",
            "/account/authority", f"/projects/{w['project']}",
            f"/insights/region/{w['authority_region']}",
        ],
        "moderator": [
            "/moderation/", "/moderation/reports", "/moderation/authorities",
            "/moderation/villages", "/moderation/places", "/moderation/audit",
            "/projects/moderation", "/surveys/manage", f"/surveys/{w['survey']}/edit",
            f"/surveys/{w['survey']}/results", "/broadcasts/",
        ],
        "admin": ["/admin/users"],
    }


def _session_cookie(app: Flask, user_id: int | None, site: str) -> list[dict]:
    """The signed session cookie of a user who signed in (staff: past the second step)."""
    if user_id is None:
        return []
    from diaspora.accounts.models import User

    client = app.test_client()
    with app.app_context():
        login(client, db.session.get(User, user_id))
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return [{"name": cookie.key, "value": cookie.value, "url": site}]


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _forms_with_errors(w: dict) -> dict[str, list[str]]:
    """Forms sent empty (in Kyrgyz), so the page comes back with its errors shown."""
    return {"anonymous": ["/register", "/login"],
            "member": ["/support/new", "/projects/new", f"/surveys/{w['survey']}"]}


def _send_empty(page, url: str) -> None:  # noqa: ANN001
    """Send the page's first form empty, past the browser's own checks (required=...)."""
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.evaluate("""() => {
            const form = document.querySelector('main form[method=post]');
            form.querySelectorAll('input:not([type=hidden]), textarea, select').forEach(f => {
                if (f.type === 'checkbox' || f.type === 'radio') f.checked = false;
                else f.value = '';
            });
            form.noValidate = true;
            form.submit();
        }""")
    assert page.locator("[aria-invalid=true]").count() > 0, f"{url}: no field marked invalid"


def test_axe_finds_no_serious_violation_on_the_main_pages(site: str, app: Flask) -> None:
    from playwright.sync_api import sync_playwright

    world = _demo_world(app)
    axe_source = AXE.read_text(encoding="utf-8")
    found: list[dict] = []
    checked = 0

    def check(page, role: str, url: str, lang: str) -> None:  # noqa: ANN001
        nonlocal checked
        assert page.get_attribute("html", "lang") == lang, (role, url)
        runs = [("light", AXE_OPTIONS), ("dark", CONTRAST_ONLY)] if lang == "ky" \
            else [("light", NO_CONTRAST)]
        for scheme, options in runs:
            page.emulate_media(color_scheme=scheme)
            result = page.evaluate("o => axe.run(document, o)", options)
            for violation in result["violations"]:
                found.append({
                    "role": role, "url": url, "scheme": scheme,
                    "rule": violation["id"], "impact": violation["impact"],
                    "help": violation["help"],
                    "targets": [n["target"] for n in violation["nodes"]][:5],
                    "html": [n["html"][:200] for n in violation["nodes"]][:3],
                })
        page.emulate_media(color_scheme="light")
        checked += 1

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for role, paths in _pages(world).items():
                # Reduced motion: Pico's colour transitions (.2s) then end at once, so axe
                # never measures a colour halfway between two themes.
                context = browser.new_context(viewport={"width": 1024, "height": 800},
                                              reduced_motion="reduce")
                context.add_cookies(_session_cookie(app, world["users"].get(role), site))
                # Through DevTools, not a <script>: the site's CSP (script-src 'self') stays on.
                context.add_init_script(script=axe_source)
                page = context.new_page()
                for path in paths:
                    for lang in LANGUAGES:
                        url = _with_lang(path, lang)
                        response = page.goto(site + url, wait_until="domcontentloaded")
                        assert response is not None and response.status == 200, (role, url)
                        check(page, role, url, lang)
                for path in _forms_with_errors(world).get(role, []):
                    url = _with_lang(path, "ky")
                    page.goto(site + url, wait_until="domcontentloaded")
                    _send_empty(page, url)
                    check(page, role, f"{url} (errors)", "ky")
                context.close()
        finally:
            browser.close()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(found, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    assert checked >= 3 * 40 + 5
    blocking = [item for item in found if item["impact"] in BLOCKING]
    summary = sorted({(item["rule"], item["scheme"], item["role"], item["url"].split("?")[0])
                      for item in blocking})
    assert not blocking, "\n".join(" ".join(row) for row in summary)


def test_keyboard_reaches_main_content_through_a_visible_skip_link(site: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 800})
            page.goto(f"{site}/news/?lang=en")
            skip = page.locator("a.skip-link")
            expect(skip).not_to_be_in_viewport()  # out of the way until needed
            page.keyboard.press("Tab")
            expect(skip).to_be_focused()
            expect(skip).to_be_in_viewport()
            expect(skip).to_have_text("Skip to main content")
            # The keyboard focus is drawn (an outline, not the browser's nothing).
            outline = skip.evaluate(
                "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth] }")
            assert outline[0] not in ("none", "") and outline[1] != "0px", outline
            page.keyboard.press("Enter")
            assert page.evaluate("location.hash") == "#main"
            # The next Tab goes on inside <main>, past the menus.
            page.keyboard.press("Tab")
            assert page.evaluate("!!document.activeElement.closest('main')")
            link = page.locator("main a").first
            link.focus()
            outline = link.evaluate("el => getComputedStyle(el).outlineStyle")
            assert outline not in ("none", ""), outline
        finally:
            browser.close()

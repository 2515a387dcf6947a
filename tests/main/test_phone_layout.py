"""The main pages on a cheap phone, in real headless Chromium: nothing scrolls sideways at
360 px in Kyrgyz, Russian or English for any role, a first load weighs under 150 KB
(images aside), and logging in and saving the profile work with JavaScript off.

One browser for the module; the site is the real app served on loopback with the demo data.
Run with `-s` to see the measured widths and weights.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from diaspora.accounts.models import User
from diaspora.extensions import db
from tests.browser import CHROMIUM, chromium_or_skip, served
from tests.conftest import login

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "phone"
PHONE = {"width": 360, "height": 740}
LANGUAGES = ("ky", "ru", "en")
WEIGHT_LIMIT = 150 * 1024
DEMO_MEMBER = ("member@demo.mekendesh.kg", "Demo-member-2026")

pytestmark = pytest.mark.browser

# Pages everyone sees; the {news}, {project}, ... are found on the list pages.
PUBLIC_PAGES = ("/", "/news/", "{news}", "/projects/", "{project}", "/surveys/", "{survey}",
                "{services}", "/privacy")
# Pages a role adds; the header of each role is checked on every public page too.
ROLE_PAGES = {
    "anonymous": ("/login", "/register"),
    "member": ("/account", "/account/profile", "/support/", "/support/new", "/notifications/",
               "/projects/mine"),
    "authority": ("/support/queue", "/projects/new", "/news/manage"),
    "moderator": ("/moderation/", "/projects/queue", "/moderation/reports", "/surveys/manage"),
}
DEMO_EMAILS = {"member": "member@demo.mekendesh.kg",
               "authority": "authority@demo.mekendesh.kg",
               "moderator": "moderator@demo.mekendesh.kg"}
# Where each kind of item is linked from, and what its address looks like.
ITEM_LINKS = {"news": ("/news/", r"^/news/\d+$"), "project": ("/projects/", r"^/projects/\d+$"),
              "survey": ("/surveys/", r"^/surveys/\d+$"),
              "services": ("/support/", r"^/support/services/\d+$")}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _quick_hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def site(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from diaspora.accounts import models
    from diaspora.cli import seed_demo

    # The demo accounts' scrypt hashes are slow on purpose; these tests log in, not guess.
    monkeypatch.setattr(models, "generate_password_hash", _quick_hash)
    with app.app_context():
        seed_demo(0)
        db.session.remove()
    with served(app) as address:
        yield address


def _session_cookie(app: Flask, role: str, site: str) -> list[dict]:
    """The cookie of a signed-in session (staff past their second step), as the login()
    fixture makes it: the browser starts signed in without typing a one-time code."""
    if role == "anonymous":
        return []
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == DEMO_EMAILS[role]))
        assert user is not None, role
        client = login(app.test_client(), user)
        db.session.remove()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    return [{"name": name, "value": cookie.value, "url": site}]


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _find_items(page: object, site: str) -> dict[str, str]:
    """The first news post, project, survey and services page linked from the lists."""
    found = {}
    for name, (listing, pattern) in ITEM_LINKS.items():
        page.goto(site + listing)
        paths = page.evaluate("Array.from(document.querySelectorAll('main a[href]'),"
                              " a => a.pathname)")
        match = next((p for p in paths if re.match(pattern, p)), None)
        if match:
            found[name] = match
    return found


def _pages_of(role: str, items: dict[str, str]) -> list[str]:
    pages = [p.format(**items) if "{" not in p or p.strip("{}") in items else None
             for p in PUBLIC_PAGES] + list(ROLE_PAGES[role])
    return [p for p in pages if p]


def test_no_main_page_scrolls_sideways_on_a_phone(site: str, app: Flask, browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, measured = [], 0
    for role in ("anonymous", "member", "authority", "moderator"):
        context = browser.new_context(viewport=PHONE)
        context.add_cookies(_session_cookie(app, role, site))
        page = context.new_page()
        items = _find_items(page, site)
        if role == "member":  # what the member sees must include an item of each kind
            assert set(items) == set(ITEM_LINKS), items
        # A visitor sees every public page; a signed-in role's longer header is the same on
        # every page, so it is checked on the home page, beside that role's own pages.
        pages = _pages_of(role, items) if role == "anonymous" else ["/", *ROLE_PAGES[role]]
        for lang in LANGUAGES:
            for path in pages:
                response = page.goto(site + _with_lang(path, lang))
                assert response is not None and response.status < 400, (role, path, lang)
                shown, *width = page.evaluate("[document.documentElement.lang,"
                                              " document.documentElement.scrollWidth,"
                                              " window.innerWidth]")
                assert shown == lang, (role, path)
                measured += 1
                if width[0] > width[1]:
                    too_wide.append(f"{role} {lang} {path}: {width[0]} px > {width[1]} px")
                    page.screenshot(path=str(SHOTS / f"wide-{role}-{lang}-"
                                             f"{path.strip('/').replace('/', '-') or 'home'}.png"))
        context.close()
    print(f"\n{measured} pages measured at 360 px; too wide: {len(too_wide)}")
    assert measured > 60
    assert not too_wide, "\n".join(too_wide)


def test_a_first_load_weighs_under_150_kb_without_images(site: str, app: Flask, browser) -> None:
    """Each page in a fresh browser (an empty cache), in Kyrgyz: what crossed the wire, headers
    and (compressed) bodies, of everything but images."""
    weights: dict[str, int] = {}
    for role in ("anonymous", "member"):
        context = browser.new_context(viewport=PHONE, locale="ky")
        context.add_cookies(_session_cookie(app, role, site))
        page = context.new_page()
        pages = _pages_of(role, _find_items(page, site)) if role == "anonymous" else list(
            ROLE_PAGES[role])
        # Every page below is a first load: nothing comes from the browser's cache.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        started: list[object] = []
        sizes: list[int] = []

        def count(request: object, sizes: list[int] = sizes) -> None:
            got = request.sizes()
            sizes.append(0 if request.resource_type == "image" else
                         got["responseBodySize"] + got["responseHeadersSize"]
                         + got["requestHeadersSize"] + got["requestBodySize"])

        page.on("request", lambda request, started=started: started.append(request))
        page.on("requestfinished", count)
        page.on("requestfailed", lambda request, sizes=sizes: sizes.append(0))
        for path in pages:
            started.clear()
            sizes.clear()
            page.goto(site + _with_lang(path, "ky"), wait_until="load")
            # A finished request is reported a moment after "load": wait for every one.
            for _ in range(100):
                if len(sizes) >= len(started):
                    break
                page.wait_for_timeout(20)
            assert len(sizes) == len(started) > 1, path  # the page and its stylesheets
            weights[f"{role} {path}"] = sum(sizes)
        context.close()
    print("\nFirst load, images aside (KB):")
    for key, total in weights.items():
        print(f"  {key:40} {total / 1024:6.1f}")
    heavy = {key: total for key, total in weights.items() if total >= WEIGHT_LIMIT}
    assert not heavy, heavy


def test_logging_in_and_saving_the_profile_work_without_javascript(site: str, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="ky")
    page = context.new_page()
    page.goto(f"{site}/login?lang=ky")
    page.fill("input[name=email]", DEMO_MEMBER[0])
    page.fill("input[name=password]", DEMO_MEMBER[1])
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.get_by_role("banner")).to_contain_text("Жеке кабинет")  # "My account"
    # The place picker without a script: a search (a GET form), then the list it narrows.
    page.goto(f"{site}/account/profile?lang=ky")
    page.fill("#find", "Кочкор")
    page.locator("form.place-search button").click()
    picker = page.locator("select[name=home_place_id]")
    option = picker.locator("option", has_text="Кочкор").first
    picker.select_option(option.get_attribute("value"))
    page.fill("input[name=city]", "Казань")
    page.locator("main form[method=post] button[type=submit]").last.click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{site}/account/profile?lang=ky")
    expect(page.locator("input[name=city]")).to_have_value("Казань")
    expect(picker.locator("option:checked")).to_contain_text("Кочкор")
    context.close()

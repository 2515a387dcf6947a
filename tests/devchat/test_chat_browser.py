"""A newcomer registers in Kyrgyz through the chat page, in real headless Chromium, with
the real bot process answering through the local Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from diaspora.devchat.runner import LocalTelegram
from tests.bot.conftest import chat_user
from tests.browser import CHROMIUM, chromium_or_skip, served

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "devchat"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    chromium_or_skip()
    local = LocalTelegram(app).start()
    with served(app) as address:
        yield address
        local.stop()


def test_a_newcomer_registers_in_kyrgyz_on_the_chat_page(site: str, app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="ky")
        page.goto(f"{site}/dev/chat?lang=ky")
        expect(page.locator("html")).to_have_attribute("lang", "ky")
        page.fill("#text", "/start")
        page.click("form.send button")

        def answer(label: str, question: str) -> None:
            expect(page.locator("article.message.bot").last).to_contain_text(
                question, timeout=30_000)
            page.locator("article.message.bot").last.locator(
                f"button:text-is('{label}')").first.click()

        answer("Кыргызча", "Тилди тандаңыз")
        answer("Макулмун", "Купуялык")
        answer("Россия", "1/6")
        expect(page.locator("article.message.bot").last).to_contain_text("2/6", timeout=30_000)
        page.fill("#text", "Москва")
        page.click("form.send button")
        answer("Нарын облусу", "3/6")
        answer("Кочкор району", "Нарын облусу:")
        page.screenshot(path=str(SHOTS / "ky-place-picker.png"), full_page=True)
        answer("Өткөрүп жиберүү", "Кочкор району:")
        expect(page.locator("article.message.bot").last).to_contain_text(
            "Айылдын аты", timeout=30_000)
        page.fill("#text", "Семиз-Бел")
        page.click("form.send button")
        answer("Ооба, кийинчерээк", "кайтууну")
        answer("Кээде", "акча")
        answer("Туризм", "инвестиция")
        expect(page.locator("article.message.bot").last).to_contain_text("✓ Туризм")
        answer("✅ Даяр", "инвестиция")
        expect(page.locator("article.message.bot").last).to_contain_text(
            "катталдыңыз", timeout=30_000)
        page.screenshot(path=str(SHOTS / "ky-registered.png"), full_page=True)
        # Nothing on the page is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()

    member = chat_user(app, 7_000_001)
    assert member is not None and member.locale == "ky"
    assert member.profile.country_code == "RU" and member.profile.city == "Москва"
    assert member.profile.home_place.display_name("ky") == "Кочкор району"
    assert member.profile.home_village == "Семиз-Бел"
    assert member.profile.return_plan == "later" and member.profile.interest_sectors == [
        "tourism"]

"""Real-browser journeys (issue 12): people go through the real pages of the site in headless
Chromium, each in its own language, as they would on their phone.

The site is served by werkzeug on loopback from its own app (CSRF on, as in production) over
the tests' database; one browser serves the whole module, each person gets a fresh context
(their own cookies). Only fixtures are seeded through services (users with a role, a verified
authority, a staff authenticator, a published survey); everything a journey is about is done
by clicking and typing. What is asserted is what the person sees: the page's language, the
flash messages, the answers' texts. Screenshots of the main steps go to
test-artifacts/journeys/.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from diaspora import create_app
from diaspora.accounts.models import StaffTotp, User
from diaspora.extensions import db
from tests.browser import CHROMIUM, chromium_or_skip, served
from tests.conftest import PASSWORD, TEST_ENVIRON, make_test_config

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The served app: the tests' database (migrated by `app`), with CSRF protection on, so
    every form the journeys post must carry its token as a real browser's does."""
    chromium_or_skip()
    served_app = create_app(make_test_config(database_url, WTF_CSRF_ENABLED=True),
                            environ=TEST_ENVIRON)
    yield served_app
    with served_app.app_context():
        db.engine.dispose()  # its own pool: no connection left open on the test database


@pytest.fixture(autouse=True)
def _served_spam_counts_forgotten(site_app: Flask) -> Iterator[None]:
    """The served app counts posts against spam on its own (tests/conftest.py empties the
    session app's): emptied too, since user ids come back after each test."""
    yield
    from diaspora.moderation import spam

    with site_app.app_context():
        spam.reset()


@pytest.fixture(scope="module")
def site(site_app: Flask) -> Iterator[str]:
    with served(site_app) as address:
        yield address


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def person(browser: Any, site: str) -> Iterator[Callable[..., Any]]:
    """`person(accept_language)`: a new page in a fresh context (cookies of its own), phone
    sized, whose browser asks for `accept_language`."""
    contexts: list[Any] = []

    def open_page(accept_language: str = "en-US") -> Any:
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      locale=accept_language, base_url=site,
                                      accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def t(site_app: Flask) -> Callable[..., str]:
    """`t(locale, msgid, **params)`: the text the site shows for `msgid` in `locale`, from
    the same catalogs (tests/i18n proves every entry is translated)."""
    from flask_babel import force_locale, gettext

    def translate(locale: str, msgid: str, **params: Any) -> str:
        with site_app.test_request_context(), force_locale(locale):
            return gettext(msgid, **params)

    return translate


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def expect_lang(page: Any, locale: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("lang", locale)


def flash(page: Any) -> Any:
    return page.locator("main p.flash[role=status]")


def submit(page: Any) -> None:
    """The main form's submit button (the header holds only the log-out form)."""
    page.locator("main form[method=post] button[type=submit]").first.click()


def follow(page: Any, href: str) -> None:
    """Click the link to `href` the person can see (the menu's or the page's). Chosen by its
    address, not by where it sits: the header's layout is not this test's business."""
    page.locator(f"a[href='{href}']:visible").first.click()
    page.wait_for_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def log_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page)


def staff_code(page: Any, secret: str) -> None:
    page.fill("#code", pyotp.TOTP(secret).now())
    submit(page)


def wrong_code(secret: str) -> str:
    """Six digits the authenticator shows at no step of the window the site accepts."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.now(UTC))
    taken = {totp.generate_otp(s) for s in range(step - 3, step + 4)}
    return next(f"{n:06d}" for n in range(123_456, 10**6) if f"{n:06d}" not in taken)


def enrolled(user: User) -> str:
    """A staff member who set up an authenticator before (seeded): its secret."""
    secret = pyotp.random_base32()
    db.session.add(StaffTotp(user_id=user.id, totp_secret=secret))
    db.session.commit()
    return secret


def seeded(make_user: Callable[..., User], *args: Any, **kwargs: Any) -> tuple[int, str]:
    user = make_user(*args, **kwargs)
    return user.id, user.email


def _release(app: Flask) -> None:
    """The test's own session lets go of the database (SQLite: no read lock held while the
    site writes)."""
    db.session.commit()
    db.session.remove()


# -- 1-3: a visitor proposes a project; a moderator publishes it; the authority answers --------


def test_a_proposal_from_registration_to_the_authoritys_answer(
        person, t, app, make_user, here) -> None:
    from playwright.sync_api import expect

    here_id = here.id
    moderator = make_user("moderator", locale="ru")
    moderator_email, secret = moderator.email, enrolled(moderator)
    _, authority_email = seeded(make_user, "authority", places=(here,), locale="en")
    _release(app)
    email = f"aigul.{secrets.token_hex(4)}@example.org"
    # zxcvbn wants it hard to guess: five random words' worth of letters.
    password = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    title = f"Көпүрө курабыз {secrets.token_hex(3)}"

    # 1. A visitor whose browser speaks English switches to Kyrgyz and registers.
    visitor = person("en-US")
    visitor.goto("/")
    expect_lang(visitor, "en")
    visitor.locator("a[hreflang=ky]").first.click()
    expect_lang(visitor, "ky")
    shot(visitor, "1-ky-home")
    follow(visitor, "/register")
    expect(visitor.locator("h1")).to_have_text(t("ky", "Create your account"))
    visitor.fill("#email", email)
    visitor.fill("#password", password)
    visitor.fill("#confirm", password)
    visitor.check("#accept_privacy")
    shot(visitor, "1-ky-register")
    submit(visitor)
    expect(flash(visitor)).to_contain_text(
        t("ky", "Welcome to Mekendesh! Tell us a little about yourself."))
    expect_lang(visitor, "ky")

    # The profile: home place and country are required.
    visitor.select_option("#home_place_id", value=str(here_id))
    visitor.select_option("#country_code", value="RU")
    visitor.fill("#city", "Москва")
    shot(visitor, "1-ky-profile")
    submit(visitor)
    expect(flash(visitor)).to_contain_text(t("ky", "Your profile is saved."))

    # The project for the home place, which the form offers first.
    visitor.goto("/projects/")
    visitor.locator("main a[href='/projects/new']").first.click()
    expect(visitor.locator("#place_id")).to_have_value(str(here_id))
    visitor.fill("#title", title)
    visitor.fill("#summary", "Айылдагы эски көпүрөнү жаңылоо.")
    visitor.fill("#description", "Көпүрө 1970-жылы курулган, жазында суу алып кетет.")
    visitor.select_option("#sector", index=1)
    visitor.fill("#budget_som", "500000")
    shot(visitor, "1-ky-proposal")
    visitor.locator("main button[name=action][value=submit]").click()
    expect(flash(visitor)).to_contain_text(
        t("ky", "The project is sent to the moderators. You will hear from them."))
    expect(visitor.locator("h1")).to_contain_text(title)
    project_path = re.sub(r"^https?://[^/]+", "", visitor.url)
    assert re.fullmatch(r"/projects/\d+", project_path), visitor.url
    shot(visitor, "1-ky-submitted")

    # 2. A moderator (Russian) signs in with two factors and publishes it from the queue.
    moderating = person("ru-RU")
    log_in(moderating, moderator_email)
    expect(moderating.locator("#code")).to_be_visible()
    staff_code(moderating, secret)
    moderating.goto("/moderation/")
    expect_lang(moderating, "ru")
    entry = moderating.locator("main article").filter(has_text=title)
    expect(entry).to_have_count(1)
    shot(moderating, "2-ru-queue")
    entry.locator("button[name=action][value=approve]").click()
    expect(flash(moderating)).to_contain_text(
        t("ru", "Done: %(action)s.", action=t("ru", "Publish")))
    expect(moderating.locator("main article").filter(has_text=title)).to_have_count(0)
    shot(moderating, "2-ru-published")

    # 3. The authority of that place (English) finds it in its queue and answers.
    answering = person("en-GB")
    log_in(answering, authority_email)
    answering.goto("/projects/")
    answering.locator("main a[href='/projects/queue']").click()
    answering.locator("main a", has_text=title).click()
    expect(answering.locator("h1")).to_contain_text(title)
    answer = "We accept: the district will repair the bridge in spring; volunteers welcome."
    answering.fill("#note", answer)
    shot(answering, "3-en-answering")
    answering.locator("#actions button[name=action][value=accept]").click()
    expect(flash(answering)).to_contain_text(
        t("en", "Done: the project is now “%(state)s”.", state=t("en", "Accepted")))
    shot(answering, "3-en-answered")

    # The proposer sees the answer on the project's page and the notification of it.
    visitor.goto(project_path)
    expect(visitor.locator("#timeline")).to_contain_text(answer)
    expect(visitor.locator("#timeline")).to_contain_text(t("ky", "the local authority"))
    shot(visitor, "3-ky-answer-seen")
    follow(visitor, "/notifications/")
    expect(visitor.locator("h1")).to_have_text(t("ky", "Notifications"))
    latest = visitor.locator("main li.notification").first
    expect(latest).to_contain_text(title)
    expect(latest.locator("strong.unread-mark")).to_have_text(t("ky", "New"))
    shot(visitor, "3-ky-notification")


# -- 4: a member answers a survey and reads its published results ------------------------------


def test_a_member_answers_a_survey_and_reads_its_results(
        person, t, app, make_user, here) -> None:
    from playwright.sync_api import expect

    from diaspora.surveys import service as surveys
    from diaspora.surveys.service import OptionSpec, QuestionSpec, SurveySettings

    author = make_user("moderator")
    survey = surveys.create_survey(author, SurveySettings(title={
        "ky": "Үйгө акча жөнөтөсүзбү?", "ru": "Отправляете ли вы деньги домой?",
        "en": "Do you send money home?"}))
    question = surveys.save_question(author, survey, QuestionSpec(
        "single", {"ky": "Канчалык көп?", "ru": "Как часто?", "en": "How often?"},
        options=[OptionSpec({"ky": "Ар ай", "ru": "Каждый месяц", "en": "Every month"}),
                 OptionSpec({"ky": "Кээде", "ru": "Иногда", "en": "Sometimes"})]))
    surveys.open_survey(author, survey)
    monthly, sometimes = (str(option.id) for option in question.options)
    # Others answered before (five each way: enough for the results to show numbers).
    for n in range(10):
        surveys.submit_response(make_user(home=here), survey,
                                {question.id: monthly if n < 5 else sometimes})
    surveys.set_results_published(author, survey, True)
    survey_id = survey.id
    _, email = seeded(make_user, locale="ky", home=here)
    _release(app)

    page = person("ky-KG")
    log_in(page, email)
    follow(page, "/surveys/")
    expect_lang(page, "ky")
    page.locator(f"main a[href='/surveys/{survey_id}'][role=button]").click()
    expect(page.locator("main h1")).to_have_text("Үйгө акча жөнөтөсүзбү?")
    page.get_by_label("Ар ай").check()
    shot(page, "4-ky-survey")
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("main p.flash")).to_contain_text(
        t("ky", "Your answers to “%(title)s” are saved.", title="Үйгө акча жөнөтөсүзбү?"))
    page.get_by_role("button", name=t("ky", "See the results")).click()
    expect(page.locator("h1")).to_contain_text(t("ky", "Results"))
    row = page.locator("main table tbody tr").filter(has_text="Ар ай")
    expect(row.locator("td").first).to_have_text("6")  # five others and this member
    expect(page.locator("main")).to_contain_text(
        t("ky", "Responses in this view: %(n)s", n=11))
    shot(page, "4-ky-results")
    # The list of surveys leads there too, once answered.
    follow(page, "/surveys/")
    expect(page.locator("main").get_by_role(
        "link", name=f"{t('ky', 'Results')}: Үйгө акча жөнөтөсүзбү?")).to_have_attribute(
        "href", f"/surveys/{survey_id}/results")


# -- 5: a returnee asks for help on return; the authority answers -------------------------------


def test_a_returnee_asks_for_help_and_reads_the_authoritys_answer(
        person, t, app, make_user, here) -> None:
    from playwright.sync_api import expect

    _, returnee_email = seeded(make_user, locale="ru", home=here)
    _, authority_email = seeded(make_user, "authority", places=(here,), locale="ru")
    here_id = here.id
    _release(app)
    story = "Вернулся из Казани, ищу работу сварщиком рядом с домом."
    answer = "Приходите в центр занятости в понедельник в 10:00, кабинет 3."

    returnee = person("ru-RU")
    log_in(returnee, returnee_email)
    follow(returnee, "/support/")
    expect_lang(returnee, "ru")
    returnee.locator("main a[href='/support/new']").click()
    expect(returnee.locator("#place_id")).to_have_value(str(here_id))  # home, chosen already
    returnee.select_option("#kind", value="employment")
    returnee.fill("#description", story)
    returnee.locator("input[name=contact_channel][value=phone]").check()
    returnee.fill("#contact_value", "+996 555 010 203")
    shot(returnee, "5-ru-asking")
    submit(returnee)
    expect(flash(returnee)).to_contain_text(t(
        "ru", "Your request is sent to the local authority. You will be told here and in "
              "Telegram when they answer."))
    request_path = re.sub(r"^https?://[^/]+", "", returnee.url)

    authority = person("ru-RU")
    log_in(authority, authority_email)
    authority.goto("/support/")
    authority.locator("main a[href='/support/queue']").click()
    authority.locator(f"main a[href='{request_path}']").click()
    expect(authority.locator("main")).to_contain_text(story)
    authority.fill("#body", answer)
    shot(authority, "5-ru-answering")
    submit(authority)
    expect(flash(authority)).to_contain_text(t("ru", "Done: the member is told."))

    returnee.reload()
    expect(returnee.locator("main article.support-message")).to_contain_text(answer)
    expect(returnee.locator("main article.support-message")).to_contain_text(
        t("ru", "The local authority"))
    shot(returnee, "5-ru-answer-seen")


# -- 6: a member downloads their data, then deletes it --------------------------------------------


def test_a_member_downloads_their_data_and_deletes_it(person, t, app, make_user, here) -> None:
    from playwright.sync_api import expect

    _, email = seeded(make_user, locale="en", home=here)
    _release(app)

    page = person("en-US")
    log_in(page, email)
    page.goto("/account")
    expect_lang(page, "en")
    with page.expect_download() as waiting:
        page.locator("main a[href='/account/data.json']").click()
    download = waiting.value
    assert download.suggested_filename == "mekendesh-my-data.json"
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert email in json.dumps(data, ensure_ascii=False)
    shot(page, "6-en-account")

    page.locator("main a[href='/account/delete']").click()
    submit(page)  # without ticking the box: refused, nothing erased
    expect(page.locator("main")).to_contain_text(t("en", "Tick the box to confirm."))
    page.check("#confirm")
    shot(page, "6-en-deleting")
    submit(page)
    expect(flash(page)).to_contain_text(t(
        "en", "Your personal data has been deleted. Thank you for having been with us."))
    page.goto("/account")  # logged out: the account page asks to log in
    expect(page).to_have_url(re.compile(r"/login"))

    log_in(page, email)
    expect(page.locator("main")).to_contain_text(t("en", "Wrong e-mail or password."))
    assert "/login" in page.url
    shot(page, "6-en-login-refused")


# -- 7: a moderator's two factors ---------------------------------------------------------------


def test_a_moderator_signs_in_with_two_factors(person, t, app, make_user) -> None:
    from playwright.sync_api import expect

    moderator = make_user("moderator", locale="ky")
    moderator_id, email, secret = moderator.id, moderator.email, enrolled(moderator)
    _release(app)

    page = person("ky-KG")
    log_in(page, email)
    expect(page.locator("h1")).to_have_text(t("ky", "Staff sign-in"))
    page.goto("/moderation/")  # the password alone does not open the staff pages
    expect(page.locator("#code")).to_be_visible()
    page.fill("#code", wrong_code(secret))
    submit(page)
    expect(page.locator("main")).to_contain_text(t(
        "ky", "This code is not right. Check the time on your phone and try again."))
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    shot(page, "7-ky-wrong-code")

    staff_code(page, secret)
    expect(page.locator("h1")).to_have_text(t("ky", "Moderation"))
    assert page.url.endswith("/moderation/")
    shot(page, "7-ky-moderation")
    with app.app_context():
        step = db.session.scalar(sa.select(StaffTotp.last_step).where(
            StaffTotp.user_id == moderator_id))
    assert step is not None  # the accepted code is used up

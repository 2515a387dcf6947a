"""Dates as people here write them, in the reader's time zone, and money in som: through the
web pages (Jinja filters) and the bot (/profile, News), with the same helper."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from diaspora.accounts.models import User
from diaspora.extensions import db
from diaspora.formatting import format_day, format_money, format_when
from diaspora.news import service as news
from tests.conftest import login

PUBLISHED = datetime(2026, 11, 27, 14, 5, tzinfo=UTC)  # 20:05 in Bishkek (UTC+6)
NBSP = "\u00a0"


def _post(moderator: User) -> int:
    post = news.publish(moderator, news.save_post(
        moderator, title={"ky": "Жаңылык", "ru": "Новость", "en": "A post"},
        body={"ky": "Текст", "ru": "Текст", "en": "Text"}))
    post.published_at = PUBLISHED
    db.session.commit()
    return post.id


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ky", "2026-ж., 27-ноябрь, 20:05"),
        ("ru", "27 ноября 2026 г., 20:05"),
        ("en", "27 November 2026, 20:05"),
    ],
)
def test_a_visitor_reads_dates_in_bishkek_time_as_written_here(
    app, client, make_user, locale, expected
):
    post_id = _post(make_user("moderator"))
    page = client.get(f"/news/{post_id}?lang={locale}").get_data(as_text=True)
    assert expected in page
    assert "20:05:00" not in page and "ноя." not in page and "Nov 27" not in page


def test_a_member_reads_times_in_their_country_zone_then_in_the_zone_they_chose(
    app, client, make_user, here
):
    post_id = _post(make_user("moderator"))
    member = make_user("member", home=here, country="RU", locale="ky")
    login(client, member)
    page = client.get(f"/news/{post_id}?lang=ky").get_data(as_text=True)
    assert "2026-ж., 27-ноябрь, 17:05" in page  # Moscow, from the country of residence
    form = client.get("/account/profile?lang=ky").get_data(as_text=True)
    assert 'value="Asia/Seoul"' in form and "Сеул (UTC+09:00)" in form
    saved = client.post("/account/profile?lang=ky", data={
        "country_code": "RU", "home_place_id": str(here.id), "locale": "ky",
        "timezone": "Asia/Seoul"})
    assert saved.status_code == 302
    page = client.get(f"/news/{post_id}?lang=ky").get_data(as_text=True)
    assert "2026-ж., 27-ноябрь, 23:05" in page
    account = client.get("/account?lang=ky").get_data(as_text=True)
    assert "Саат алкагы" in account and "Сеул (UTC+09:00)" in account
    refused = client.post("/account/profile?lang=en", data={
        "country_code": "RU", "home_place_id": str(here.id), "locale": "en",
        "timezone": "Mars/Olympus"}).get_data(as_text=True)
    assert "Choose one of the options offered." in refused
    db.session.expire_all()
    assert db.session.get(User, member.id).timezone == "Asia/Seoul"


def test_the_default_zone_follows_the_country_of_residence(app, client, make_user, here):
    post_id = _post(make_user("moderator"))
    login(client, make_user("member", home=here, country="KR", locale="en"))
    page = client.get(f"/news/{post_id}?lang=en").get_data(as_text=True)
    assert "27 November 2026, 23:05" in page  # Seoul, UTC+9


@pytest.mark.parametrize(
    ("locale", "amount", "expected"),
    [
        ("ky", 1500, f"1{NBSP}500{NBSP}сом"),
        ("ru", 1500, f"1{NBSP}500{NBSP}сом"),
        ("en", 1500, f"1,500{NBSP}som"),
        ("ky", 2500000, f"2{NBSP}500{NBSP}000{NBSP}сом"),
        ("ru", Decimal("1500.5"), f"1{NBSP}500,50{NBSP}сом"),
        ("en", 0, f"0{NBSP}som"),
    ],
)
def test_money_is_in_som(app, locale, amount, expected):
    assert format_money(amount, locale) == expected
    with app.test_request_context(f"/?lang={locale}"):
        rendered = app.jinja_env.from_string("{{ amount|money }}|{{ format_money(amount) }}")
        assert rendered.render(amount=amount) == f"{expected}|{expected}"
    assert "KGS" not in format_money(amount, locale)


def test_the_helpers_format_days_and_take_an_explicit_zone(app):
    assert format_when(PUBLISHED, "ky", "Asia/Bishkek") == "2026-ж., 27-ноябрь, 20:05"
    assert format_when(PUBLISHED, "ky", "America/New_York") == "2026-ж., 27-ноябрь, 09:05"
    assert format_day(PUBLISHED, "en", "Asia/Tokyo") == "27 November 2026"
    assert format_day(PUBLISHED, "ru", "Pacific/Kiritimati") == "28 ноября 2026 г."
    # every Kyrgyz month is the Kyrgyz word, never a Russian abbreviation
    for month in range(1, 13):
        text = format_when(datetime(2026, month, 3, 6, tzinfo=UTC), "ky")
        assert re.fullmatch(r"2026-ж\., 3-[а-яөүң]+, 12:00", text), text


# -- the bot -----------------------------------------------------------------------------------

from tests.bot.conftest import bot, chat_user, mode, registered_chat, tg, new_chat  # noqa: E402,F401,I001


def test_the_bot_shows_and_changes_the_time_zone(app, bot, registered_chat):  # noqa: F811
    chat = registered_chat(locale="ky", country_code="TR")
    profile = chat.command("profile")[-1]
    assert "Саат алкагы: Стамбул (UTC+03:00)" in profile["plain_text"]
    zones = chat.press("Саат алкагы", message=profile)[-1]
    assert ("Сеул (UTC+09:00)", "tz:Asia/Seoul") in chat.buttons(zones)
    shown = chat.press("Сеул (UTC+09:00)", message=zones, n=2)
    assert "Саат алкагы: Сеул (UTC+09:00)" in shown[-1]["plain_text"]
    assert chat_user(app, chat.id).timezone == "Asia/Seoul"
    # back to the country's zone
    zones = chat.press("Саат алкагы", message=shown[-1])[-1]
    chat.press("Жашаган өлкөмдөгүдөй", message=zones, n=2)
    assert chat_user(app, chat.id).timezone is None


def test_the_bots_news_list_dates_posts_in_the_members_zone(app, bot, registered_chat):  # noqa: F811
    chat = registered_chat(locale="ru", country_code="TR")
    with app.app_context():
        moderator = User(email="mod-dates@example.org", role="moderator", locale="en")
        db.session.add(moderator)
        db.session.commit()
        _post(moderator)
        db.session.remove()
    text = chat.command("news")[-1]["plain_text"]
    assert text.splitlines()[0] == "Новость"
    assert text.splitlines()[-1] == "27 ноября 2026 г., 17:05"  # Istanbul, UTC+3

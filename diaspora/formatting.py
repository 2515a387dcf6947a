"""Dates and money as people write them, one helper for the web (Jinja filters) and the bot.

Dates: Kyrgyz «2026-ж., 27-ноябрь, 20:05» (the Kyrgyz month name, no Russian abbreviation,
no seconds), Russian «27 ноября 2026 г., 20:05», English «27 November 2026, 20:05»
(day-month-year). Times are stored in UTC and shown in the reader's zone: on the web the zone
of the signed-in member (Flask-Babel's selector, diaspora.i18n.select_timezone); in the bot
the caller passes the member's zone (diaspora.timezones.member_timezone).

Money is in som: «1 500 сом» in Kyrgyz and Russian, «1,500 som» in English. The thousands
separator in ky and ru is CLDR's for those languages, the no-break space U+00A0, and a
no-break space joins the number to «сом», so an amount never breaks across lines.
Tyiyn are shown only when there are some: «1 500,50 сом».
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask import has_request_context

from diaspora.i18n import normalize_locale
from diaspora.timezones import DEFAULT_TIMEZONE, is_timezone

NBSP = "\u00a0"
DATE_PATTERNS = {"ky": "y-'ж'., d-MMMM", "ru": "d MMMM y 'г'.", "en": "d MMMM y"}
TIME_PATTERN = "HH:mm"
CURRENCY = {"ky": "сом", "ru": "сом", "en": "som"}


def _locale(locale: str | None) -> str:
    code = normalize_locale(locale)
    if code:
        return code
    if has_request_context():
        from flask_babel import get_locale

        current = get_locale()
        if current is not None:
            return normalize_locale(str(current)) or "ky"
    return "ky"


def _zone(zone: str | None) -> str:
    if zone and is_timezone(zone):
        return zone
    if has_request_context():
        from flask_babel import get_timezone

        current = get_timezone()
        if current is not None:
            return str(current)
    return DEFAULT_TIMEZONE


def local_time(value: datetime, zone: str | None = None) -> datetime:
    """A stored (UTC) time in the reader's zone; a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(_zone(zone)))


def format_day(value: date | datetime | None, locale: str | None = None,
               zone: str | None = None) -> str:
    """«2026-ж., 27-ноябрь» / «27 ноября 2026 г.» / «27 November 2026»."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value, zone).date()
    code = _locale(locale)
    return format_date(value, DATE_PATTERNS.get(code, DATE_PATTERNS["en"]), locale=code)


def format_when(value: datetime | None, locale: str | None = None,
                zone: str | None = None) -> str:
    """«2026-ж., 27-ноябрь, 20:05»: the day and the time to the minute in the reader's zone."""
    if value is None:
        return ""
    local = local_time(value, zone)
    return f"{format_day(local.date(), locale)}, {local.strftime('%H:%M')}"


def format_money(amount: int | float | Decimal | None, locale: str | None = None) -> str:
    """«1 500 сом» (ky, ru), «1,500 som» (en); tyiyn only when there are some."""
    if amount is None:
        return ""
    code = _locale(locale)
    value = Decimal(str(amount))
    whole = value == value.to_integral_value()
    if value >= 0:
        # Babel's format_decimal parses its pattern and walks the locale's data on every call
        # (a project list formats tens of amounts): the same digits from Python's own
        # grouping, with the locale's symbols (CLDR's, read once) swapped in.
        group, decimal_sign = _number_symbols(code)
        digits = f"{value:,.0f}" if whole else f"{value:,.2f}"
        number = digits.translate({ord(","): group, ord("."): decimal_sign})
    else:
        number = format_decimal(value, "#,##0" if whole else "#,##0.00", locale=code)
    return f"{number}{NBSP}{CURRENCY.get(code, CURRENCY['en'])}"


@lru_cache(maxsize=16)
def _number_symbols(code: str) -> tuple[str, str]:
    return get_group_symbol(code), get_decimal_symbol(code)


class LazyWhen:
    """A time formatted by `format_when` only when shown, in the language in force then: a
    refusal raised in a worker thread reads «… until 2026-ж., 5-декабрь, 20:05» in whichever
    language the web page or the bot renders it (flask_babel's lazy strings format their
    parameters at that moment)."""

    def __init__(self, value: datetime, zone: str | None = None) -> None:
        self.value, self.zone = value, zone

    def __str__(self) -> str:
        from flask import has_app_context
        from flask_babel import get_locale

        current = get_locale() if has_app_context() else None
        return format_when(self.value, str(current) if current else None, self.zone)

    __html__ = __str__

"""Members' time zones: the zone a member chose, else the main zone of their country of
residence, else Bishkek's. Times are stored in UTC and shown in this zone on the web (Babel's
timezone selector) and in the bot (diaspora.formatting with an explicit zone).

The main zone of a country is where most of its people (and of our members) live: Moscow for
Russia, Almaty for Kazakhstan, New York for the USA. Countries with one zone take it from the
tz database's country table (through pytz, which Flask-Babel already requires).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pytz
from babel.dates import get_timezone_location

DEFAULT_TIMEZONE = "Asia/Bishkek"

# Countries spanning several zones: the zone of the largest share of Kyrgyzstanis there.
MAIN_ZONES: dict[str, str] = {
    "RU": "Europe/Moscow", "KZ": "Asia/Almaty", "US": "America/New_York",
    "CA": "America/Toronto", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City", "ID": "Asia/Jakarta", "MN": "Asia/Ulaanbaatar",
    "CN": "Asia/Shanghai", "DE": "Europe/Berlin", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "GB": "Europe/London", "UA": "Europe/Kyiv",
    "UZ": "Asia/Tashkent", "MY": "Asia/Kuala_Lumpur", "NZ": "Pacific/Auckland",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "EC": "America/Guayaquil",
    "FR": "Europe/Paris", "NL": "Europe/Amsterdam", "DK": "Europe/Copenhagen",
    "KG": "Asia/Bishkek", "CY": "Asia/Nicosia", "KI": "Pacific/Tarawa",
}  # fmt: skip

# Offered in the profile (web and bot): where members live, west to east.
COMMON_ZONES: tuple[str, ...] = (
    "America/Los_Angeles", "America/Chicago", "America/New_York", "Europe/London",
    "Europe/Berlin", "Europe/Warsaw", "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai",
    "Europe/Samara", "Asia/Tashkent", "Asia/Yekaterinburg", "Asia/Bishkek", "Asia/Almaty",
    "Asia/Novosibirsk", "Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo", "Asia/Vladivostok",
)  # fmt: skip


def is_timezone(zone: str | None) -> bool:
    return bool(zone) and zone in _available()


@cache
def _available() -> frozenset[str]:
    return frozenset(available_timezones())


def country_timezone(country_code: str | None) -> str | None:
    """The main zone of a country, or None for an unknown country."""
    if not country_code:
        return None
    code = country_code.upper()
    if code in MAIN_ZONES:
        return MAIN_ZONES[code]
    zones = pytz.country_timezones.get(code)
    return zones[0] if zones else None


def member_timezone(user: Any) -> str:
    """The zone to show a member's times in: chosen, else their country's, else Bishkek."""
    chosen = getattr(user, "timezone", None)
    if chosen and is_timezone(chosen):
        return chosen
    profile = getattr(user, "profile", None)
    from_country = country_timezone(getattr(profile, "country_code", None))
    return from_country or DEFAULT_TIMEZONE


def utc_offset(zone: str, at: datetime | None = None) -> str:
    """'UTC+03:00' now (or at `at`) in `zone`."""
    moment = (at or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def timezone_label(zone: str, locale: str) -> str:
    """'Москва (UTC+03:00)': the city in the reader's language and today's offset."""
    try:
        city = get_timezone_location(zone, locale=locale, return_city=True)
    except (LookupError, ZoneInfoNotFoundError):
        city = zone
    return f"{city} ({utc_offset(zone)})"


def timezone_choices(locale: str, current: str | None = None) -> list[tuple[str, str]]:
    """The common zones (plus the member's own when it is another), labelled."""
    zones = list(COMMON_ZONES)
    if current and current not in zones and is_timezone(current):
        zones.append(current)
    return [(zone, timezone_label(zone, locale)) for zone in zones]

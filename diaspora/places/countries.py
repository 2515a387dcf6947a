"""Countries of residence: ISO 3166-1 codes, names from Babel's CLDR data.

CLDR is right almost everywhere; where usage in Kyrgyzstan differs we override it, so that a
Russian-speaking Kyrgyzstani reads "Кыргызстан", the official name, and not "Киргизия".
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from diaspora.i18n import SUPPORTED_LOCALES

# Codes CLDR lists among territories that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)

NAME_OVERRIDES: dict[str, dict[str, str]] = {
    "ru": {"KG": "Кыргызстан", "KR": "Южная Корея"},
}

# Where most Kyrgyzstanis abroad live: offered as buttons in the bot, first in lists.
COMMON_DESTINATIONS: tuple[str, ...] = ("RU", "KZ", "TR", "KR", "US", "AE", "DE", "GB")


@cache
def country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    names = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    names.update(NAME_OVERRIDES.get(locale, {}))
    return names


def country_name(code: str | None, locale: str) -> str:
    if not code:
        return ""
    return country_names(locale).get(code.upper(), code)


def is_country(code: str | None) -> bool:
    return bool(code) and code.upper() in country_names("en")


def country_choices(locale: str) -> list[tuple[str, str]]:
    """All countries, common destinations first, then alphabetical in the reader's language."""
    names = country_names(locale)
    common = [(code, names[code]) for code in COMMON_DESTINATIONS]
    rest = sorted(
        ((code, name) for code, name in names.items() if code not in COMMON_DESTINATIONS),
        key=lambda item: item[1].casefold(),
    )
    return common + rest


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if code in country_names("en"):
                index[name.casefold()] = code
        for code, name in country_names(locale).items():
            index[name.casefold()] = code
    for code in country_names("en"):
        index[code.casefold()] = code
    return index


def match_country(text: str) -> str | None:
    """The ISO code of a country typed in Kyrgyz, Russian or English ("Германия", "germany")."""
    needle = " ".join(text.split()).casefold().strip(" .!")
    if not needle:
        return None
    index = _name_index()
    if needle in index:
        return index[needle]
    # A unique prefix ("герм") is enough; an ambiguous one is not.
    if len(needle) >= 3:
        matches = {code for name, code in index.items() if name.startswith(needle)}
        if len(matches) == 1:
            return matches.pop()
    return None

"""Countries of residence: ISO 3166-1 codes, names from Babel's CLDR data, and the names
people actually type.

CLDR is right almost everywhere; where usage in Kyrgyzstan differs we override it, so that a
Russian-speaking Kyrgyzstani reads "Кыргызстан", the official name, and not "Киргизия", and
the United States is «АКШ» in Kyrgyz and «США» in Russian, as everyone writes them.

Typed names (the bot's "Another country") are matched against CLDR's names in the three
languages plus ALIASES, the everyday names of the countries where Kyrgyzstanis live. Only an
exact name or alias is taken as an answer; anything else (a prefix, a typo) gives candidates
for the member to confirm, and a dependent territory (U.S. Outlying Islands, American Samoa)
is never offered when a country also fits.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache

from babel import Locale

from diaspora.i18n import SUPPORTED_LOCALES

# Codes CLDR lists among territories that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)

# ISO 3166-1 entries that are dependent territories, not states: a prefix or a typo never
# picks one of these when a state also fits (typing «Амер» means the USA, not Samoa).
DEPENDENT_TERRITORIES = frozenset(
    {
        "AI", "AQ", "AS", "AW", "AX", "BL", "BM", "BQ", "BV", "CC", "CK", "CW", "CX", "FK",
        "FO", "GF", "GG", "GI", "GL", "GP", "GS", "GU", "HK", "HM", "IM", "IO", "JE", "KY",
        "MF", "MO", "MP", "MQ", "MS", "NC", "NF", "NU", "PF", "PM", "PN", "PR", "RE", "SH",
        "SJ", "SX", "TC", "TF", "TK", "UM", "VG", "VI", "WF", "YT",
    }
)  # fmt: skip

NAME_OVERRIDES: dict[str, dict[str, str]] = {
    "ky": {"US": "АКШ", "AE": "БАЭ"},
    "ru": {"KG": "Кыргызстан", "KR": "Южная Корея", "US": "США", "KP": "Северная Корея"},
}

# What people type for the countries where most Kyrgyzstanis live (the top destinations of
# labour migration and study), in Kyrgyz, Russian and English, abbreviations included.
# Keys are matched case-insensitively, after CLDR's own names.
ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("АКШ", "США", "USA", "US", "U.S.", "U.S.A.", "America", "Америка", "Amerika",
           "Штаты", "Америка Кошмо Штаттары", "Соединённые Штаты",
           "Соединенные Штаты Америки", "Соединённые Штаты Америки",
           "United States of America", "the States"),
    "GB": ("UK", "U.K.", "Англия", "England", "Britain", "Great Britain", "Британия",
           "Великобритания", "Улуу Британия", "Соединённое Королевство", "Шотландия",
           "Scotland"),
    "RU": ("Орусия", "Россия", "РФ", "Russian Federation", "Российская Федерация",
           "Россия Федерациясы", "Orusiya", "Rossiya", "Расея"),
    "KZ": ("Казакстан", "Казахстан", "Kazakstan", "Qazaqstan"),
    "TR": ("Түркия", "Турция", "Turkey", "Turkiye", "Türkiye", "Туркия"),
    "KR": ("Корея", "Korea", "Түштүк Корея", "Южная Корея", "Республика Корея",
           "Republic of Korea"),
    "DE": ("Германия", "Germany", "Deutschland", "ФРГ"),
    "AE": ("БАЭ", "ОАЭ", "UAE", "Эмираттар", "Эмираты", "Emirates", "Дубай", "Dubai"),
    "UZ": ("Өзбекстан", "Узбекистан", "Uzbekistan", "Ozbekiston"),
    "CN": ("Кытай", "Китай", "China", "КНР"),
    "JP": ("Жапония", "Япония", "Japan"),
    "IT": ("Италия", "Italy", "Italia"),
    "PL": ("Польша", "Poland", "Polska"),
    "CZ": ("Чехия", "Czech Republic", "Czechia", "Чехия Республикасы", "Чешская Республика"),
    "CA": ("Канада", "Canada"),
    "SA": ("Сауд Арабиясы", "Саудовская Аравия", "Saudi Arabia", "Сауд Аравиясы"),
    "QA": ("Катар", "Qatar"),
    "IL": ("Израиль", "Israel"),
    "BY": ("Беларусь", "Белоруссия", "Belarus"),
    "UA": ("Украина", "Ukraine"),
    "TJ": ("Тажикстан", "Таджикистан", "Tajikistan"),
    "FI": ("Финляндия", "Finland"),
    "FR": ("Франция", "France"),
    "ES": ("Испания", "Spain"),
    "KG": ("Кыргызстан", "Киргизия", "Kyrgyzstan", "Kyrgyz Republic", "КР"),
}  # fmt: skip

# Where most Kyrgyzstanis abroad live: offered as buttons in the bot, first in lists.
COMMON_DESTINATIONS: tuple[str, ...] = ("RU", "KZ", "TR", "KR", "US", "AE", "DE", "GB")
MAX_SUGGESTIONS = 4


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


def _normalize(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).casefold().strip(" .!?,")


@cache
def _name_index() -> dict[str, str]:
    """Every name we know -> its code: CLDR's names in the three languages (as CLDR has them
    and as we show them), the aliases, and the ISO codes themselves."""
    known = country_names("en")
    index: dict[str, str] = {}
    for code in known:
        index[code.casefold()] = code
    for locale in SUPPORTED_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if code in known:
                index[_normalize(name)] = code
        for code, name in country_names(locale).items():
            index[_normalize(name)] = code
    # Aliases last: "US" and "UK" are names people use, whatever else they might be.
    for code, aliases in ALIASES.items():
        for alias in aliases:
            index[_normalize(alias)] = code
    return index


def _prefer_states(codes: list[str]) -> list[str]:
    states = [code for code in codes if code not in DEPENDENT_TERRITORIES]
    return states or codes


def _rank(codes: list[str]) -> list[str]:
    """Common destinations first, then in the order found; no duplicates."""
    unique = list(dict.fromkeys(codes))
    common = [code for code in COMMON_DESTINATIONS if code in unique]
    return common + [code for code in unique if code not in common]


@dataclass(frozen=True)
class CountryMatch:
    """What a typed country name gave: `code` when it is exactly a name or alias, otherwise
    `candidates` the member may have meant (none when nothing is close)."""

    code: str | None
    candidates: list[str] = field(default_factory=list)


def find_country(text: str) -> CountryMatch:
    needle = _normalize(text)
    if not needle:
        return CountryMatch(None)
    index = _name_index()
    if needle in index:
        return CountryMatch(index[needle])
    found: list[str] = []
    if len(needle) >= 2:
        # "герм", "amer": the start of a name, or of a word of it ("корея" in "южная корея")
        found = [
            code
            for name, code in index.items()
            if len(name) > 2
            and (name.startswith(needle) or any(w.startswith(needle) for w in name.split()))
        ]
    if not found and len(needle) >= 4:
        close = difflib.get_close_matches(needle, list(index), n=8, cutoff=0.75)
        found = [index[name] for name in close]
    candidates = _rank(_prefer_states(found))
    return CountryMatch(None, candidates[:MAX_SUGGESTIONS])


def match_country(text: str) -> str | None:
    """The ISO code of a country typed exactly, by any of its names, in Kyrgyz, Russian or
    English ("Германия", "germany", "АКШ", "UK"); None when it is not exact."""
    return find_country(text).code

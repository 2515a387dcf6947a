"""Typed country names: aliases in three languages, states before territories, no guesses."""

from __future__ import annotations

import pytest

from diaspora.places.countries import (
    ALIASES,
    DEPENDENT_TERRITORIES,
    country_choices,
    country_name,
    country_names,
    find_country,
    match_country,
)

TOP_DESTINATIONS = ("RU", "KZ", "TR", "KR", "US", "AE", "DE", "GB", "UZ", "CN", "JP", "IT",
                    "PL", "CZ", "CA", "SA", "QA", "IL", "BY", "UA")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("АКШ", "US"), ("акш", "US"), ("США", "US"), ("USA", "US"), ("US", "US"),
        ("Америка", "US"), ("UK", "GB"), ("Англия", "GB"), ("Улуу Британия", "GB"),
        ("Орусия", "RU"), ("Россия", "RU"), ("РФ", "RU"), ("Казакстан", "KZ"),
        ("Түркия", "TR"), ("Корея", "KR"), ("Германия", "DE"), ("ОАЭ", "AE"), ("БАЭ", "AE"),
        ("Дубай", "AE"), ("Соединённые Штаты", "US"), ("Соединенные Штаты", "US"),
    ],
)  # fmt: skip
def test_everyday_names_are_exact(typed: str, code: str) -> None:
    assert match_country(typed) == code


def test_the_top_destinations_have_aliases_in_three_languages() -> None:
    for code in TOP_DESTINATIONS:
        assert len(ALIASES.get(code, ())) >= 2, code
        for locale in ("ky", "ru", "en"):
            assert match_country(country_name(code, locale)) == code


@pytest.mark.parametrize("typed", ["Амер", "amer", "Америк"])
def test_a_prefix_is_only_a_suggestion_and_a_state_beats_a_territory(typed: str) -> None:
    found = find_country(typed)
    assert found.code is None
    assert found.candidates == ["US"]


def test_territories_are_offered_only_when_nothing_else_fits() -> None:
    assert not set(find_country("Герм").candidates) & DEPENDENT_TERRITORIES
    assert find_country("Самоа").code == "WS"
    assert find_country("Американское").candidates == ["AS"]


def test_display_names_follow_kyrgyz_usage() -> None:
    assert country_name("US", "ky") == "АКШ"
    assert country_name("US", "ru") == "США"
    assert country_name("US", "en") == "United States"
    assert dict(country_choices("ky"))["US"] == "АКШ"
    assert "Америка Кошмо Штаттары" not in country_names("ky").values()

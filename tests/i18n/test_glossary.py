"""Issue 13's catalog fixes stay fixed, and no catalog uses a form the glossary says to avoid.

The *Avoid* table of translations/GLOSSARY.md is read here, so a new rule is one row there.
"""

from __future__ import annotations

import re

import pytest

from tests.i18n.test_catalogs import TRANSLATIONS, load, messages, strings

GLOSSARY = TRANSLATIONS / "GLOSSARY.md"

# (locale, source, what the translation must contain): the table of issue 13.
FIXES = [
    ("ky", "Aiyl okmotu, district and city administrations reach their people abroad, post "
     "projects and answer proposals.", "Айыл өкмөттөрү"),
    ("ky", "Mekendesh keeps the answers you give here (country, city, home community, plans) to "
     "send you news and surveys that concern you and to count, without names, how the diaspora "
     "lives. We never sell or publish your data; you can erase it at any time with /delete.",
     "жарыялабайбыз"),
    ("ky", "Remember me", "Мени эстеп калуу"),
    ("ky", "An account with this e-mail address already exists. Log in instead.",
     "Ошол аккаунтка кириңиз."),
    ("ky", "Welcome back to Mekendesh! Broadcast messages are on.",
     "кайра келгениңизге кубанычтабыз!"),
    ("ky", "Welcome back to Mekendesh! Broadcast messages are on.", "кайра иштетилди"),
    ("ky", "Broadcasts are paused: I will not send you news or surveys. Send /start to turn them "
     "on again.", "кайра иштетүү"),
    ("ky", "%(place)s: choose your community (aiyl aimak or town), or Skip.",
     "айыл аймагын же шаарды"),
    ("ky", "Add a community", "Айыл аймагын же шаарды"),
    ("ky", "Choose the district the community belongs to.", "Айыл аймагы же шаар"),
    ("ky", "Give the community's name in at least one language.", "Айыл аймагынын же шаардын"),
    ("ky", "Choose your region, district or community.", "айыл аймагын же шаарды"),
    ("ky", "The broadcast is cancelled; %(num)d message will not be sent.", "жокко чыгарылды"),
    ("ky", "Privacy", "Купуялык"),
    ("ky", "That is too long for a city name. Type just the name, please.",
     "Шаардын аты үчүн бул өтө узун."),
    ("ky", "Regularly", "Дайыма"),
    ("ky", "Preferred language", "Каалаган тилиңиз"),
    ("ky", "Display name", "Сайтта көрүнгөн атыңыз"),
    ("ky", "Before", "Мурунку маани"),
    ("ky", "After", "Жаңы маани"),
    ("ky", "Where is your home in Kyrgyzstan? Choose the region, or type the name of your aiyl "
           "aimak or town.", "Облусту же шаарды тандаңыз"),
    ("ky", "%(place)s: choose the district.", "районду же шаарды тандаңыз"),
    ("ru", "%(place)s: choose your community (aiyl aimak or town), or Skip.",
     "выберите айылный аймак или город"),
    ("ru", "Unknown place.", "территория"),
    ("ru", "Written for the place", "территории"),
    ("ru", "Choose one of the places you represent.", "территорий"),
    ("ru", "You have already asked to represent this place.", "территории"),
    ("ru", "You can only write to the people from the places you represent.", "территорий"),
    ("ru", "A moderator checks every request before the account can act for the place.",
     "территории"),
    ("ru", "Join Mekendesh", "«Мекендешу»"),
    ("ru", "Download everything Mekendesh keeps about you, or erase it.",
     "платформа «Мекендеш»"),
]


def _avoid_rules() -> list[tuple[str, re.Pattern[str], str, set[str]]]:
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## Avoid", 1)[1]
    rules = []
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 4 or cells[0] not in ("ky", "ru", "en"):
            continue
        pattern = cells[1].strip("`").replace("\\|", "|")
        exceptions = {e.strip() for e in cells[3].split(" ; ") if e.strip()}
        rules.append((cells[0], re.compile(pattern, re.IGNORECASE), cells[2], exceptions))
    return rules


def _text(message) -> str:
    return " ".join(strings(message.string))


def _source(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


@pytest.mark.parametrize(("locale", "source", "expected"), FIXES)
def test_issue_13_fix(locale: str, source: str, expected: str) -> None:
    catalog = {_source(m): m for m in messages(load(locale))}
    assert source in catalog, f"{source!r} is no longer in the code: update this test"
    assert expected in _text(catalog[source])


def test_the_glossary_has_rules_for_both_languages() -> None:
    rules = _avoid_rules()
    assert {locale for locale, *_ in rules} == {"ky", "ru"}
    assert len(rules) >= 15


@pytest.mark.parametrize("locale", ["ky", "ru"])
def test_no_catalog_entry_uses_a_form_to_avoid(locale: str) -> None:
    problems = []
    for message in messages(load(locale)):
        for rule_locale, pattern, instead, exceptions in _avoid_rules():
            if rule_locale != locale or _source(message) in exceptions:
                continue
            found = pattern.search(_text(message))
            if found:
                problems.append(f"{_source(message)!r}: «{found.group(0)}» -> {instead}")
    assert not problems, "\n".join(problems)


def test_the_avoid_rules_catch_what_they_are_meant_to() -> None:
    """Each rule would have caught the wording issue 13 found (so no rule is a dead letter)."""
    old = {
        "ky": ["Айыл өкмөтүлөрү", "жарыяланбайбыз", "Мени эстеп кал", "Анын ордуна кириңиз.",
               "Кайра кош келиңиз!", "күйгүзүлдү", "жамаатыңызды", "Калктуу конуш кошуу",
               "Купуялуулук", "Үзгүлтүксүз", "Тандалган тил", "Көрсөтүлүүчү ат",
               "Жергиликтүү бийлик үчүн", "Mekendesh аккаунту"],
        "ru": ["своё сообщество", "населённый пункт", "на Мекендеш", "аккаунт Mekendesh"],
    }
    rules = _avoid_rules()
    for locale, samples in old.items():
        for sample in samples:
            assert any(p.search(sample) for loc, p, *_ in rules if loc == locale), sample
    ok = {"ky": ["Мени эстеп калуу", "Жергиликтүү бийлик органы"], "ru": ["«Мекендеш»"]}
    for locale, samples in ok.items():
        for sample in samples:
            assert not any(p.search(sample) for loc, p, *_ in rules if loc == locale), sample

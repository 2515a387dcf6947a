"""The catalogs are a gate: complete, current, faithful to their placeholders, really Kyrgyz.

Like SecureDrop's check-strings: a string added to the code without running
`make translations` and translating it fails here, in every language.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
LOCALES = ("ky", "ru", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
KYRGYZ_LETTERS = re.compile("[өүңӨҮҢ]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Strings that are the same in every language (names, abbreviations, symbols).
SAME_EVERYWHERE = {"IT", "E-mail", "Telegram", "OK", "25–34", "35–44", "45–54", "#%(id)s"}
PLURAL_FORMS = {
    "ky": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3;",
    "en": "nplurals=2; plural=(n != 1);",
}


def load(locale: str):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def messages(catalog):
    return [m for m in catalog if m.id]


def strings(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def placeholders(text: str) -> set[str]:
    return {a or b or "" for a, b in PLACEHOLDER.findall(text)} | (
        {"%s"} if re.search(r"%[sdif]", text) else set()
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated_and_not_fuzzy(locale: str) -> None:
    catalog = load(locale)
    problems = []
    for message in messages(catalog):
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s.strip() for s in strings(message.string)):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, f"{locale}: {len(problems)} problems, e.g. {problems[:10]}"
    assert len(messages(catalog)) > 100


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_are_right_for_the_language(locale: str) -> None:
    header = load(locale).plural_forms
    assert PLURAL_FORMS[locale] in header


def test_catalogs_are_current_with_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "ngettext:1,2",
            "-k",
            "lazy_ngettext:1,2",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        committed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert extracted - committed == set(), (
        "strings in the code missing from messages.pot: run `make translations`"
    )
    assert committed - extracted == set(), "stale strings in messages.pot: run `make translations`"
    for locale in LOCALES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(load(locale))}
        assert ids == extracted, f"{locale} catalog is not up to date: run `make translations`"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders_and_markup(locale: str) -> None:
    problems = []
    for message in messages(load(locale)):
        source_texts = strings(message.id)
        expected = placeholders(source_texts[0]) | (
            placeholders(source_texts[1]) if len(source_texts) > 1 else set()
        )
        source_tags = sorted(TAG.findall(" ".join(source_texts)))
        for translated in strings(message.string):
            found = placeholders(translated)
            # A plural form may leave out the number ("one file"), never invent a name.
            if not found <= expected or (len(source_texts) == 1 and found != expected):
                problems.append(f"{message.id!r}: {sorted(found)} != {sorted(expected)}")
            tags = sorted(TAG.findall(translated))
            if tags != source_tags and not (
                len(source_texts) > 1 and set(tags) <= set(source_tags)
            ):
                problems.append(f"{message.id!r}: markup {tags} != {source_tags}")
    assert not problems, f"{locale}: {problems[:10]}"


def test_kyrgyz_is_kyrgyz() -> None:
    ky = {m.id: m for m in messages(load("ky"))}
    ru = {m.id: m for m in messages(load("ru"))}
    left_in_place, russian_copies, no_cyrillic = [], [], []
    with_kyrgyz_letters = 0
    for key, message in ky.items():
        texts = strings(message.string)
        joined = " ".join(texts)
        source = " ".join(strings(message.id))
        if KYRGYZ_LETTERS.search(joined):
            with_kyrgyz_letters += 1
        if source in SAME_EVERYWHERE or not LATIN_WORD.search(PLACEHOLDER.sub("", source)):
            continue
        if joined == source:
            left_in_place.append(source)
        elif not re.search("[а-яА-ЯёЁ]", PLACEHOLDER.sub("", joined)):
            no_cyrillic.append(source)
        if len(source.split()) >= 4 and strings(ru[key].string) == texts:
            russian_copies.append(source)
    assert not left_in_place, f"English left in the Kyrgyz catalog: {left_in_place[:10]}"
    assert not no_cyrillic, f"Kyrgyz entries without Cyrillic: {no_cyrillic[:10]}"
    assert not russian_copies, f"Russian copied into the Kyrgyz catalog: {russian_copies[:10]}"
    # Real Kyrgyz uses ө, ү, ң all the time; a catalog without them is Russian in disguise.
    assert with_kyrgyz_letters / len(ky) > 0.4


def test_russian_is_russian() -> None:
    problems = []
    for message in messages(load("ru")):
        source = " ".join(strings(message.id))
        if source in SAME_EVERYWHERE or not LATIN_WORD.search(PLACEHOLDER.sub("", source)):
            continue
        if not re.search("[а-яА-ЯёЁ]", " ".join(strings(message.string))):
            problems.append(source)
    assert not problems, problems[:10]


def test_compiled_catalogs_translate_at_runtime(app) -> None:
    from flask_babel import force_locale, gettext

    with app.test_request_context():
        with force_locale("ky"):
            ky = gettext("Page not found")
        with force_locale("ru"):
            ru = gettext("Page not found")
        with force_locale("en"):
            en = gettext("Page not found")
    assert en == "Page not found"
    assert ru == "Страница не найдена"
    assert ky != en and ky != ru


def test_templates_follow_a_language_forced_in_the_middle_of_a_request(app) -> None:
    """Templates keep the request's catalog for speed (diaspora/i18n.py); a message drawn in
    a member's own language during someone else's request (force_locale) must still get it,
    and the page around it keeps the reader's."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = '{{ _("Page not found") }}'
    with app.test_request_context("/?lang=en"):
        before = render_template_string(page)
        with force_locale("ru"):
            forced = render_template_string(page)
        after = render_template_string(page)
    assert (before, forced, after) == ("Page not found", "Страница не найдена",
                                       "Page not found")

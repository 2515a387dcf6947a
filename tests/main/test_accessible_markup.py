"""Accessibility in the HTML itself (no browser): the language of content shown in a fallback
language, form errors tied to their fields, the skip link. The browser pass with axe-core
is tests/main/test_accessibility.py."""

from __future__ import annotations

import re

from diaspora.news import service as news
from tests.conftest import login


def _russian_only_post(make_user) -> int:  # noqa: ANN001
    moderator = make_user("moderator")
    post = news.save_post(moderator, title={"ru": "Новости из Нарына"},
                          body={"ru": "Весной в селе открылась новая школа."})
    news.publish(moderator, post)
    return post.id


def test_a_russian_only_post_read_in_english_is_marked_russian(client, make_user) -> None:
    post_id = _russian_only_post(make_user)

    page = client.get(f"/news/{post_id}?lang=en").get_data(as_text=True)

    assert '<html lang="en">' in page
    assert re.search(r'<h1 lang="ru">\s*Новости из Нарына\s*</h1>', page)
    assert re.search(r'<div class="post-body" lang="ru">\s*<p>Весной в селе', page)
    assert "not available in your language" in page  # said in English, outside the lang="ru"

    listing = client.get("/news/?lang=en").get_data(as_text=True)
    assert re.search(r'lang="ru">Новости из Нарына</a>', listing)


def test_a_post_in_the_readers_language_carries_no_other_language(client, make_user) -> None:
    post_id = _russian_only_post(make_user)

    page = client.get(f"/news/{post_id}?lang=ru").get_data(as_text=True)

    assert '<html lang="ru">' in page
    assert re.search(r"<h1>\s*Новости из Нарына\s*</h1>", page)
    assert 'lang="None"' not in page and "not available" not in page


def test_a_field_error_is_tied_to_its_field(client) -> None:
    page = client.post("/register?lang=en", data={
        "email": "not-an-address", "password": "Correct-horse-42",
        "confirm": "Correct-horse-42", "accept_privacy": "y"}).get_data(as_text=True)

    email = re.search(r'<input[^>]*\bid="email"[^>]*>', page)
    assert email is not None
    assert 'aria-invalid="true"' in email.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', email.group(0))
    assert described is not None
    # Each id it names is on the page, and one of them holds the error's text.
    texts = []
    for ref in described.group(1).split():
        element = re.search(rf'<(\w+)[^>]*\bid="{re.escape(ref)}"[^>]*>(.*?)</\1>', page, re.S)
        assert element is not None, ref
        texts.append(element.group(2))
    assert any("valid e-mail" in text for text in texts), texts
    # A field without an error says nothing of the kind.
    password = re.search(r'<input[^>]*\bid="password"[^>]*>', page)
    assert password is not None and "aria-invalid" not in password.group(0)


def test_a_radio_group_error_is_tied_to_the_group(client, make_user) -> None:
    member = make_user("member")
    post_id = _russian_only_post(make_user)
    login(client, member)

    page = client.post(f"/report/news_post/{post_id}?lang=en", data={}).get_data(as_text=True)

    fieldset = re.search(r'<fieldset[^>]*aria-describedby="([^"]+)"[^>]*>', page)
    assert fieldset is not None, page
    ref = fieldset.group(1).split()[0]
    assert re.search(rf'<small class="field-error" id="{ref}" role="alert">[^<]+</small>', page)
    assert 'type="radio"' in page and re.search(r'<input[^>]*aria-invalid="true"[^>]*type="radio"|'
                                               r'<input[^>]*type="radio"[^>]*aria-invalid="true"',
                                               page)


def test_every_page_starts_with_a_link_to_its_main_content(client) -> None:
    for lang, label in (("ky", "Негизги мазмунга өтүү"), ("ru", "Перейти к основному содержанию"),
                        ("en", "Skip to main content")):
        page = client.get(f"/?lang={lang}").get_data(as_text=True)
        body = page.split("<body>", 1)[1].lstrip()
        assert body.startswith(f'<a class="skip-link" href="#main">{label}</a>')
        assert re.search(r'<main [^>]*id="main"', page)

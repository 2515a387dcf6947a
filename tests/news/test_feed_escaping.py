"""Issue 7, item 4: the Atom feed escapes what writers type and always parses as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from diaspora.news import service as news
from diaspora.news.rendering import summary

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = 'Tom & Jerry </title><script>alert("t")</script> ]]> <!-- \x01end'
HOSTILE_BODY = ('Fish & chips <script>alert("b")</script></content><evil/> ]]> '
                '&amp; <b onclick="x()">bold</b> **strong** \x0b')


def test_hostile_titles_and_bodies_round_trip_as_text(client, users):
    moderator = users["moderator"]
    post = news.save_post(moderator, title={"en": HOSTILE_TITLE, "ru": "Нормальный"},
                          body={"en": HOSTILE_BODY, "ru": "Текст"})
    news.publish(moderator, post)

    response = client.get("/news/feed/en.atom")
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    assert raw.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "<script" not in raw and "<evil" not in raw

    # Raises if a title or body broke the XML (our own output: no untrusted XML parsed).
    root = ET.fromstring(response.data)  # noqa: S314
    (entry,) = root.findall(f"{ATOM}entry")
    # The title comes back exactly as typed, minus the one control character XML can't carry.
    assert entry.find(f"{ATOM}title").text == HOSTILE_TITLE.replace("\x01", "")
    assert entry.find(f"{ATOM}summary").text == summary(HOSTILE_BODY).replace("\x0b", "")
    # type="html": the content is text that is itself the sanitised HTML of the post.
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert list(content) == []  # no element smuggled in
    assert "<strong>strong</strong>" in content.text
    assert "Fish &amp; chips" in content.text
    assert "<script" not in content.text and "onclick" not in content.text

    # Every language's feed parses, including one whose text falls back to another language.
    for lang in ("ky", "ru"):
        ET.fromstring(client.get(f"/news/feed/{lang}.atom").data)  # noqa: S314

"""The chat page shows the bot's messages as Telegram formats them, and nothing unsafe."""

from __future__ import annotations

from diaspora.devchat.render import message_html


def test_entities_count_utf16_units_and_text_is_escaped() -> None:
    text = "Salam & <b> 👋 Bold link"
    # 👋 is two UTF-16 code units: "Bold" starts at 15, "link" at 20.
    html = message_html(text, [
        {"type": "bold", "offset": 15, "length": 4},
        {"type": "italic", "offset": 15, "length": 9},
        {"type": "text_link", "offset": 20, "length": 4, "url": "https://mekendesh.kg/x?a=1&b=2"},
    ])
    assert html == ('Salam &amp; &lt;b&gt; 👋 <i><b>Bold</b> <a href="https://mekendesh.kg/x?a=1'
                    '&amp;b=2" target="_blank" rel="noopener noreferrer">link</a></i>')


def test_a_link_that_is_not_a_web_address_stays_plain_text() -> None:
    html = message_html("click", [{"type": "text_link", "offset": 0, "length": 5,
                                   "url": "javascript:alert(1)"}])
    assert html == "click"


def test_broken_entities_are_ignored() -> None:
    assert message_html("abc", [{"type": "bold", "offset": 2, "length": 9},
                                {"type": "bold"}]) == "abc"

"""User Markdown to safe HTML, and plain-text summaries: shared by every feature that stores
what members write (news posts, projects and their progress updates, ...).

Content is rendered when it is written and the cleaned HTML stored; pages never run
Markdown. A feature that stores rendered text keeps its own version number (news:
`diaspora.news.rendering.RENDERER_VERSION`) to re-render after a change here.
"""

from __future__ import annotations

import html as html_module
import re

import markdown
import nh3
from markupsafe import Markup

# What user text may contain once rendered: text structure, links, no images from elsewhere
# (privacy: a reader's browser would call third-party hosts), no scripts, no styles, no
# event attributes. Links get rel="nofollow noopener noreferrer" and only safe schemes.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "del", "blockquote",
    "ul", "ol", "li", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td", "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
LIST_SUMMARY_MAX = 300


def render_markdown(text: str | None) -> Markup:
    """Markdown -> sanitised HTML, safe to put in a page as is."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"],
                             output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        clean_content_tags={"script", "style"},
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)


def html_words(html: str) -> str:
    """The words of already cleaned HTML, without any markup, on one line."""
    stripped = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html_module.unescape(stripped).split())


def plain_text(text: str | None) -> str:
    """The words of a Markdown text without any markup (for summaries and feeds)."""
    return html_words(markdown.markdown(text or "", extensions=["extra"]))


def shorten(words: str | None, limit: int = LIST_SUMMARY_MAX) -> str:
    """Plain text cut at a word boundary to at most `limit` characters (no Markdown)."""
    words = words or ""
    if len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0] + "…"


def summary(text: str | None, limit: int = LIST_SUMMARY_MAX) -> str:
    return shorten(plain_text(text), limit)


# Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab, newline, CR;
# lone surrogates; U+FFFE and U+FFFF).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Plain text (never Markup, so autoescaping escapes it) that XML can carry."""
    return _NOT_XML.sub("", str(value if value is not None else ""))

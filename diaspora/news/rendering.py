"""News bodies rendered when written, and the pieces news shares with every feature.

A post's body is rendered when it is written (`render_body`, called by the model's
before-insert/update hooks in models.py), stored with `RENDERER_VERSION`, and pages show
the stored HTML: no page runs Markdown. Change anything in diaspora/rendering.py that alters
the output, bump `RENDERER_VERSION`, and run `flask news-rerender` after deploying.

The Markdown sanitiser lives in diaspora/rendering.py and the image pipeline in
diaspora/images.py (projects use them too); their names are kept here for news' callers.
"""

from __future__ import annotations

from diaspora.images import (
    IMAGE_FORMATS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    NOT_AN_IMAGE,
    ProcessedImage,
    process_image,
)
from diaspora.rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LIST_SUMMARY_MAX,
    URL_SCHEMES,
    html_words,
    plain_text,
    render_markdown,
    shorten,
    summary,
    xml_text,
)

# The version of what render_body produces: posts stored with another are re-rendered by
# `flask news-rerender`.
RENDERER_VERSION = 1
# The summary kept with a post (the Telegram push shows up to 500 characters, the news
# list 300: shorten() cuts the stored one).
SUMMARY_MAX = 500


def render_body(text: str | None) -> tuple[str, str]:
    """(sanitised HTML, plain-text summary of at most SUMMARY_MAX characters) of a Markdown
    text: one Markdown pass, the summary read from the cleaned HTML."""
    html = str(render_markdown(text))
    return html, shorten(html_words(html), SUMMARY_MAX)


__all__ = [
    "ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "IMAGE_FORMATS", "LIST_SUMMARY_MAX",
    "MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "MAX_IMAGE_SIDE", "NOT_AN_IMAGE", "RENDERER_VERSION",
    "SUMMARY_MAX", "URL_SCHEMES", "ProcessedImage", "plain_text", "process_image",
    "render_body", "render_markdown", "shorten", "summary", "xml_text",
]

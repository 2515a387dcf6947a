"""Markdown to safe HTML, plain-text summaries, and image checks for news posts.

A post's body is rendered when it is written (`render_body`, called by the model's
before-insert/update hooks in models.py), stored with `RENDERER_VERSION`, and pages show
the stored HTML: no page runs Markdown. Change anything here that alters the output, bump
`RENDERER_VERSION`, and run `flask news-rerender` after deploying.
"""

from __future__ import annotations

import html as html_module
import io
import re

import markdown
import nh3
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from PIL import Image, ImageOps, UnidentifiedImageError

from diaspora.errors import ValidationError

# What a post may contain once rendered: text structure, links, no images from elsewhere
# (privacy: a reader's browser would call third-party hosts), no scripts, no styles, no
# event attributes. Links get rel="nofollow noopener noreferrer" and only safe schemes.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "del", "blockquote",
    "ul", "ol", "li", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td", "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

# The version of what render_body produces: posts stored with another are re-rendered by
# `flask news-rerender`.
RENDERER_VERSION = 1
# The summary kept with a post (the Telegram push shows up to 500 characters, the news
# list 300: shorten() cuts the stored one).
SUMMARY_MAX = 500
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


def plain_text(text: str | None) -> str:
    """The words of a Markdown text without any markup (for summaries and feeds)."""
    html = markdown.markdown(text or "", extensions=["extra"])
    stripped = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html_module.unescape(stripped).split())


def shorten(words: str | None, limit: int = LIST_SUMMARY_MAX) -> str:
    """Plain text cut at a word boundary to at most `limit` characters (no Markdown)."""
    words = words or ""
    if len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0] + "…"


def summary(text: str | None, limit: int = LIST_SUMMARY_MAX) -> str:
    return shorten(plain_text(text), limit)


def render_body(text: str | None) -> tuple[str, str]:
    """(sanitised HTML, plain-text summary of at most SUMMARY_MAX characters) of a Markdown
    text: one Markdown pass, the summary read from the cleaned HTML."""
    html = str(render_markdown(text))
    words = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    return html, shorten(" ".join(html_module.unescape(words).split()), SUMMARY_MAX)


# Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab, newline, CR;
# lone surrogates; U+FFFE and U+FFFF).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Plain text (never Markup, so autoescaping escapes it) that XML can carry."""
    return _NOT_XML.sub("", str(value if value is not None else ""))


# -- images ----------------------------------------------------------------------------------

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Decoding costs about 4 bytes a pixel, several times over while resizing: a few kilobytes of
# PNG can claim 6300x6300 pixels (600 MB). The size is read from the header and refused
# before anything is decoded; 25 megapixels is more than any phone camera needs.
MAX_IMAGE_PIXELS = 25_000_000
MAX_IMAGE_SIDE = 1600
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
NOT_AN_IMAGE = _l("This file is not an image we can use (JPEG, PNG, WebP or GIF).")


class ProcessedImage:
    def __init__(self, data: bytes, content_type: str, width: int, height: int) -> None:
        self.data, self.content_type, self.width, self.height = data, content_type, width, height


def process_image(data: bytes) -> ProcessedImage:
    """Check an upload is a real JPEG/PNG/WebP/GIF image of sane size, then re-encode it
    (at most 1600 px a side, EXIF such as GPS position dropped) as JPEG, or PNG if it has
    transparency."""
    if not data:
        raise ValidationError(_l("The image is empty."), field="image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(_l("The image is too large (5 MB at most)."), field="image")
    try:
        # Opening reads the header only; only our four formats' parsers are ever tried.
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _l("The image has too many pixels (at most %(limit)d megapixels). "
                       "Make it smaller and try again.", limit=MAX_IMAGE_PIXELS // 1_000_000),
                    field="image")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
            image.seek(0)
            # Resize first: a JPEG is then decoded at a reduced scale (Pillow's draft mode).
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            picture = ImageOps.exif_transpose(image) or image.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError) as error:
        raise ValidationError(NOT_AN_IMAGE, field="image") from error
    has_alpha = picture.mode in ("RGBA", "LA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    out = io.BytesIO()
    if has_alpha:
        picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        picture = picture.convert("RGB")
        picture.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return ProcessedImage(out.getvalue(), content_type, picture.width, picture.height)

"""The image pipeline every upload goes through (news images, project and progress photos):
the type sniffed from the bytes, the size checked before decoding, re-encoded at most
1600 px a side with EXIF (GPS position, camera) dropped, plus narrower renditions (480 and
960 px wide) that pages offer through `srcset`, so a phone loads one that fits its screen."""

from __future__ import annotations

import io
from typing import Any

from flask import abort, request, url_for
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from diaspora.errors import ValidationError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Decoding costs about 4 bytes a pixel, several times over while resizing: a few kilobytes of
# PNG can claim 6300x6300 pixels (600 MB). The size is read from the header and refused
# before anything is decoded; 25 megapixels is more than any phone camera needs.
MAX_IMAGE_PIXELS = 25_000_000
MAX_IMAGE_SIDE = 1600
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# The widths of the smaller renditions made of every stored image wider than them (the image
# routes serve them as `?w=480`, `?w=960`): 480 fills a 360 px phone's screen at 1.3x its
# pixel density, or half of it (the photo grid's two columns) at 2.7x; 960 fills a tablet or
# a 360 px phone at 2.7x. A rendition has the original's type (JPEG, or PNG for transparency),
# which every browser shows.
RENDITION_WIDTHS = (480, 960)
RENDITION_JPEG_QUALITY = 80
NOT_AN_IMAGE = _l("This file is not an image we can use (JPEG, PNG, WebP or GIF).")


class ProcessedImage:
    def __init__(self, data: bytes, content_type: str, width: int, height: int,
                 renditions: dict[int, bytes] | None = None) -> None:
        self.data, self.content_type, self.width, self.height = data, content_type, width, height
        # {width: bytes} of the renditions narrower than the image (none for a narrow one).
        self.renditions = renditions or {}


def _encode(picture: Image.Image, png: bool, quality: int = 85) -> bytes:
    out = io.BytesIO()
    if png:
        picture.save(out, format="PNG", optimize=True)
    else:
        picture.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _renditions(picture: Image.Image, png: bool) -> dict[int, bytes]:
    """The renditions of a decoded picture: one per width of RENDITION_WIDTHS it is wider
    than, the height in proportion."""
    made = {}
    for width in RENDITION_WIDTHS:
        if picture.width <= width:
            continue
        height = max(1, round(picture.height * width / picture.width))
        smaller = picture.resize((width, height), Image.Resampling.LANCZOS)
        made[width] = _encode(smaller, png, RENDITION_JPEG_QUALITY)
    return made


def make_renditions(data: bytes, content_type: str) -> dict[int, bytes]:
    """The renditions of an image already stored (process_image's output, so trusted to be
    a sane JPEG or PNG), for the rows stored before renditions existed."""
    with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
        png = content_type == "image/png"
        image.load()
        picture = image.convert("RGBA" if png else "RGB")
    return _renditions(picture, png)


def process_image(data: bytes, *, renditions: bool = True) -> ProcessedImage:
    """Check an upload is a real JPEG/PNG/WebP/GIF image of sane size, then re-encode it
    (at most 1600 px a side, EXIF such as GPS position dropped) as JPEG, or PNG if it has
    transparency, with its smaller renditions (unless `renditions` is False: a document
    that is never shown on a page needs none)."""
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
    picture = picture.convert("RGBA" if has_alpha else "RGB")
    content_type = "image/png" if has_alpha else "image/jpeg"
    return ProcessedImage(_encode(picture, has_alpha), content_type, picture.width,
                          picture.height, _renditions(picture, has_alpha) if renditions else None)


# -- serving -----------------------------------------------------------------------------------


def requested_width() -> int | None:
    """The rendition an image route is asked for (`?w=480`): None for the full image; any
    width but RENDITION_WIDTHS is "not found", so no one can make the server resize at will
    and no URL is left to a cache's guess."""
    asked = request.args.get("w")
    if asked is None:
        return None
    if not asked.isdigit() or int(asked) not in RENDITION_WIDTHS:
        abort(404)
    return int(asked)


def image_srcset(endpoint: str, picture: Any, **values: Any) -> str:
    """The `srcset` of a stored image (diaspora.models.StoredImage) served by `endpoint`:
    its renditions and the full image, each with its pixel width."""
    candidates = [f"{url_for(endpoint, w=width, **values)} {width}w"
                  for width in picture.rendition_widths_made()]
    candidates.append(f"{url_for(endpoint, **values)} {picture.width}w")
    return ", ".join(candidates)


# -- rows stored before renditions (`flask images-renditions`) ---------------------------------


def fill_renditions(*, everything: bool = False, batch: int = 50) -> int:
    """Make the renditions of the stored images that have none yet (all with `everything`),
    a batch at a time so a large archive never sits in memory at once. Returns how many rows
    were done. Run after deploying; pages never make a rendition, so a GET writes nothing."""
    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    from diaspora.extensions import db
    from diaspora.news.models import NewsImage
    from diaspora.projects.models import ProjectPhoto, ProjectUpdatePhoto

    done = 0
    for model in (NewsImage, ProjectPhoto, ProjectUpdatePhoto):
        query = select(model.id).order_by(model.id)
        if not everything:
            query = query.where(model.renditions.is_(None))
        ids = list(db.session.scalars(query))
        for start in range(0, len(ids), batch):
            rows = db.session.scalars(select(model).options(undefer(model.data))
                                      .where(model.id.in_(ids[start:start + batch])))
            for row in rows:
                try:
                    made = make_renditions(row.data or b"", row.content_type)
                except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
                    made = {}  # unreadable: marked done, its page keeps the full image
                row.set_renditions(made)
                done += 1
            db.session.commit()
            db.session.expunge_all()
    return done

"""The image pipeline every upload goes through (news images, project and progress photos):
the type sniffed from the bytes, the size checked before decoding, re-encoded at most
1600 px a side with EXIF (GPS position, camera) dropped."""

from __future__ import annotations

import io

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

"""Issue 7, item 11: an image's pixel count is checked from its header, before decoding."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from diaspora.errors import ValidationError
from diaspora.news.rendering import process_image


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload)))


def _huge_grey_png(width: int, height: int) -> bytes:
    """A valid all-black greyscale PNG, built row by row so the test never holds it decoded."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + one byte a pixel
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels)
            + _chunk(b"IEND", b""))


def test_a_small_file_claiming_many_pixels_is_refused_before_decoding(monkeypatch):
    bomb = _huge_grey_png(6300, 6300)  # what took 600 MB to decode
    assert len(bomb) < 200_000
    with Image.open(io.BytesIO(bomb)) as check:
        assert check.size == (6300, 6300)  # a real PNG of that size

    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    with pytest.raises(ValidationError) as refused:
        process_image(bomb)
    assert refused.value.field == "image"
    assert "too many pixels" in str(refused.value.message)
    assert "25" in str(refused.value.message)
    assert decoded == []  # refused from the header alone


def test_rotated_phone_photos_are_still_turned_upright():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    Image.new("RGB", (2400, 1200), "green").save(out, format="JPEG", exif=exif)
    picture = process_image(out.getvalue())
    assert (picture.width, picture.height) == (800, 1600)

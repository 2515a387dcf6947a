"""A light first load for phones on poor connections: compressed answers, and static files
under fingerprinted addresses that a browser keeps for a year.

- Every `url_for('static', filename=...)` carries `?v=<hash of the file's bytes>`: a changed
  file gets a new address, so the old one may be cached for ever
  (`Cache-Control: public, max-age=31536000, immutable`). An address with a stale or no
  hash is still served, with Flask's usual revalidation.
- HTML, CSS, JS, SVG, Atom and text answers are compressed (Flask-Compress: br, zstd, gzip
  or deflate, as the browser accepts). The JSON API under /api/ is left as it is: its
  strong ETags and its Vary are part of its contract.
"""

from __future__ import annotations

import hashlib
import os
from stat import S_ISREG
from typing import Any

from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
FINGERPRINT_ARG = "v"
# What is worth compressing; images are compressed already, JSON is the API's.
COMPRESSED_TYPES = [
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
    "application/javascript", "application/atom+xml", "image/svg+xml",
]

# filename -> (mtime_ns, size, hash): a file is read again only when it changes on disk.
_fingerprints: dict[str, tuple[int, int, str]] = {}


def fingerprint(filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file's bytes (None: no such file)."""
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return None
    if not S_ISREG(stat.st_mode):  # a folder, as a 404 page's language links may name
        return None
    known = _fingerprints.get(path)
    if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
        return known[2]
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()[:12]
    _fingerprints[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def _add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or FINGERPRINT_ARG in values or "filename" not in values:
        return
    digest = fingerprint(values["filename"])
    if digest:
        values[FINGERPRINT_ARG] = digest


def _cache_fingerprinted(response: Response) -> Response:
    """A static file asked for under its current hash never changes: keep it a year."""
    if request.endpoint != "static" or response.status_code != 200:
        return response
    asked = request.args.get(FINGERPRINT_ARG)
    filename = (request.view_args or {}).get("filename")
    if asked and filename and asked == fingerprint(filename):
        response.headers["Cache-Control"] = IMMUTABLE
        # The hash is the validator; no revalidation is ever needed.
        response.headers.pop("Expires", None)
    return response


def _compress_answer(response: Response) -> Response:
    if request.path.startswith("/api/"):
        return response
    return current_app.extensions["mekendesh.compress"].after_request(response)


def configure_assets(app: Flask) -> None:
    """Called after configure_security: these after_request hooks then run before its own,
    which only fills a Cache-Control that is not set yet."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Registered by hand below, so that /api/ can be left out.
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress()
    compress.init_app(app)
    app.extensions["mekendesh.compress"] = compress
    app.url_defaults(_add_fingerprint)
    app.after_request(_compress_answer)
    app.after_request(_cache_fingerprinted)

"""Fingerprinted static URLs: `url_for('static', filename=...)` gains `?v=<content hash>`.

A changed file gets a new URL, so the front proxy can let browsers keep a fingerprinted file
for a year (deploy/nginx/mekendesh.conf) and a new stylesheet still reaches everyone at once.
The hash is remembered per file and recomputed when the file's size or modification time
changes, so editing a file during development needs no restart.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask

_HASHES: dict[str, tuple[tuple[int, int], str]] = {}


def fingerprint(path: str) -> str | None:
    """A short hash of the file's content; None when there is no such file."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    known = _HASHES.get(path)
    if known is not None and known[0] == key:
        return known[1]
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:12]
    _HASHES[path] = (key, digest)
    return digest


def register_static_fingerprints(app: Flask) -> None:
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "v" in values or not app.static_folder:
            return
        filename = values.get("filename")
        if not filename:
            return
        path = os.path.join(app.static_folder, filename)
        # Only files inside static/ (a '..' in a name is never hashed).
        if os.path.commonpath([os.path.realpath(path),
                               os.path.realpath(app.static_folder)]) != \
                os.path.realpath(app.static_folder):
            return
        version = fingerprint(path)
        if version is not None:
            values["v"] = version

    app.url_defaults(add_version)

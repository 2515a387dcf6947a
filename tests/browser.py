"""What the browser tests share: Debian's Chromium (a skip without it, a failure under
REQUIRE_BROWSER, as in CI) and an app served on loopback in a thread."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium_or_skip() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set but there is no Chromium at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """`app` answering on a free loopback port; its address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()

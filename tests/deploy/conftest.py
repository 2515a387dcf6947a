"""The shipped production files (deploy/) run as they will: gunicorn with
deploy/gunicorn.conf.py on a loopback port, over a SQLite database of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url} within {seconds:g} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@dataclass
class Site:
    url: str
    port: int
    access_log: Path
    output: Path


@pytest.fixture(scope="session")
def gunicorn_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """gunicorn started by its production config against a migrated SQLite file, trusting
    one proxy (PROXY_FIX_TRUSTED=1) as it does behind the shipped nginx site."""
    from flask_migrate import upgrade

    from diaspora import create_app
    from diaspora.extensions import db
    from diaspora.places.service import load_gazetteer

    folder = tmp_path_factory.mktemp("gunicorn")
    database = f"sqlite:///{folder / 'site.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "TESTING": True}, environ={})
    with app.app_context():
        upgrade()
        load_gazetteer()
        db.session.commit()
        db.engine.dispose()

    port = free_port()
    access_log, output = folder / "access.log", folder / "gunicorn.out"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database,
        "SECRET_KEY": "deploy-test-" + "x" * 40,
        "PROXY_FIX_TRUSTED": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": str(access_log),
    }
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
             "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield Site(f"http://127.0.0.1:{port}", port, access_log, output)
    finally:
        stop(process)

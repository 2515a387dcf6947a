"""`make run` without a token (`flask serve`): it says where to talk to the bot, and the bot
answers /start on the chat page — the real command, in its own process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path):
    flask = Path(sys.executable).with_name("flask")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TELEGRAM_", "MEKENDESH_", "DATABASE_URL"))}
    env.update({"FLASK_APP": "wsgi.py",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}"})
    subprocess.run([str(flask), "bootstrap"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=180)
    port = _free_port()
    process = subprocess.Popen([str(flask), "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not any("Talk to the bot at" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, lines
            lines.append(process.stdout.readline())
        yield port, lines
    finally:
        children = _children(process.pid)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    assert children, "serve started no bot process"
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)], "the bot process outlived serve"


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_says_where_and_the_bot_answers_on_the_chat_page(served) -> None:
    port, lines = served
    assert f"Talk to the bot at http://127.0.0.1:{port}/dev/chat" in "".join(lines)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = client.get("/dev/chat?lang=ky")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        user = re.search(r'option value="(\d+)" selected', page.text).group(1)
        sent = client.post(f"/dev/chat/{user}/send", data={"csrf_token": token,
                                                           "text": "/start"})
        assert sent.status_code == 302
        deadline = time.monotonic() + 60
        while "Кыргызча" not in client.get(f"/dev/chat/{user}/messages").text:
            assert time.monotonic() < deadline, "the bot never answered /start"
            time.sleep(0.3)

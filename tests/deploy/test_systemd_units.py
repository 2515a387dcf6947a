"""The systemd units (deploy/systemd/): read as systemd reads them, each start command checked
against this tree, and `systemd-analyze verify` where it is installed.

Installed, the tree lives in /opt/mekendesh; the verify test points the units at this checkout
instead, so the commands it checks are the real ones (.venv/bin/gunicorn, .venv/bin/python).
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, ROOT

UNITS = DEPLOY / "systemd"
INSTALLED = "/opt/mekendesh"
NAMES = ("mekendesh-web.service", "mekendesh-bot.service", "mekendesh-sender.service")


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value in order (systemd keys may repeat, as Environment=).
    A key outside a section or a line that is no `key=value` fails the test."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}:{number}: {raw!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict, section: str, key: str) -> str:
    values = unit[section].get(key, [])
    assert len(values) == 1, f"{key}= in [{section}]: {values}"
    return values[0]


def test_every_unit_is_shipped() -> None:
    assert sorted(p.name for p in UNITS.glob("*.service")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_units_run_as_a_service_should(name: str) -> None:
    unit = parse(UNITS / name)
    service = unit["Service"]
    assert one(unit, "Service", "User") == "mekendesh"
    assert one(unit, "Service", "EnvironmentFile") == "/etc/mekendesh/env"
    assert one(unit, "Service", "WorkingDirectory") == INSTALLED
    assert one(unit, "Service", "Restart") == "on-failure"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes"}.items():
        assert one(unit, "Service", key) == value, key
    assert service["CapabilityBoundingSet"] == [""]  # no capability at all
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


def command(name: str) -> list[str]:
    words = shlex.split(one(parse(UNITS / name), "Service", "ExecStart"))
    assert words[0].startswith(INSTALLED + "/.venv/bin/"), words[0]
    # The same program in this checkout exists: the unit names something installed.
    assert (ROOT / words[0][len(INSTALLED) + 1:]).exists(), words[0]
    return words


def test_web_runs_gunicorn_with_the_shipped_config() -> None:
    words = command("mekendesh-web.service")
    assert Path(words[0]).name == "gunicorn"
    assert words[1:] == ["-c", f"{INSTALLED}/deploy/gunicorn.conf.py", "wsgi:app"]
    assert (DEPLOY / "gunicorn.conf.py").is_file() and (ROOT / "wsgi.py").is_file()
    # gunicorn says when it is ready, so the unit waits for it.
    unit = parse(UNITS / "mekendesh-web.service")
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "ExecReload") == "/bin/kill -s HUP $MAINPID"


@pytest.mark.parametrize(("name", "module"), [("mekendesh-bot.service", "bot"),
                                              ("mekendesh-sender.service", "bot.sender")])
def test_bot_and_sender_run_their_modules(name: str, module: str) -> None:
    words = command(name)
    assert Path(words[0]).name == "python"
    assert words[1:3] == ["-m", module]
    spec = importlib.util.find_spec(module if module != "bot" else "bot.__main__")
    assert spec is not None and Path(spec.origin).is_relative_to(ROOT)


def test_the_bot_leaves_the_outbox_to_the_sender_unit() -> None:
    """Two senders without a shared Redis budget would each send at the full rate."""
    unit = parse(UNITS / "mekendesh-bot.service")
    assert "BOT_RUN_SENDER=0" in unit["Service"]["Environment"]
    sender = command("mekendesh-sender.service")
    assert sender[3:] == ["--worker-id", "%H"]


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package): the units "
                    "were checked by parsing only")
    for name in NAMES:
        (tmp_path / name).write_text((UNITS / name).read_text().replace(INSTALLED, str(ROOT)))
    result = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in NAMES)],
                            capture_output=True, text=True, timeout=120)
    # Lines about our own files (an unknown key, a bad value, a command that is not
    # executable); systemd-analyze also talks about the host's units, which are not ours.
    ours = [line for line in (result.stdout + result.stderr).splitlines()
            if any(name in line for name in NAMES)]
    if result.returncode != 0 and not ours and re.search(
            r"(?i)failed to (connect|initialize|set up)|no such file or directory.*bus",
            result.stderr):
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0 and not ours, result.stdout + result.stderr

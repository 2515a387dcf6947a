"""gunicorn as the systemd unit starts it: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

from __future__ import annotations

import multiprocessing
import runpy
import time
import urllib.request

import pytest

from tests.deploy.conftest import DEPLOY, Site


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.read().decode()


def test_the_config_serves_the_site(gunicorn_site: Site) -> None:
    status, body = get(gunicorn_site.url + "/healthz")
    assert status == 200 and '"database":true' in body.replace(" ", "")
    status, body = get(gunicorn_site.url + "/news/?lang=ky")
    assert status == 200 and "<html" in body
    status, body = get(gunicorn_site.url + "/?lang=ru")
    assert status == 200 and 'lang="ru"' in body


def test_requests_reach_the_access_log(gunicorn_site: Site) -> None:
    get(gunicorn_site.url + "/healthz?from=access-log-test")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = gunicorn_site.access_log.read_text() if gunicorn_site.access_log.exists() else ""
        if "/healthz?from=access-log-test" in log:
            break
        time.sleep(0.1)
    line = next(line for line in log.splitlines() if "from=access-log-test" in line)
    assert '"GET /healthz?from=access-log-test HTTP/1.1" 200' in line


def read_config(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_ACCESS_LOG",
                 "GUNICORN_FORWARDED_ALLOW_IPS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_defaults_fit_the_machine_and_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    config = read_config(monkeypatch)
    assert config["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert config["bind"] == ["127.0.0.1:8000"]  # only nginx on this machine reaches it
    assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert config["accesslog"] == "-"  # to the journal
    assert config["graceful_timeout"] >= 10


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = read_config(monkeypatch, GUNICORN_BIND="unix:/run/mekendesh/gunicorn.sock",
                         GUNICORN_WORKERS="3", GUNICORN_ACCESS_LOG="")
    assert config["bind"] == ["unix:/run/mekendesh/gunicorn.sock"]
    assert config["workers"] == 3
    assert config["accesslog"] is None


def test_a_bad_worker_count_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match="GUNICORN_WORKERS='many'"):
        read_config(monkeypatch, GUNICORN_WORKERS="many")

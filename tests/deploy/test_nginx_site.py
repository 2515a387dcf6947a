"""The nginx site (deploy/nginx/mekendesh.conf) under Debian's nginx: `nginx -t` on the file
as shipped (only the certificate and log paths pointed at a temporary folder), then nginx
running it in front of gunicorn: HTTP to HTTPS, TLS, static files, gzip, the proxy headers.

Skipped where nginx is missing (apt-get install nginx) unless REQUIRE_NGINX is set, as
.ci/run does: there a missing nginx fails.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import load_settings
from tests.deploy.conftest import DEPLOY, ROOT, Site, free_port, stop

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl")
SITE = DEPLOY / "nginx" / "mekendesh.conf"
CERTIFICATE = "/etc/letsencrypt/live/mekendesh.kg/fullchain.pem"
KEY = "/etc/letsencrypt/live/mekendesh.kg/privkey.pem"


def _nginx_or_skip() -> None:
    missing = []
    if not os.access(NGINX, os.X_OK):
        missing.append(f"nginx (none at {NGINX})")
    if OPENSSL is None:
        missing.append("openssl (for a throw-away certificate)")
    if missing:
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("REQUIRE_NGINX is set but this is missing: " + ", ".join(missing))
        pytest.skip("not installed (apt-get install nginx openssl): " + ", ".join(missing))


def main_config(folder: Path, site: Path) -> Path:
    """An nginx.conf of our own around the site: every file nginx writes in `folder`."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / name).mkdir(exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(f"""
pid {folder}/nginx.pid;
error_log {folder}/error.log;
daemon off;
master_process off;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
""")
    return config


def make_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60)
    return certificate, key


def shipped_site_with_local_files(folder: Path) -> str:
    certificate, key = make_certificate(folder)
    text = SITE.read_text()
    assert CERTIFICATE in text and KEY in text and "/var/log/nginx/" in text
    return (text.replace(CERTIFICATE, str(certificate)).replace(KEY, str(key))
            .replace("/var/log/nginx/", f"{folder}/"))


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    _nginx_or_skip()
    site = tmp_path / "mekendesh.conf"
    site.write_text(shipped_site_with_local_files(tmp_path))
    result = subprocess.run([NGINX, "-t", "-c", str(main_config(tmp_path, site))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_upload_limit_matches_the_site() -> None:
    """nginx refuses a body larger than the site's MAX_CONTENT_LENGTH, and no smaller one."""
    match = re.search(r"^\s*client_max_body_size\s+(\d+)([kKmM]?);", SITE.read_text(), re.M)
    assert match, "the site sets no client_max_body_size (nginx's default is 1 MiB)"
    size = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2).lower()]
    assert size == load_settings({})["MAX_CONTENT_LENGTH"]


@dataclass
class Proxy:
    http_port: int
    https_port: int
    certificate: Path
    folder: Path

    def https(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.certificate))
        return http.client.HTTPSConnection("localhost", self.https_port, context=context,
                                           timeout=30)


@pytest.fixture(scope="module")
def proxy(gunicorn_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The shipped site in front of gunicorn, on free loopback ports instead of 80 and 443."""
    _nginx_or_skip()
    folder = tmp_path_factory.mktemp("nginx")
    http_port, https_port = free_port(), free_port()
    text = shipped_site_with_local_files(folder)
    text = re.sub(r"^\s*listen \[::\]:\d+.*$", "", text, flags=re.M)  # no IPv6 needed here
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    text = text.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{gunicorn_site.port}")
    text = text.replace("alias /opt/mekendesh/static/;", f"alias {ROOT}/static/;")
    site = folder / "mekendesh.conf"
    site.write_text(text)
    process = subprocess.Popen([NGINX, "-c", str(main_config(folder, site))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    answer = Proxy(http_port, https_port, folder / "cert.pem", folder)
    try:
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail("nginx did not start: " + process.stderr.read().decode())
            try:
                connection = answer.https()
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield answer
    finally:
        stop(process)


def fetch(connection: http.client.HTTPConnection, path: str,
          **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=30)
    response, _ = fetch(connection, "/news/?lang=ru")
    assert response.status == 301
    assert response.getheader("Location") == "https://127.0.0.1/news/?lang=ru"


def test_pages_come_through_tls_compressed(proxy: Proxy) -> None:
    response, body = fetch(proxy.https(), "/news/?lang=ky", **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "<html" in gzip.decompress(body).decode()


def test_the_site_sees_https_and_the_public_host(proxy: Proxy) -> None:
    """With PROXY_FIX_TRUSTED=1 the site builds its absolute links from nginx's headers:
    https, the name and the port the visitor used, not gunicorn's loopback address (on 443,
    the default, Werkzeug leaves the port out)."""
    response, body = fetch(proxy.https(), "/api/v1/openapi.json")
    assert response.status == 200
    text = body.decode()
    assert f'"url":"https://localhost:{proxy.https_port}/api/v1"' in text.replace(" ", "")
    assert "127.0.0.1" not in text


def test_static_files_are_served_by_nginx_with_long_lives(proxy: Proxy, gunicorn_site: Site
                                                          ) -> None:
    response, page = fetch(proxy.https(), "/?lang=ky")
    stylesheet = re.search(r'href="(/static/css/mekendesh\.css\?v=[0-9a-f]+)"', page.decode())
    assert stylesheet, "the page links no fingerprinted stylesheet"
    served_before = gunicorn_site.access_log.read_text()
    response, body = fetch(proxy.https(), stylesheet.group(1), **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == (ROOT / "static/css/mekendesh.css").read_bytes()
    # From disk: gunicorn never saw the request.
    assert "mekendesh.css" not in gunicorn_site.access_log.read_text()[len(served_before):]
    response, _ = fetch(proxy.https(), "/static/css/mekendesh.css")
    assert response.getheader("Cache-Control") == "public, max-age=3600"


def test_a_body_past_the_limit_is_refused_by_nginx(proxy: Proxy) -> None:
    connection = proxy.https()
    limit = load_settings({})["MAX_CONTENT_LENGTH"]
    connection.request("POST", "/login", body=b"x" * (limit + 1),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert connection.getresponse().status == 413

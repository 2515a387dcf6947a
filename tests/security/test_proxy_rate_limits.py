"""Issue 7, item 6: behind a trusted reverse proxy each client has its own rate-limit bucket;
without one, X-Forwarded-For is ignored (nobody picks their own bucket)."""

from __future__ import annotations

from diaspora import create_app
from tests.conftest import make_test_config

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request reaches the app from the proxy
WRONG = {"email": "nobody@example.org", "password": "wrong-password-123"}


# `app` in the tests below: the session app has migrated the database.
def _app(database_url: str, trusted: int):
    return create_app(make_test_config(
        database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
        LOGIN_RATE_LIMIT="2 per minute", PROXY_FIX_TRUSTED=trusted))


def _attempts(client, forwarded_for: str, times: int) -> list[int]:
    return [client.post("/login", data=WRONG, environ_base=PROXY,
                        headers={"X-Forwarded-For": forwarded_for}).status_code
            for _ in range(times)]


def test_clients_behind_one_trusted_proxy_have_separate_buckets(app, database_url):
    client = _app(database_url, trusted=1).test_client()
    assert _attempts(client, "203.0.113.1", 3) == [200, 200, 429]
    assert _attempts(client, "203.0.113.2", 1) == [200]  # another person, not yet limited
    # The proxy appends the real address; what a client wrote before it is not trusted.
    assert _attempts(client, "203.0.113.2, 203.0.113.1", 1) == [429]


def test_without_trusted_proxies_forwarded_for_is_ignored(app, database_url):
    client = _app(database_url, trusted=0).test_client()
    assert _attempts(client, "203.0.113.1", 3) == [200, 200, 429]
    # A forged header does not give a fresh bucket: the socket address decides.
    assert _attempts(client, "198.51.100.7", 1) == [429]

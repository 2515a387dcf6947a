"""gunicorn settings for the site: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (the systemd unit reads
/etc/mekendesh/env), so the file stays as shipped:

    GUNICORN_BIND             where to listen (default 127.0.0.1:8000: only nginx talks to
                              gunicorn; a unix socket is `unix:/run/mekendesh/gunicorn.sock`)
    GUNICORN_WORKERS          worker processes (default 2 x CPU cores + 1)
    GUNICORN_TIMEOUT          seconds a request may take before its worker is restarted (30)
    GUNICORN_GRACEFUL_TIMEOUT seconds a worker gets to finish its requests on a restart (30)
    GUNICORN_ACCESS_LOG       access log path, "-" for stdout (the journal), "" for none
    GUNICORN_FORWARDED_ALLOW_IPS  addresses whose X-Forwarded-Proto gunicorn believes
                              (default 127.0.0.1,::1: the nginx on this machine)

Sync workers: nginx buffers each request and response, so a slow phone on a poor connection
holds an nginx connection, not a worker, and a sync worker's one request at a time is all a
page needs (its time is Python and the database). 2 x cores + 1 keeps every core busy while
some workers wait on PostgreSQL. The application is loaded in each worker (no preload_app),
so no database connection is ever shared across a fork.
"""

from __future__ import annotations

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    value = _env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a whole number.") from None
    if number < 1:
        raise SystemExit(f"{name}={value!r} must be at least 1.")
    return number


bind = [_env("GUNICORN_BIND", "127.0.0.1:8000")]
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Restart each worker after this many requests (+ jitter, so they do not all restart at
# once): a slow leak in a library cannot grow a worker without end.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = max(1, max_requests // 10)

# X-Forwarded-Proto (https) is believed only from the proxy on this machine. The client's
# address for rate limits is taken by the app itself (PROXY_FIX_TRUSTED), not by gunicorn.
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

_access = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = _access or None
# The client's address as nginx saw it (X-Forwarded-For), the request, the status, the size,
# the time taken in microseconds and the user agent.
access_log_format = ('%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus '
                     '"%(f)s" "%(a)s"')
errorlog = "-"
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
proc_name = "mekendesh-web"

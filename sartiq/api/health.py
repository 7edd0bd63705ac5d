"""The probes of load balancers, orchestrators and docker-compose (docs/operations.md).

- `GET /api/v1/utils/health-check/` (liveness, the original FastAPI template's path and answer):
  200 `true` whenever the process answers, whatever the state of the servers behind it. A process
  that cannot answer this is the one to restart.
- `GET /api/v1/utils/ready/` (readiness): PostgreSQL (a new connection), the Celery broker
  (Redis) and the media storage, tried side by side and answered within CHECK_TIMEOUT seconds.
  200 with each component's status when all answer; 503 naming the failing ones otherwise: the
  place to send traffic, or to wait for. The answer names components only: an error's text
  (addresses, users, buckets) goes to the log.

Both are answered by `ProbesMiddleware` before the Host header is checked and before the HTTPS
redirect: a probe asks the container at its own address (`localhost:8000`), which the
production ALLOWED_HOSTS does not list, over plain HTTP. They carry no data and need no login.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import kombu
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import JsonResponse
from django.urls import resolve
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Seconds the probe waits for the components' answers. The checks run side by side, each in a
# thread of its own; one still waiting then is reported unavailable, and its thread ends at the
# component's own timeout (the broker's below, DB_CONNECT_TIMEOUT, AWS_S3_CONNECT_TIMEOUT and
# AWS_S3_READ_TIMEOUT): a hung server does not hang the probe.
CHECK_TIMEOUT = 3


@require_safe
def health_check(request):
    """Liveness: the process answers."""
    return _answer(True, 200)


def check_database() -> None:
    """A new connection (the checking thread's own) answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def check_broker() -> None:
    options = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT, "max_retries": 0}
    with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):  # Redis: the server answers commands
            client.ping()


def check_storage() -> None:
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        # What the first upload would do: the folder exists (or can be made) and can be written.
        location = Path(storage.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK | os.X_OK):
            raise PermissionError("the media folder cannot be written")
    elif hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        # S3 or MinIO: the bucket exists and these credentials reach it.
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    else:
        storage.exists("readiness-probe")


# Component -> its check (raises when the component cannot serve).
CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}


# One round of checks at a time in a process: a probe arriving while one runs waits for that
# round's answers instead of starting its own. The probe needs no login, so otherwise concurrent
# requests would each open a PostgreSQL connection and three threads, more of them while a server
# hangs. The pool's threads are started on first use (after gunicorn's fork).
_pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readiness")
_round_lock = threading.Lock()
_round: tuple[float, dict[str, Future]] | None = None


def _checks_round() -> tuple[float, dict[str, Future]]:
    """The round still running, else a new one: (when it started, component -> its check)."""
    global _round
    with _round_lock:
        if _round is None or all(future.done() for future in _round[1].values()):
            _round = (time.monotonic(), {name: _pool.submit(check) for name, check in CHECKS.items()})
        return _round


@require_safe
def readiness(request):
    """Readiness: every component this process needs answers."""
    started, futures = _checks_round()
    wait(futures.values(), timeout=max(0.0, started + CHECK_TIMEOUT - time.monotonic()))
    components = {}
    for name, future in futures.items():
        if not future.done():
            logger.warning("readiness: %s unavailable: no answer within %s s", name, CHECK_TIMEOUT)
            components[name] = "unavailable"
        elif (exc := future.exception()) is not None:
            logger.warning("readiness: %s unavailable: %s: %s", name, type(exc).__name__, exc)
            components[name] = "unavailable"
        else:
            components[name] = "ok"
    failing = [name for name, status in components.items() if status != "ok"]
    if failing:
        return _answer({"status": "unavailable", "components": components,
                        "detail": f"Not ready: {', '.join(failing)} unavailable"}, 503)
    return _answer({"status": "ready", "components": components}, 200)


def _answer(body, status: int) -> JsonResponse:
    response = JsonResponse(body, status=status, safe=False)
    add_never_cache_headers(response)
    return response


PROBES = {
    re.compile(r"^/api/v1/utils/health-check/?$"): health_check,
    re.compile(r"^/api/v1/utils/ready/?$"): readiness,
}


class ProbesMiddleware:
    """Answers GET and HEAD of the probes before the Host header is checked (CommonMiddleware) and
    before the HTTPS redirect (SecurityMiddleware); other methods go on to the URL patterns (405)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            for pattern, view in PROBES.items():
                if pattern.match(request.path_info):
                    # What URL resolution would have found: the request log and the metrics name
                    # the probe's route (an unknown URL counts as `unmatched`).
                    request.resolver_match = resolve(request.path_info)
                    return view(request)
        return self.get_response(request)

"""Prometheus metrics (prometheus-client, the official exporter library), served at `/metrics`.

Recorded as they happen: requests by route and status, their latency and their database query
count (`MetricsMiddleware`), Celery task outcomes and durations (the signals connected in
sartiq/celery.py). Read when Prometheus scrapes: Celery queue depths from the broker, and rows by
status that the apps register (`count_by_status`: generations in shots, pushes in integrations), so
a count is the database's, whichever process changed it.

Several processes (gunicorn's workers, the Celery pool) share their counters through
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR names a directory they all
write to (`make run` sets it); without it each process serves its own. The endpoint answers only
with `Authorization: Bearer <METRICS_TOKEN>`, and is absent (404) when METRICS_TOKEN is unset.
"""
from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from sartiq.request_log import route_of

QUEUES = ("default", "generation", "styling", "integrations")
# Kombu's Redis transport keeps a queue's priorities in sibling lists (`<queue>\x06\x16<priority>`).
_PRIORITY_SEPARATOR, _PRIORITIES = "\x06\x16", (3, 6, 9)

# The method label's values: any other method (the client chooses it) counts as `other`, so requests
# cannot add series without bound, as the route label cannot (`unmatched`).
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

REQUESTS = Counter("sartiq_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"])
LATENCY = Histogram("sartiq_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
QUERIES = Histogram("sartiq_http_request_db_queries", "Database queries per HTTP request", ["method", "route"],
                    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500))
TASKS = Counter("sartiq_celery_tasks_total", "Celery tasks run, by outcome", ["task", "state"])
TASK_DURATION = Histogram("sartiq_celery_task_duration_seconds", "Celery task duration", ["task"],
                          buckets=(0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600))


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        method, route = request.method if request.method in METHODS else "other", route_of(request)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        QUERIES.labels(method, route).observe(queries)
        return response


_task_started: dict[str, float] = {}


def task_started(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    TASKS.labels(task.name, state or "UNKNOWN").inc()
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)


# Read at scrape time.

_status_counts: list[tuple[str, str, Callable[[], dict[str, int]]]] = []


def count_by_status(name: str, documentation: str, counts: Callable[[], dict[str, int]]) -> None:
    """Register a gauge `name{status=...}` read from `counts()` (status -> rows) at each scrape."""
    _status_counts.append((name, documentation, counts))


def queue_depths() -> dict[str, int]:
    depths = {}
    with current_app.connection_for_read() as conn:
        channel = conn.default_channel
        client = getattr(channel, "client", None)
        for queue in QUEUES:
            if client is not None and hasattr(client, "llen"):  # Redis: every priority's list
                depths[queue] = sum(client.llen(key) for key in
                                    (queue, *(f"{queue}{_PRIORITY_SEPARATOR}{p}" for p in _PRIORITIES)))
                continue
            try:
                depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # never declared: nothing waits in it
                depths[queue] = 0
    return depths


class ScrapeTimeCollector:
    def collect(self):
        depth = GaugeMetricFamily("sartiq_celery_queue_depth", "Messages waiting in a Celery queue", labels=["queue"])
        for queue, messages in queue_depths().items():
            depth.add_metric([queue], messages)
        yield depth
        for name, documentation, counts in _status_counts:
            family = GaugeMetricFamily(name, documentation, labels=["status"])
            for status, rows in sorted(counts().items()):
                family.add_metric([status], rows)
            yield family


class _ThisProcess:
    def collect(self):
        yield from REGISTRY.collect()


def scrape() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    sent = request.headers.get("Authorization", "")
    if not (sent.startswith("Bearer ") and hmac.compare_digest(sent.removeprefix("Bearer ").encode(), token.encode())):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)

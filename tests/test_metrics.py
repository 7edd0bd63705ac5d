"""/metrics (sartiq/metrics.py): its token, and counters a request and a task move."""
from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import ExternalImagePush
from sartiq.catalog.tests.factories import SubjectBaseImageFactory
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import Generation
from shots.tasks import run_generation
from tests.test_async_worker import broker  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(anon) -> dict:
    response = anon.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_absent_without_a_token(anon, settings):
    settings.METRICS_TOKEN = None
    assert anon.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_refused_without_the_bearer_token(anon, metrics_token, header):
    response = anon.get("/metrics", **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert b"sartiq_" not in response.content


@pytest.mark.parametrize(("path", "route"), [("/api/v1/utils/health-check/", "^api/v1/utils/health-check/?$"),
                                           ("/api/v1/utils/ready", "^api/v1/utils/ready/?$")])
def test_probes_are_counted_under_their_routes(anon, metrics_token, path, route):
    """The probes are answered before URL resolution (sartiq.api.health.ProbesMiddleware); they are
    counted and logged under their own routes all the same, not with unknown URLs as `unmatched`."""
    labels = {"method": "GET", "route": route.lstrip("^"), "status": "200"}
    before = scrape(anon)
    assert anon.get(path).status_code == 200
    after = scrape(anon)
    assert value(after, "sartiq_http_requests_total", **labels) - value(before, "sartiq_http_requests_total", **labels) == 1


def test_a_request_moves_the_request_counters(api, anon, metrics_token):
    route = "api/v1/users/me/?$"
    before = scrape(anon)
    assert api.get("/api/v1/users/me").status_code == 200
    assert api.get("/api/v1/users/me/").status_code == 200
    after = scrape(anon)
    requests = [key for key in after if key[0] == "sartiq_http_requests_total"
                and dict(key[1]).get("status") == "200" and "users" in dict(key[1])["route"]]
    assert requests, sorted(k for k in after if k[0] == "sartiq_http_requests_total")
    labels = dict(requests[0][1])
    assert re.search(r"users/me", labels["route"]) and "{" not in labels["route"], route
    moved = after[requests[0]] - before.get(requests[0], 0.0)
    assert moved == 2
    histogram = {"method": "GET", "route": labels["route"]}
    assert value(after, "sartiq_http_request_duration_seconds_count", **histogram) - value(
        before, "sartiq_http_request_duration_seconds_count", **histogram) == 2
    # Reading the caller costs at least one query (the token's user); both requests were counted.
    assert value(after, "sartiq_http_request_db_queries_sum", **histogram) - value(
        before, "sartiq_http_request_db_queries_sum", **histogram) >= 2
    assert value(after, "sartiq_http_request_db_queries_count", **histogram) - value(
        before, "sartiq_http_request_db_queries_count", **histogram) == 2


def test_a_made_up_method_cannot_add_label_values(anon, metrics_token):
    # The method comes from the client: each new one would be new series in every process until restart.
    for method in ("BREWA", "BREWB"):
        anon.generic(method, "/api/v1/users/me")
    methods = {dict(labels).get("method") for name, labels in scrape(anon) if name.startswith("sartiq_http_")}
    assert "other" in methods and not {"BREWA", "BREWB"} & methods


def test_a_task_moves_the_task_counters_and_the_generation_gauge(user, anon, metrics_token):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    SubjectBaseImageFactory(subject=shot.shooting_look.subject, shot_type=shot.shot_type)
    before = scrape(anon)
    generation = Generation.objects.create(shot=shot)
    middle = scrape(anon)
    assert value(middle, "sartiq_generations", status="PENDING") == value(before, "sartiq_generations",
                                                                          status="PENDING") + 1
    run_generation.apply(args=[str(generation.pk)])
    after = scrape(anon)
    task = {"task": "shots.run_generation"}
    assert value(after, "sartiq_celery_tasks_total", state="SUCCESS", **task) - value(
        before, "sartiq_celery_tasks_total", state="SUCCESS", **task) == 1
    assert value(after, "sartiq_celery_task_duration_seconds_count", **task) - value(
        before, "sartiq_celery_task_duration_seconds_count", **task) == 1
    assert value(after, "sartiq_generations", status="COMPLETED") == Generation.objects.filter(
        status="COMPLETED").count() >= 1


def test_pushes_by_status_and_queue_depths_are_reported(anon, metrics_token):
    samples = scrape(anon)
    for queue in ("default", "generation", "styling", "integrations"):
        assert ("sartiq_celery_queue_depth", (("queue", queue),)) in samples
    assert ExternalImagePush.objects.count() == 0
    assert not [key for key in samples if key[0] == "sartiq_pushes"]  # no rows, no series


@pytest.mark.broker
def test_queue_depth_counts_messages_waiting_in_redis(anon, metrics_token, user, broker):  # noqa: F811
    from sartiq.celery import app

    with app.connection_for_write() as conn:
        producer = app.amqp.Producer(conn)
        for _ in range(3):
            run_generation.apply_async(args=["00000000-0000-0000-0000-000000000000"], producer=producer)
    assert value(scrape(anon), "sartiq_celery_queue_depth", queue="generation") == 3


def test_processes_sharing_a_multiprocess_directory_are_summed(tmp_path):
    """What make run sets up: a worker's counters appear in the web process's scrape."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from tests.servers import database_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
           "SECRET_KEY": django_settings.SECRET_KEY, "TEST_CELERY_BROKER_URL": "memory://",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    setup = "import django; django.setup(); from sartiq import metrics; "
    for _ in range(2):  # two "worker" processes, one task each
        subprocess.run([sys.executable, "-c", setup + "metrics.TASKS.labels('shots.run_generation', 'SUCCESS').inc()"],
                       env=env, check=True, timeout=120)
    scraped = subprocess.run([sys.executable, "-c", setup + "import sys; sys.stdout.write(metrics.scrape().decode())"],
                             env=env, check=True, timeout=120, capture_output=True, text=True).stdout
    assert 'sartiq_celery_tasks_total{state="SUCCESS",task="shots.run_generation"} 2.0' in scraped, scraped
    assert "sartiq_celery_queue_depth" in scraped

"""The probes (issue #17, docs/operations.md): liveness answers `true` while the process runs;
readiness tries PostgreSQL, the broker and the storage and names what fails, nothing more; both
answer whatever the Host header and over plain HTTP, as a container's probe asks."""
import os
import socket
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from sartiq import embedded
from sartiq.api.health import CHECK_TIMEOUT
from shots.tests.test_uploads import s3  # noqa: F401 (fixture: S3 on a local S3-compatible server)
from tests.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
LIVE = "/api/v1/utils/health-check/"
READY = "/api/v1/utils/ready/"


@pytest.mark.django_db
def test_liveness_is_the_templates_true(client):
    for path in (LIVE, LIVE.rstrip("/")):
        response = client.get(path)
        assert (response.status_code, response.json()) == (200, True)
        assert "no-store" in response["Cache-Control"]
    assert client.post(LIVE).status_code == 405


@pytest.mark.django_db
def test_readiness_lists_each_component(client):
    response = client.get(READY)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "components": {"database": "ok", "broker": "ok", "storage": "ok"}}
    assert client.get(READY.rstrip("/")).status_code == 200
    assert client.post(READY).status_code == 405


@pytest.mark.django_db
def test_an_unreachable_broker_is_503_naming_it_and_not_its_address(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = f"redis+socket://{tmp_path / 'gone.sock'}"
    response = client.get(READY)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "components": {"database": "ok", "broker": "unavailable", "storage": "ok"},
                               "detail": "Not ready: broker unavailable"}
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.django_db
def test_a_media_folder_that_cannot_be_made_is_503_naming_the_storage(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = str(blocker / "media")
    response = client.get(READY)
    assert response.status_code == 503
    assert response.json()["components"] == {"database": "ok", "broker": "ok", "storage": "unavailable"}
    assert response.json()["detail"] == "Not ready: storage unavailable"


@pytest.mark.django_db
def test_s3_storage_is_ready_when_its_bucket_answers(client, settings, s3):  # noqa: F811
    assert client.get(READY).json()["components"]["storage"] == "ok"
    settings.AWS_STORAGE_BUCKET_NAME = "no-such-bucket"
    settings.STORAGES = {**settings.STORAGES}  # a fresh storage, for the new bucket
    response = client.get(READY)
    assert (response.status_code, response.json()["components"]["storage"]) == (503, "unavailable")
    assert "no-such-bucket" not in response.content.decode()


@pytest.mark.django_db
def test_the_probes_answer_any_host_and_plain_http(client, settings):
    """The container's probe asks `localhost:8000`, which production's ALLOWED_HOSTS does not list."""
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/api/v1/users/me", HTTP_HOST="localhost:8000").status_code == 400  # the rule holds
    assert client.get(LIVE, HTTP_HOST="localhost:8000").status_code == 200
    assert client.get(READY, HTTP_HOST="localhost:8000").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_with_postgresql_stopped_readiness_fails_and_liveness_holds(tmp_path):
    """A real gunicorn on its own PostgreSQL and Redis; each server is stopped under it."""
    pg, database_url = embedded.start_postgres(data_dir=tmp_path / "pg")
    redis = embedded.start_redis(tmp_path / "redis")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url,
           "TEST_CELERY_BROKER_URL": redis.url, "TEST_MEDIA_ROOT": str(tmp_path / "media"),
           "ALLOWED_HOSTS": "api.example.com", "HTTPS_ONLY": "1"}
    try:
        with gunicorn(["--workers", "1"], env, tmp_path / "web.log") as (base, _):
            ready = httpx.get(base + READY)
            assert ready.status_code == 200, ready.text
            assert ready.json()["components"] == {"database": "ok", "broker": "ok", "storage": "ok"}

            pg.cleanup()  # PostgreSQL stops
            ready = httpx.get(base + READY)
            assert ready.status_code == 503
            assert ready.json()["components"] == {"database": "unavailable", "broker": "ok", "storage": "ok"}
            assert ready.json()["detail"] == "Not ready: database unavailable"
            assert str(tmp_path) not in ready.text and "postgres" not in ready.text.lower()
            assert (httpx.get(base + LIVE).status_code, httpx.get(base + LIVE).json()) == (200, True)

            redis.stop()
            ready = httpx.get(base + READY)
            assert ready.status_code == 503
            assert ready.json()["detail"] == "Not ready: database, broker unavailable"
            assert httpx.get(base + LIVE).status_code == 200
        log = (tmp_path / "web.log").read_text()
        assert "readiness: database unavailable" in log and "readiness: broker unavailable" in log
    finally:
        redis.stop()
        pg.cleanup()


@pytest.mark.django_db
def test_probes_at_once_share_one_round_of_checks(monkeypatch):
    """The probe needs no login: ten at once run the checks once (one PostgreSQL connection, three
    threads), not ten times; a probe after the round has ended starts a new one."""
    from concurrent.futures import ThreadPoolExecutor

    from django.test import RequestFactory

    from sartiq.api import health

    rounds = []

    def slow_database_check():
        rounds.append(time.monotonic())
        time.sleep(0.5)
        health.check_database()

    monkeypatch.setitem(health.CHECKS, "database", slow_database_check)
    probe = RequestFactory().get(READY)
    with ThreadPoolExecutor(max_workers=10) as clients:
        answers = list(clients.map(lambda _: health.readiness(probe), range(10)))
    assert [answer.status_code for answer in answers] == [200] * 10
    assert len(rounds) == 1
    assert health.readiness(probe).status_code == 200 and len(rounds) == 2


@contextmanager
def silent_server():
    """A TCP port that takes connections and never answers: a hung server, or a network that drops
    the packets after the handshake. Nothing accepts; the kernel's backlog completes the connects."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.mark.timeout(180)
def test_readiness_answers_in_seconds_when_every_server_hangs(tmp_path):
    """PostgreSQL, Redis and S3 each accept the connection and never answer. The probe answers 503
    naming the three within its timeout, and liveness still answers: a hung server must not hang the
    probe (an orchestrator would kill the container instead of waiting for the server)."""
    with ExitStack() as stack:
        pg, redis, s3_port = (stack.enter_context(silent_server()) for _ in range(3))
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings",
               "DATABASE_URL": f"postgresql://sartiq:secret@127.0.0.1:{pg}/sartiq",
               "TEST_CELERY_BROKER_URL": f"redis://127.0.0.1:{redis}/0",
               "AWS_STORAGE_BUCKET_NAME": "media", "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
               "AWS_ACCESS_KEY_ID": "probe", "AWS_SECRET_ACCESS_KEY": "probe-secret", "AWS_S3_REGION_NAME": "us-east-1"}
        with gunicorn(["--workers", "1", "--timeout", "120"], env, tmp_path / "web.log") as (base, _):
            for _ in range(2):  # and again, with the first probe's checks possibly still waiting
                started = time.monotonic()
                ready = httpx.get(base + READY, timeout=100)
                elapsed = time.monotonic() - started
                assert ready.status_code == 503, ready.text
                assert ready.json()["components"] == {"database": "unavailable", "broker": "unavailable",
                                                      "storage": "unavailable"}
                assert elapsed < CHECK_TIMEOUT + 3, f"the probe took {elapsed:.1f} s"
                assert httpx.get(base + LIVE, timeout=5).json() is True
        log = (tmp_path / "web.log").read_text()
        assert "readiness: database unavailable" in log and "probe-secret" not in log


def test_compose_waits_for_health():
    """Every dependency is waited for until healthy (or done); the web container's health is its
    readiness, asked inside the container over plain HTTP."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("postgres", "redis", "minio", "web"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert READY in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("migrate", "web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
        assert depends["minio-bucket"] == {"condition": "service_completed_successfully"}, name
        if name != "migrate":
            assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
    # The image has no curl: the probe is Python's own client, failing on any answer but 2xx.
    probe = services["web"]["healthcheck"]["test"]
    assert probe[:2] == ["CMD", "python"] and "urllib.request.urlopen" in probe[-1]

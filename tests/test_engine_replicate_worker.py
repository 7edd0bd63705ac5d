"""Replicate and Cog generations on a real Celery worker, against the engines' stand-ins
(tests/engines/replicate_server.py).

Finished by webhooks that the stand-ins POST to our endpoint on a live server of ours
(PUBLIC_BASE_URL): a signed Replicate webhook completes a generation; a webhook arriving as the
fallback poll sees the end gives one revision; a Cog container's webhook completes its job.

Polled (no PUBLIC_BASE_URL), on one worker for the class `TestPolled`: a generation cancelled
through the API while its prediction runs cancels the prediction; Replicate answering 503 for a
while, then back; Replicate's 429s, honoured after their Retry-After and not counted as failures."""
from __future__ import annotations

import pytest

from conftest import client_for
from sartiq.catalog.tests.factories import SubjectBaseImageFactory
from sartiq.media.services import media_create_from_bytes
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import Generation, Prediction, ShotRevision
from tests.engines.replicate_server import SECRET, TOKEN, CogServer, ReplicateServer, png
from tests.servers import free_port
from tests.test_async_worker import broker as redis_broker  # noqa: F401 (a fixture, used below by name)
from tests.test_async_worker import celery_worker, wait_for

# `redis_broker` points this process's Celery app at the test Redis (`redis_server`), where the worker listens.
pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120),
              pytest.mark.usefixtures("redis_broker")]


def replicate_settings(server, live_server, fallback: float) -> dict:
    return {"IMAGE_PROVIDER": "replicate", "REPLICATE_BASE_URL": server.url, "REPLICATE_API_TOKEN": TOKEN,
            "REPLICATE_MODEL": "acme/studio", "REPLICATE_WEBHOOK_SECRET": SECRET,
            "REPLICATE_OUTPUT_HOSTS": server.allowed, "OUTBOUND_ALLOWED_HOSTS": server.allowed,
            "PUBLIC_BASE_URL": live_server.url, "IMAGE_PROVIDER_WEBHOOK_FALLBACK": fallback}


def configure(settings, values: dict):
    """The same configuration in this process (where the live server answers the webhooks)."""
    for name, value in values.items():
        listed = name in ("REPLICATE_OUTPUT_HOSTS", "OUTBOUND_ALLOWED_HOSTS")
        setattr(settings, name, [value] if listed else value)


def generate(user) -> Generation:
    """A shot generated as a user asks for it (the API sends the task after commit)."""
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    base = media_create_from_bytes(owner=user, data=png((48, 64), (170, 120, 90)))
    SubjectBaseImageFactory(subject=shot.shooting_look.subject, shot_type=shot.shot_type, image_url=base.url,
                            image_media=base)
    started = client_for(user).post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 1}, format="json")
    assert started.status_code == 200, started.json()
    return Generation.objects.get(pk=started.json()["generation_ids"][0])


def completed_deliveries(server) -> list[dict]:
    return [d for d in server.deliveries if d["event"] == "completed"]


def test_a_signed_replicate_webhook_completes_the_generation(user, redis_server, tmp_path, live_server, settings):
    with ReplicateServer(run_seconds=1.0) as replicate:
        values = replicate_settings(replicate, live_server, fallback=60)  # no poll within the test
        configure(settings, values)
        with celery_worker(redis_server.url, tmp_path, **values) as worker:
            generation = generate(user)
            wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=30,
                     worker=worker, what="the webhook to complete the generation")
    generation.refresh_from_db()
    assert (generation.provider, generation.provider_job_id, generation.compute_seconds) == (
        "replicate", replicate.created[0][1], 3.25)
    assert ShotRevision.objects.filter(shot=generation.shot).count() == 1
    assert Prediction.objects.filter(generation=generation).count() == 1
    assert [d["detail"] for d in completed_deliveries(replicate) if d["status"] == 200] == ["Generation completed"]
    assert not [r for r in replicate.requests if r["method"] == "GET" and r["path"].startswith("/v1/")]  # no poll


def test_a_webhook_and_a_poll_seeing_the_end_together_give_one_revision(user, redis_server, tmp_path, live_server,
                                                                        settings):
    # The prediction moves a step per read, and its "completed" webhook leaves as the worker's
    # fallback poll (every second) reads the end: both settle the same generation at once.
    with ReplicateServer(webhook_on_poll=True) as replicate:
        values = replicate_settings(replicate, live_server, fallback=1)
        configure(settings, values)
        with celery_worker(redis_server.url, tmp_path, **values) as worker:
            generation = generate(user)
            wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=30,
                     worker=worker, what="the generation")
            wait_for(lambda: any(d["status"] == 200 for d in completed_deliveries(replicate)), timeout=15,
                     worker=worker, what="the webhook to be answered")
    assert ShotRevision.objects.filter(shot=generation.shot).count() == 1
    assert Prediction.objects.filter(generation=generation).count() == 1
    polls = [r for r in replicate.requests if r["method"] == "GET" and r["path"].startswith("/v1/")]
    assert len(polls) == 2  # starting → processing, processing → succeeded (and the webhook left)
    # Whichever settled it, the other changed nothing: the webhook was asked to wait while the
    # worker held the claim, or found the generation finished.
    answers = [d["detail"] for d in completed_deliveries(replicate)]
    assert answers[-1] in ("The generation is already finished", "Generation completed"), answers


def test_a_cog_container_reports_by_webhook(user, redis_server, tmp_path, live_server, settings):
    with CogServer(run_seconds=0.5) as cog:
        values = {"IMAGE_PROVIDER": "cog", "COG_URL": cog.url, "OUTBOUND_ALLOWED_HOSTS": cog.allowed,
                  "PUBLIC_BASE_URL": live_server.url, "IMAGE_PROVIDER_WEBHOOK_FALLBACK": 60}
        configure(settings, values)
        with celery_worker(redis_server.url, tmp_path, **values) as worker:
            generation = generate(user)
            wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=30,
                     worker=worker, what="the Cog webhook")
    generation.refresh_from_db()
    assert (generation.provider, generation.provider_job_id) == ("cog", next(iter(cog.predictions)))
    put = next(r for r in cog.requests if r["method"] == "PUT")
    assert put["headers"]["Prefer"] == "respond-async" and put["body"]["webhook"].startswith(live_server.url)
    assert ShotRevision.objects.filter(shot=generation.shot).count() == 1
    assert [d["detail"] for d in cog.deliveries if d["event"] == "completed"] == ["Generation completed"]


# --- polled, on one worker ------------------------------------------------------------------------
@pytest.fixture(scope="class")
def polling_worker(redis_server, django_db_setup, tmp_path_factory):
    """One worker for the class, its engine Replicate on a port fixed before the worker starts
    (each test brings up a fresh stand-in there), polled: no webhook secret, no PUBLIC_BASE_URL.
    Only the engine's configured host is reachable (no OUTBOUND_ALLOWED_HOSTS). Transient errors
    are retried after 0.2 s, then 0.4 s, and the third failure in a row gives up."""
    port = free_port()
    env = {"IMAGE_PROVIDER": "replicate", "REPLICATE_BASE_URL": f"http://127.0.0.1:{port}",
           "REPLICATE_API_TOKEN": TOKEN, "REPLICATE_MODEL": "acme/studio", "REPLICATE_WEBHOOK_SECRET": "",
           "REPLICATE_OUTPUT_HOSTS": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": "",
           "IMAGE_PROVIDER_POLL_INTERVAL": 0.05, "WORK_RETRY_BACKOFF_SECONDS": 0.2, "WORK_MAX_RETRIES": 2}
    with celery_worker(redis_server.url, tmp_path_factory.mktemp("replicate-worker"), concurrency=2, **env) as worker:
        worker.port = port
        yield worker


def ended(generation_id, worker) -> Generation:
    wait_for(lambda: Generation.objects.get(pk=generation_id).status in ("COMPLETED", "FAILED"), timeout=30,
             worker=worker, what="the generation to end")
    return Generation.objects.get(pk=generation_id)


def submits(server) -> list[dict]:
    return [r for r in server.requests if r["method"] == "POST" and r["path"] == "/v1/models/acme/studio/predictions"]


class TestPolled:
    def test_cancelling_a_running_generation_cancels_its_prediction(self, polling_worker, user):
        with ReplicateServer(hold=True, port=polling_worker.port) as replicate:
            generation = generate(user)
            # The prediction runs (processing, 45% in its logs) and the worker keeps polling it.
            wait_for(lambda: Generation.objects.filter(pk=generation.pk, status="RUNNING", progress=45).exists(),
                     timeout=30, worker=polling_worker, what="the prediction to run")
            job = replicate.created[0][1]
            cancelled = client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel")
            assert (cancelled.status_code, cancelled.json()["status"]) == (200, "CANCELLED")
            wait_for(lambda: replicate.cancels, timeout=30, worker=polling_worker, what="Replicate to get the cancel")
            # The poller stops at its next report, having written nothing.
            wait_for(lambda: f"generation {generation.pk}: claim lost".encode() in polling_worker.log.read_bytes(),
                     timeout=30, worker=polling_worker, what="the poller to stop")
        cancel = next(r for r in replicate.requests if r["path"].endswith("/cancel"))
        assert (cancel["method"], cancel["path"], cancel["headers"]["Authorization"]) == (
            "POST", f"/v1/predictions/{job}/cancel", f"Bearer {TOKEN}")
        assert replicate.cancels == [job] and replicate.predictions[job]["status"] == "canceled"
        generation.refresh_from_db()
        assert (generation.status, generation.error, generation.revision) == ("CANCELLED", None, None)
        assert generation.finished_at and generation.provider_job_id == job
        assert not ShotRevision.objects.exists() and not Prediction.objects.exists()

    def test_replicate_answering_503_for_a_while_then_back(self, polling_worker, user):
        with ReplicateServer(port=polling_worker.port) as replicate:
            replicate.fail(2)  # two submits meet a 503 page; the third gets through
            generation = ended(generate(user).pk, polling_worker)
        job = replicate.created[0][1]
        assert (generation.status, generation.error, generation.attempts) == ("COMPLETED", None, 3)
        assert len(submits(replicate)) == 3 and [how for how, _ in replicate.created] == ["model"]
        assert (generation.provider_job_id, generation.compute_seconds) == (job, 3.25)
        assert ShotRevision.objects.filter(shot=generation.shot).count() == 1
        assert [p.media.file.read() for p in Prediction.objects.filter(generation=generation)] == [
            replicate.images[(job, 0)]]

    def test_429s_wait_for_their_retry_after_and_are_not_failures(self, polling_worker, user):
        with ReplicateServer(port=polling_worker.port) as replicate:
            # Three 429s: more than the worker's WORK_MAX_RETRIES (2), each with a Retry-After (1 s)
            # longer than its backoff (0.2 s, 0.4 s).
            replicate.rate_limit(3, retry_after="1")
            generation = ended(generate(user).pk, polling_worker)
        assert (generation.status, generation.error, generation.attempts) == ("COMPLETED", None, 4)
        sent = [r["at"] for r in submits(replicate)]
        assert len(sent) == 4 and len(replicate.created) == 1
        assert min(later - earlier for earlier, later in zip(sent, sent[1:])) >= 0.95, sent
        assert ShotRevision.objects.filter(shot=generation.shot).count() == 1

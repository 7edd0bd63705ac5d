"""FASHN through a real Celery worker (tests/test_async_worker.py), against a real local server
speaking FASHN's protocol (tests/engines/fashn_server.py).

With webhooks: the worker submits with `webhook_url` on PUBLIC_BASE_URL = this test's live server,
then hands the job back and awaits; FASHN's webhook (unsigned: the URL's token is the credential)
finishes it through the generation's claim. Covered: the webhook completes the generation, a
forged or replayed webhook changes nothing, and a webhook racing the fallback poll leaves one
revision.

Polled (no PUBLIC_BASE_URL), on one worker for the class `TestPolled`: the happy path, a job
FASHN fails, and FASHN's port closed then reopened while the job runs.
"""
from __future__ import annotations

import hashlib

import httpx
import pytest
from django.utils.dateparse import parse_datetime

from conftest import client_for
from shootings.tests.factories import ShotFactory
from shots.models import Generation, Prediction, ShotRevision
from shots.providers.base import webhook_token
from shots.tasks import run_generation
from shots.tests.test_engine_fashn import SHIRT_BLUE, pixel_at_centre, shot_of
from shots.tests.test_engine_fashn import look as look  # noqa: F401 (a fixture)
from tests.engines.fashn_server import API_KEY, FashnServer
from tests.servers import free_port
from tests.test_async_worker import broker as broker  # noqa: F401 (a fixture)
from tests.test_async_worker import celery_worker, wait_for

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def fashn(settings, live_server):
    """FASHN (the fake) as the server's engine, in this process (where webhooks are served) and
    in the worker's environment (`env`)."""
    with FashnServer() as server:
        server.webhook_retry_delay = 0.3
        settings.IMAGE_PROVIDER, settings.FASHN_API_KEY, settings.FASHN_BASE_URL = "fashn", API_KEY, server.base_url
        settings.FASHN_MODEL, settings.OUTBOUND_ALLOWED_HOSTS = "", [server.allowed]
        settings.PUBLIC_BASE_URL = live_server.url
        server.env = {"IMAGE_PROVIDER": "fashn", "FASHN_API_KEY": API_KEY, "FASHN_BASE_URL": server.base_url,
                      "OUTBOUND_ALLOWED_HOSTS": server.allowed, "PUBLIC_BASE_URL": live_server.url,
                      "IMAGE_PROVIDER_POLL_INTERVAL": 0.05}
        yield server


def awaiting(generation_id) -> bool:
    """Submitted, and handed back to await the webhook."""
    return Generation.objects.filter(pk=generation_id, status="RUNNING", claim_token=None).exclude(
        provider_job_id=None).exists()


def test_fashns_webhook_completes_the_generation_and_forged_or_replayed_ones_change_nothing(
        fashn, look, user, broker, tmp_path, live_server):  # noqa: F811
    fashn.hold = True
    generation = Generation.objects.create(shot=shot_of(look, user), requested_by=user)
    hook = f"{live_server.url}/api/v1/providers/fashn/webhook"
    # No fallback poll within the test: only the webhook can finish the job.
    with celery_worker(broker, tmp_path, **fashn.env, IMAGE_PROVIDER_WEBHOOK_FALLBACK=600) as worker:
        run_generation.delay(str(generation.pk))
        wait_for(lambda: awaiting(generation.pk), worker=worker, what="the job to be submitted")
        job = fashn.job()
        assert fashn.requests[0]["query"]["webhook_url"] == [
            f"{hook}?generation={generation.pk}&token={webhook_token('fashn', generation.pk)}"]

        # Forged while the job runs: a completed payload in FASHN's shape, without our token (none,
        # a wrong one, another generation's, another engine's).
        forged = {"id": job.id, "status": "completed", "output": [f"{fashn.url}/cdn/{job.id}/output_0.png"],
                  "error": None}
        sent = len(fashn.requests)
        other = Generation.objects.create(shot=ShotFactory(shooting_look=look))
        for token in ("", "0" * 40, webhook_token("fashn", other.pk), webhook_token("replicate", generation.pk)):
            answer = httpx.post(f"{hook}?generation={generation.pk}&token={token}", json=forged)
            assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid webhook: unknown URL token"})
        assert len(fashn.requests) == sent  # nothing was asked of FASHN, nothing fetched
        assert awaiting(generation.pk) and not ShotRevision.objects.exists()

        # FASHN's own delivery (to the URL we gave it) completes the generation.
        fashn.release(job.id)
        wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=30, worker=worker,
                 what="the webhook to complete the generation")
        # The server records its delivery once our answer reaches it, after the commit the test saw.
        wait_for(lambda: (job.id, 200) in fashn.deliveries, timeout=10, worker=worker, what="the delivery's answer")
    generation.refresh_from_db()
    revision = ShotRevision.objects.get(shot=generation.shot)
    assert generation.revision == revision and generation.provider_job_id == job.id
    assert pixel_at_centre(revision.images.get().image_media.file.read())[1] == SHIRT_BLUE

    # Replayed afterwards, the same delivery changes nothing.
    replay = httpx.post(fashn.requests[0]["query"]["webhook_url"][0], json=job.payload())
    assert (replay.status_code, replay.json()) == (200, {"detail": "The generation is already finished",
                                                         "changed": False})
    assert ShotRevision.objects.count() == 1 and Prediction.objects.count() == 1
    assert Generation.objects.get(pk=generation.pk).finished_at == generation.finished_at


def test_a_webhook_and_a_poll_racing_give_one_revision(fashn, look, user, broker, tmp_path):  # noqa: F811
    """The fallback poll sees the job completed at the moment FASHN posts its webhook, twice; the
    poller still holds the claim (fetching the outputs) when the webhooks arrive."""
    fashn.webhook_on_poll, fashn.webhook_copies, fashn.output_delay = True, 2, 1.0
    generation = Generation.objects.create(shot=shot_of(look, user), requested_by=user)
    with celery_worker(broker, tmp_path, **fashn.env, IMAGE_PROVIDER_WEBHOOK_FALLBACK=0.3) as worker:
        run_generation.delay(str(generation.pk))
        wait_for(lambda: Generation.objects.get(pk=generation.pk).status == "COMPLETED", timeout=30, worker=worker,
                 what="the generation")
        job = fashn.job()
        # Each delivery ends answered 2xx (a 503 while the poller held the claim is sent again).
        fashn.wait_for(lambda: sum(1 for delivery in fashn.deliveries if delivery[1] == 200) == 2,
                       what="both deliveries to end")
    answers = [answer for _, answer in fashn.deliveries]
    assert 503 in answers and set(answers) == {200, 503}  # "a worker is finishing it: send again", then done
    assert [r["path"] for r in fashn.requests].count("/v1/run") == 1
    assert ShotRevision.objects.filter(shot=generation.shot).count() == 1
    assert Prediction.objects.filter(generation=generation).count() == 1
    generation.refresh_from_db()
    assert generation.status == "COMPLETED" and generation.provider_job_id == job.id


# --- polled, on one worker ------------------------------------------------------------------------
@pytest.fixture(scope="class")
def polling_worker(redis_server, django_db_setup, tmp_path_factory):
    """One worker for the class, its engine FASHN on a port fixed before the worker starts (each
    test brings up a fresh fake there: `polled`), polled. Only the engine's configured host is
    reachable (no OUTBOUND_ALLOWED_HOSTS); transient errors retried after 0.5 s, 1 s, 2 s..."""
    port = free_port()
    env = {"IMAGE_PROVIDER": "fashn", "FASHN_API_KEY": API_KEY, "FASHN_BASE_URL": f"http://127.0.0.1:{port}/v1",
           "PUBLIC_BASE_URL": "", "IMAGE_PROVIDER_POLL_INTERVAL": 0.05, "WORK_RETRY_BACKOFF_SECONDS": 0.5,
           "WORK_MAX_RETRIES": 5}
    with celery_worker(redis_server.url, tmp_path_factory.mktemp("fashn-worker"), concurrency=2, **env) as worker:
        worker.port = port
        yield worker


@pytest.fixture
def polled(polling_worker, broker):  # noqa: F811
    with FashnServer(port=polling_worker.port) as server:
        yield server


def generated(user, shot) -> str:
    """A generation of `shot`, as a user asks for it (the API sends the task after commit)."""
    started = client_for(user).post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 1}, format="json")
    assert started.status_code == 200, started.json()
    return started.json()["generation_ids"][0]


def settled(generation_id, worker) -> Generation:
    wait_for(lambda: Generation.objects.get(pk=generation_id).status in ("COMPLETED", "FAILED"), timeout=30,
             worker=worker, what="the generation to end")
    return Generation.objects.get(pk=generation_id)


class TestPolled:
    def test_a_polled_job_becomes_a_proposal_with_fashns_image(self, polled, polling_worker, look, user):  # noqa: F811
        generation_id = generated(user, shot_of(look, user))
        generation = settled(generation_id, polling_worker)
        job = polled.job()
        assert "webhook_url" not in polled.requests[0]["query"]
        polls = [r for r in polled.requests if r["path"] == f"/v1/status/{job.id}"]
        assert len(polls) >= 1 and [r["path"] for r in polled.requests].count("/v1/run") == 1
        revision = ShotRevision.objects.get(shot=generation.shot)
        assert (generation.status, generation.revision, revision.shot_status) == ("COMPLETED", revision, "PROPOSAL")
        media = revision.images.get().image_media
        assert media.content_hash == hashlib.sha256(polled.files[f"/cdn/{job.id}/output_0.png"]).hexdigest()
        assert pixel_at_centre(media.file.read())[1] == SHIRT_BLUE  # the look's shirt, on the subject
        shown = client_for(user).get(f"/api/v1/generations/{generation_id}").json()
        assert {k: shown[k] for k in ("status", "progress", "engine", "model", "provider_job_id", "cost",
                                      "cost_unit", "error")} == {
            "status": "COMPLETED", "progress": 100, "engine": "fashn", "model": "tryon-v1.6",
            "provider_job_id": job.id, "cost": 1.0, "cost_unit": "credits", "error": None}
        times = [parse_datetime(shown[k]) for k in ("queued_at", "started_at", "submitted_at", "finished_at")]
        assert None not in times and times == sorted(times)

    def test_a_job_fashn_fails_fails_the_generation_with_its_reason(self, polled, polling_worker, look,  # noqa: F811
                                                                     user):
        polled.failure = ("PoseError", "Unable to detect body pose in model image")
        generation = settled(generated(user, shot_of(look, user)), polling_worker)
        assert (generation.status, generation.error, generation.attempts) == (
            "FAILED", "FASHN failed: PoseError: Unable to detect body pose in model image", 1)
        assert (generation.provider_job_id, generation.cost_unit) == (polled.job().id, "credits")
        assert generation.cost == 0 and generation.finished_at and generation.revision is None  # failures are free
        assert not ShotRevision.objects.exists() and not Prediction.objects.exists()

    def test_fashn_down_then_up_resumes_the_same_job(self, polled, polling_worker, look, user):  # noqa: F811
        polled.hold = True  # the job runs until released
        generation_id = generated(user, shot_of(look, user))
        wait_for(lambda: any(r["path"].startswith("/v1/status/") for r in polled.requests), timeout=30,
                 worker=polling_worker, what="the job to be polled")
        job = polled.job()
        polled.stop()  # FASHN's port closes: every poll is refused

        def down_twice():  # the first attempt and a retry met it; the generation waits for the next
            found = Generation.objects.get(pk=generation_id)
            return (found.status == "PENDING" and found.attempts >= 2
                    and (found.error or "").startswith("FASHN could not be reached"))

        wait_for(down_twice, timeout=30, worker=polling_worker, what="two attempts to find FASHN down")
        polled.start()
        polled.release(job.id)
        generation = settled(generation_id, polling_worker)
        assert (generation.status, generation.error, generation.provider_job_id) == ("COMPLETED", None, job.id)
        assert generation.attempts >= 3 and len(polled.jobs) == 1  # resumed, never submitted again
        assert [r["path"] for r in polled.requests].count("/v1/run") == 1
        assert ShotRevision.objects.filter(shot=generation.shot).count() == 1 and Prediction.objects.count() == 1

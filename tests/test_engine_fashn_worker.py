"""FASHN's webhooks through a real Celery worker (tests/test_async_worker.py) and our live server.

The worker submits to a real local server speaking FASHN's protocol (tests/engines/fashn_server.py)
with `webhook_url` on PUBLIC_BASE_URL = this test's live server, then hands the job back and
awaits; FASHN's webhook (unsigned: the URL's token is the credential) finishes it through the
generation's claim. Covered: the webhook completes the generation, a forged or replayed webhook
changes nothing, and a webhook racing the fallback poll leaves one revision.
"""
from __future__ import annotations

import httpx
import pytest

from shootings.tests.factories import ShotFactory
from shots.models import Generation, Prediction, ShotRevision
from shots.providers.base import webhook_token
from shots.tasks import run_generation
from shots.tests.test_engine_fashn import SHIRT_BLUE, pixel_at_centre, shot_of
from shots.tests.test_engine_fashn import look as look  # noqa: F401 (a fixture)
from tests.engines.fashn_server import API_KEY, FashnServer
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

"""The FASHN engine (shots/providers/fashn.py) against a real local server that speaks FASHN's
protocol (tests/engines/fashn_server.py): first the protocol itself, then generations run by the
task (`run_generation.apply`, eager) on the test database. The flows through a real Celery worker
(webhooks; polled: happy path, failure, down then up) are in tests/test_engine_fashn_worker.py."""
import hashlib
import io
import time
from decimal import Decimal

import pytest
from PIL import Image

from conftest import client_for
from sartiq.catalog.demo import figure_image, garment_image
from sartiq.catalog.tests.factories import ProductFactory, SubjectBaseImageFactory
from sartiq.media.services import media_create_from_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.generation import generation_run
from shots.models import Generation, ShotRevision
from shots.providers import (
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    EngineConfig,
    GenerationRequest,
    JobState,
    PermanentProviderError,
    RateLimited,
    TransientProviderError,
)
from shots.providers.base import data_uri
from shots.providers.fashn import FashnProvider, garment_category
from shots.tasks import cancel_provider_job, run_generation
from tests.engines.fashn_server import API_KEY, FashnServer
from tests.fake_http import FakeService

SHIRT_BLUE, SKIN = (40, 90, 160), (176, 120, 98)
FIGURE, SHIRT = figure_image("Ava", SKIN), garment_image("Shirt", SHIRT_BLUE)


@pytest.fixture
def fashn(settings):
    with FashnServer() as server:
        # Not in OUTBOUND_ALLOWED_HOSTS: an engine's configured host is trusted by its client only.
        settings.OUTBOUND_ALLOWED_HOSTS = []
        yield server


def provider_for(server, model="", key=API_KEY):
    return FashnProvider(EngineConfig("fashn", model, key, server.base_url))


def request_for(**changes):
    values = dict(prompt="sartiq_ava, wearing Linen Shirt in blue, white cyclorama", negative_prompt="blurry",
                  width=300, height=400, seed=7, base_image=FIGURE, product_images=[SHIRT],
                  product_category="Shirts")
    return GenerationRequest(**{**values, **changes})


def poll(provider, job_id, until, timeout=10):
    """The statuses seen until one in `until`."""
    seen, state = [], None
    deadline = time.monotonic() + timeout
    while state is None or state.status not in until:
        assert time.monotonic() < deadline, f"stuck at {seen}"
        state = provider.status(job_id)
        if not seen or seen[-1] != state.status:
            seen.append(state.status)
    return seen, state


def pixel_at_centre(data: bytes):
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return image.size, image.getpixel((image.width // 2, image.height // 2))


# --- the protocol -------------------------------------------------------------------------------------
def test_a_subject_with_an_image_gets_a_try_on_of_the_product(fashn):
    provider = provider_for(fashn)
    state = provider.submit(request_for(count=2), job_key="g1", webhook_url=None)
    job = fashn.job()
    assert (state.job_id, state.status, provider.model) == (job.id, QUEUED, "tryon-v1.6")
    assert job.model_name == "tryon-v1.6" and job.inputs == {
        "model_image": data_uri(FIGURE), "garment_image": data_uri(SHIRT), "category": "tops", "num_samples": 2,
        "seed": 7, "output_format": "png"}
    run = fashn.requests[0]
    assert run["headers"]["Authorization"] == f"Bearer {API_KEY}" and "webhook_url" not in run["query"]


def test_a_subject_without_an_image_gets_product_to_model_with_the_prompt(fashn):
    provider = provider_for(fashn)
    provider.submit(request_for(base_image=None, count=3), job_key="g1", webhook_url=None)
    job = fashn.job()
    assert provider.model == "product-to-model" and job.model_name == "product-to-model"
    # No image count: product-to-model makes one image a job.
    assert job.inputs == {"product_image": data_uri(SHIRT), "prompt": request_for().prompt, "aspect_ratio": "3:4",
                          "seed": 7, "output_format": "png"}


@pytest.mark.parametrize("base_image, model, inputs", [
    (FIGURE, "face-to-model", {"face_image": data_uri(FIGURE), "num_images": 1}),
    (None, "model-create", {"num_images": 1, "aspect_ratio": "3:4"}),
])
def test_a_request_without_a_product_image_makes_a_model(fashn, base_image, model, inputs):
    """A subject's base image (no product in it): from the portrait, else from the prompt alone."""
    provider = provider_for(fashn)
    provider.submit(request_for(base_image=base_image, product_images=[]), job_key="g1", webhook_url=None)
    job = fashn.job()
    assert job.model_name == model and job.inputs == {**inputs, "prompt": request_for().prompt, "seed": 7,
                                                      "output_format": "png"}


def test_fashn_model_picks_the_model_for_every_request(fashn):
    provider = provider_for(fashn, model="tryon-max")
    provider.submit(request_for(count=9), job_key="g1", webhook_url=None)
    assert fashn.job().model_name == "tryon-max" and fashn.job().inputs == {
        "model_image": data_uri(FIGURE), "product_image": data_uri(SHIRT), "num_images": 4, "seed": 7,
        "output_format": "png"}
    with pytest.raises(PermanentProviderError, match="tryon-max needs the subject's image"):
        provider.submit(request_for(base_image=None), job_key="g2", webhook_url=None)
    with pytest.raises(PermanentProviderError, match="tryon-max needs a product image"):
        provider.submit(request_for(product_images=[]), job_key="g3", webhook_url=None)
    with pytest.raises(PermanentProviderError, match="FASHN_MODEL='tryon-v9' is not a model this engine maps"):
        provider_for(fashn, model="tryon-v9").submit(request_for(), job_key="g4", webhook_url=None)
    assert len(fashn.jobs) == 1  # nothing was sent for the requests refused


def test_product_to_model_chosen_for_a_subject_with_an_image_dresses_that_subject(fashn):
    provider_for(fashn, model="product-to-model").submit(request_for(), job_key="g1", webhook_url=None)
    # Its try-on mode: the person is given, so no aspect ratio (the output keeps the person's).
    assert fashn.job().inputs == {"product_image": data_uri(SHIRT), "model_image": data_uri(FIGURE),
                                  "prompt": request_for().prompt, "seed": 7, "output_format": "png"}


@pytest.mark.parametrize("category, expected", [
    ("Shirts", "tops"), ("T-Shirts", "tops"), ("Outerwear / Coats", "tops"), ("Dress shirts", "tops"),
    ("Shirt dress", "one-pieces"), ("Evening Gowns", "one-pieces"), ("FULL_BODY", "one-pieces"),
    ("Jeans", "bottoms"), ("BOTTOM", "bottoms"), ("Accessories", "auto"), ("", "auto"), (None, "auto"),
])
def test_the_garment_category_comes_from_the_products(category, expected):
    assert garment_category(category) == expected


def test_a_job_moves_through_its_statuses_and_its_outputs_are_the_try_on(fashn):
    fashn.hold, fashn.step_seconds = True, 0.3  # queued for 0.6 s: the first poll sees it
    provider = provider_for(fashn)
    job_id = provider.submit(request_for(count=2), job_key="g1", webhook_url=None).job_id
    seen, state = poll(provider, job_id, until=(RUNNING,))
    assert seen == [QUEUED, RUNNING] and state.cost is None  # starting and in_queue are both queued
    fashn.release(job_id)
    seen, state = poll(provider, job_id, until=(SUCCEEDED, FAILED))
    assert seen[-1] == SUCCEEDED and len(state.outputs) == 2
    assert (state.cost, state.cost_unit) == (Decimal("2"), "credits")  # 1 credit an image
    images = provider.outputs(state)
    assert {pixel_at_centre(image.data) for image in images} == {((480, 640), SHIRT_BLUE)}  # the shirt on Ava
    assert images[0].data != images[1].data
    fetched = [r for r in fashn.requests if r["method"] == "GET" and not r["path"].startswith("/v1/")]
    assert len(fetched) == 2 and not any("Authorization" in r["headers"] for r in fetched)  # the key stays with the API


def test_a_failed_job_reports_fashns_reason(fashn):
    fashn.failure = ("PoseError", "Unable to detect body pose in model image")
    provider = provider_for(fashn)
    job_id = provider.submit(request_for(), job_key="g1", webhook_url=None).job_id
    _, state = poll(provider, job_id, until=(SUCCEEDED, FAILED))
    assert (state.status, state.error, state.outputs) == (FAILED, "PoseError: Unable to detect body pose in "
                                                                  "model image", [])
    assert (state.cost, state.cost_unit) == (Decimal("0"), "credits")  # failures are not charged


def test_an_image_fashn_cannot_load_fails_the_job(fashn):
    provider = provider_for(fashn)
    job_id = provider.submit(request_for(product_images=[b"not an image"]), job_key="g1", webhook_url=None).job_id
    _, state = poll(provider, job_id, until=(SUCCEEDED, FAILED))
    assert state.status == FAILED and state.error.startswith("ImageLoadError: Error loading garment image")


def test_the_webhook_url_goes_as_a_query_parameter_and_gets_the_end(fashn, settings):
    with FakeService() as receiver:
        received = []

        def hook_answer(request):
            received.append(request["body"])
            return 200, {}, {}

        receiver.route("POST /hook", hook_answer)
        hook = f"{receiver.url}/hook?generation=1f2e&token=abc%2Fdef"
        job_id = provider_for(fashn).submit(request_for(), job_key="g1", webhook_url=hook).job_id
        fashn.wait_for(lambda: received, what="the webhook")
    assert fashn.requests[0]["query"]["webhook_url"] == [hook]
    assert received[0]["id"] == job_id and received[0]["status"] == "completed" and len(received[0]["output"]) == 1
    assert receiver.requests[0]["path"] == "/hook?generation=1f2e&token=abc%2Fdef"


def test_fashn_retries_a_webhook_answered_with_an_error(fashn):
    fashn.webhook_retry_delay = 0.01
    with FakeService() as receiver:
        receiver.route("POST /hook", lambda request: (503 if len(receiver.requests) < 3 else 200, {}, {}))
        job_id = provider_for(fashn).submit(request_for(), job_key="g1", webhook_url=f"{receiver.url}/hook").job_id
        fashn.wait_for(lambda: len(fashn.deliveries) == 3, what="three deliveries")
    assert fashn.deliveries == [(job_id, 503), (job_id, 503), (job_id, 200)]


@pytest.mark.parametrize("script, error, message", [
    (("/v1/run", 400, {"error": "BadRequest", "message": "Missing required parameter: inputs.garment_image"}),
     PermanentProviderError, "FASHN refused the request: HTTP 400: Missing required parameter: inputs.garment_image"),
    (("/v1/run", 200, {"id": None, "error": "Invalid\x00 model\nimage"}),
     PermanentProviderError, "FASHN refused the job: Invalid model image"),
    (("/v1/run", 200, {"error": None}), PermanentProviderError, "FASHN answered a job without an id"),
    (("/v1/run", 200, b"<html>busy</html>"), PermanentProviderError, "FASHN answered something that is not JSON"),
    (("/v1/run", 500, {"error": "InternalServerError", "message": "boom"}), TransientProviderError,
     "FASHN answered 500"),
    (("/v1/run", 429, {"error": "OutOfCredits", "message": "No credits"}), PermanentProviderError,
     "FASHN refused the job: the account has no API credits left (HTTP 429 OutOfCredits)"),
    (("/v1/run", None), TransientProviderError, "FASHN could not be reached"),
])
def test_submit_errors_are_classified(fashn, script, error, message):
    fashn.script(*script)
    with pytest.raises(error) as raised:
        provider_for(fashn).submit(request_for(), job_key="g1", webhook_url=None)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("code", ["RateLimitExceeded", "ConcurrencyLimitExceeded"])
def test_a_429_is_a_rate_limit_with_its_retry_after(fashn, code):
    fashn.rate_limit(1, retry_after=7, code=code)
    with pytest.raises(RateLimited) as raised:
        provider_for(fashn).submit(request_for(), job_key="g1", webhook_url=None)
    assert raised.value.retry_after == 7 and str(raised.value) == f"FASHN is rate limiting requests (HTTP 429 {code})"
    provider_for(fashn).submit(request_for(), job_key="g1", webhook_url=None)
    assert len(fashn.jobs) == 1


def test_a_refused_key_says_so(fashn):
    with pytest.raises(PermanentProviderError) as raised:
        provider_for(fashn, key="fa-wrong").submit(request_for(), job_key="g1", webhook_url=None)
    assert str(raised.value) == ("FASHN refused the API key (HTTP 401: Unauthorized: Invalid token): "
                                 "check FASHN_API_KEY")
    organization = FashnProvider(EngineConfig("fashn", "", "fa-theirs", fashn.base_url, account="organization"))
    with pytest.raises(PermanentProviderError) as raised:
        organization.submit(request_for(), job_key="g1", webhook_url=None)
    assert str(raised.value) == ("FASHN refused the API key (HTTP 401: Unauthorized: Invalid token): "
                                 "check the organization's API key (PUT /organizations/{id}/engine)")
    assert not fashn.jobs


@pytest.mark.parametrize("answer, message", [
    ((200, {"id": "x"}), "FASHN answered a job status without a status"),
    ((200, {"id": "x", "status": "completed", "output": "https://cdn.fashn.ai/x.png"}),
     "FASHN answered a completed job whose output is not a list"),
    ((404, {"error": "NotFound", "message": "Prediction not found"}),
     "FASHN refused the request: HTTP 404: Prediction not found"),
])
def test_malformed_or_refused_status_answers_are_permanent(fashn, answer, message):
    fashn.script("/v1/status/", *answer)
    with pytest.raises(PermanentProviderError, match=message):
        provider_for(fashn).status("123a87r9-u1")


def test_credits_are_read_only_when_they_are_a_number(fashn):
    fashn.script("/v1/status/", 200, {"id": "x", "status": "completed", "output": []},
                 {"x-fashn-credits-used": "NaN"})
    state = provider_for(fashn).status("x")
    assert (state.status, state.cost, state.cost_unit) == (SUCCEEDED, None, "")


def test_fashn_down_then_up(fashn):
    provider = provider_for(fashn)
    job_id = provider.submit(request_for(), job_key="g1", webhook_url=None).job_id
    fashn.stop()
    with pytest.raises(TransientProviderError, match="FASHN could not be reached"):
        provider.status(job_id)
    fashn.start()
    assert poll(provider, job_id, until=(SUCCEEDED,))[1].outputs


def test_outputs_come_only_from_fashns_hosts(fashn, settings):
    provider = provider_for(fashn)
    assert provider.output_hosts() == ["cdn.fashn.ai", fashn.allowed]
    settings.FASHN_OUTPUT_HOSTS = ["cdn.eu.fashn.example"]
    assert provider.output_hosts() == ["cdn.eu.fashn.example", fashn.allowed]
    with pytest.raises(PermanentProviderError, match="An output URL is not on fashn's hosts"):
        provider.outputs(JobState("x", SUCCEEDED, outputs=[f"http://localhost:{fashn.port}/cdn/x/output_0.png"]))
    assert not fashn.requests


# --- generations run by the task ------------------------------------------------------------------
@pytest.fixture
def engine(settings, fashn):
    """The server's engine is FASHN (this fake), polled."""
    settings.IMAGE_PROVIDER, settings.FASHN_API_KEY, settings.FASHN_BASE_URL = "fashn", API_KEY, fashn.base_url
    settings.FASHN_MODEL, settings.PUBLIC_BASE_URL, settings.IMAGE_PROVIDER_POLL_INTERVAL = "", "", 0.02
    return fashn


@pytest.fixture
def look(db, user):
    product = ProductFactory(owner=user, name="Linen Shirt", colour="blue", category="Shirts")
    cover = media_create_from_bytes(owner=user, data=SHIRT)
    product.cover_image_media, product.cover_image_url = cover, cover.url
    product.save()
    return LookFactory(shooting=ShootingFactory(owner=user), product=product, width=300, height=400)


def shot_of(look, user, base_image=True):
    shot = ShotFactory(shooting_look=look)
    if base_image:
        base = media_create_from_bytes(owner=user, data=FIGURE)
        SubjectBaseImageFactory(subject=look.subject, shot_type=shot.shot_type, image_url=base.url, image_media=base)
    return shot


def run(generation) -> str:
    return run_generation.apply(args=[str(generation.pk)]).get()


@pytest.mark.parametrize("base_image, model", [(True, "tryon-v1.6"), (False, "product-to-model")])
def test_a_generation_on_fashn_becomes_a_proposal_with_fashns_image(engine, look, user, base_image, model):
    generation = Generation.objects.create(shot=shot_of(look, user, base_image), requested_by=user)
    assert run(generation) == "completed"
    generation.refresh_from_db()
    job = engine.job()
    assert (generation.status, generation.provider, generation.model, generation.provider_job_id) == (
        "COMPLETED", "fashn", model, job.id)
    assert (generation.cost, generation.cost_unit) == (Decimal("1"), "credits") and generation.submitted_at
    revision = ShotRevision.objects.get(shot=generation.shot)
    assert revision.shot_status == "PROPOSAL" and generation.revision == revision
    media = revision.images.get().image_media
    assert media.content_hash == hashlib.sha256(engine.files[f"/cdn/{job.id}/output_0.png"]).hexdigest()
    assert pixel_at_centre(media.file.read())[1] == SHIRT_BLUE


def test_a_failed_job_fails_the_generation_with_fashns_reason(engine, look, user):
    engine.failure = ("ContentModerationError", "Prohibited content detected in garment image")
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "failed"
    generation.refresh_from_db()
    assert (generation.status, generation.error) == (
        "FAILED", "FASHN failed: ContentModerationError: Prohibited content detected in garment image")
    assert (generation.cost, generation.cost_unit) == (Decimal("0"), "credits")
    assert not ShotRevision.objects.exists()


def test_a_429_is_retried_after_its_delay_and_not_counted(engine, look, user, settings):
    settings.WORK_MAX_RETRIES = 0  # a counted failure would give up at once
    engine.rate_limit(2, retry_after=1, path="/v1/status/")
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "rate_limited"
    generation.refresh_from_db()
    assert generation.status == "PENDING" and "HTTP 429 RateLimitExceeded" in generation.error
    outcome = generation_run(generation_id=generation.pk)  # what the task does: retried after Retry-After
    assert (outcome.state, outcome.retry_in) == ("rate_limited", 1.0)
    assert run(generation) == "completed"
    generation.refresh_from_db()
    assert generation.status == "COMPLETED" and generation.error is None
    assert len(engine.jobs) == 1  # the job was resumed, never submitted again


def test_fashn_down_then_up_resumes_the_same_job(engine, look, user, settings):
    settings.WORK_MAX_RETRIES = 3
    engine.script("/v1/status/", None, times=2)  # two polls whose connection closes without an answer
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "completed"
    generation.refresh_from_db()
    assert (generation.status, generation.attempts) == ("COMPLETED", 3)
    assert len(engine.jobs) == 1 and ShotRevision.objects.count() == 1


def test_fashn_down_for_good_fails_after_the_retries(engine, look, user, settings):
    settings.WORK_MAX_RETRIES = 1
    engine.stop()
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "failed"
    generation.refresh_from_db()
    assert generation.status == "FAILED" and generation.error.startswith(
        "Gave up after 2 attempts: FASHN could not be reached")
    engine.start()


def test_an_output_on_another_host_is_refused(engine, look, user):
    engine.output_base = f"http://localhost:{engine.port}"  # the same server under another name
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "failed"
    generation.refresh_from_db()
    assert (generation.status, generation.error) == ("FAILED", "An output URL is not on fashn's hosts")
    assert not [r for r in engine.requests if r["path"].startswith("/cdn/")] and not ShotRevision.objects.exists()


@pytest.fixture
def awaited(engine, settings):
    """Webhooks expected (the worker hands the job back and awaits); the fake's own deliveries go
    nowhere (`testserver`), a test posts them through the test client."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    engine.hold, engine.webhook_retries = True, 0
    return engine


def webhook(engine, body):
    """POST `body` to the webhook URL we gave FASHN, as FASHN does."""
    url = engine.requests[0]["query"]["webhook_url"][0].removeprefix("http://testserver")
    return client_for().post(url, body, content_type="application/json")


def test_a_cancelled_generation_keeps_nothing_of_its_fashn_job(awaited, look, user, django_capture_on_commit_callbacks):
    generation = Generation.objects.create(shot=shot_of(look, user), requested_by=user)
    assert run(generation) == "awaiting"
    job = awaited.job()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel").json()["status"] == "CANCELLED"
    sent = len(awaited.requests)
    # FASHN has no cancel endpoint: the job task asks the engine, which sends nothing.
    assert cancel_provider_job.apply(args=[str(generation.pk)]).get() is True and len(awaited.requests) == sent
    awaited.release(job.id)
    awaited.wait_for(lambda: job.status == "completed", what="the job's end at FASHN")
    assert run(generation) == "skipped"  # the fallback poll
    answer = webhook(awaited, job.payload())  # FASHN's webhook
    assert (answer.status_code, answer.json()) == (200, {"detail": "The generation is already finished",
                                                         "changed": False})
    generation.refresh_from_db()
    assert generation.status == "CANCELLED" and not ShotRevision.objects.exists()


def test_a_webhook_body_is_only_a_hint_the_status_decides(awaited, look, user):
    generation = Generation.objects.create(shot=shot_of(look, user))
    assert run(generation) == "awaiting"
    job = awaited.job()
    forged = {"id": job.id, "status": "completed", "output": ["https://cdn.fashn.ai/evil/output_0.png"], "error": None}
    answer = webhook(awaited, forged)  # the URL's token is right, the body is not FASHN's
    assert (answer.status_code, answer.json()["changed"]) == (200, False)
    generation.refresh_from_db()
    assert generation.status == "RUNNING" and not ShotRevision.objects.exists()
    assert awaited.requests[-1]["path"] == f"/v1/status/{job.id}"  # FASHN was asked
    awaited.release(job.id)
    awaited.wait_for(lambda: job.status == "completed", what="the job's end")
    answer = webhook(awaited, job.payload())
    assert (answer.status_code, answer.json()) == (200, {"detail": "Generation completed", "changed": True})
    assert ShotRevision.objects.filter(shot=generation.shot).count() == 1

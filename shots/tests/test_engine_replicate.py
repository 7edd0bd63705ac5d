"""The Replicate and Cog engines against real local servers speaking their documented protocols
(tests/engines/replicate_server.py): the protocol (submit by model or version, input maps,
statuses, errors, metrics, cancel, output hosts; Cog synchronous, asynchronous and fleets), the
worker through the task (run eagerly), and our webhook endpoint through the test client. The
flows through a real Celery worker are in tests/test_engine_replicate_worker.py."""
import base64
import dataclasses
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from conftest import client_for, sent
from sartiq.media.services import media_create_from_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.engines import server_engine
from shots.models import Generation, Prediction, ProviderWebhookMessage, ShotRevision
from shots.providers import (
    CANCELED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    GenerationRequest,
    PermanentProviderError,
    RateLimited,
    TransientProviderError,
    get_provider,
    webhook_url,
)
from shots.providers.base import host_listed
from shots.providers.replicate import (
    CogBusy,
    check_input_maps,
    cog_prediction_id,
    prediction_state,
)
from shots.tasks import cancel_provider_job, run_generation
from tests.engines.replicate_server import SECRET, TOKEN, VERSION, CogServer, ReplicateServer, png
from tests.fake_http import FakeService
from tests.servers import database_url

ROOT = Path(__file__).resolve().parents[2]
BASE, GARMENT = png((48, 64), (170, 120, 90)), png((40, 40), (20, 60, 160))


def request(**overrides) -> GenerationRequest:
    values = dict(prompt="a model wearing a linen dress", negative_prompt="blurry", width=512, height=640, count=2,
                  seed=1234, base_image=BASE, product_images=[GARMENT, png((8, 8))], reference_images=[],
                  background="#eeeeee", product_category="Summer Dress", product_name="Linen Dress",
                  product_description=None)
    return GenerationRequest(**{**values, **overrides})


def decoded(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    assert header == "data:image/png;base64"
    return base64.b64decode(payload)


@pytest.fixture
def replicate(settings):
    with ReplicateServer(models=("acme/studio", "cuuupid/idm-vton")) as server:
        # Not in OUTBOUND_ALLOWED_HOSTS: an engine's configured host is trusted by its client only.
        settings.OUTBOUND_ALLOWED_HOSTS = []
        settings.IMAGE_PROVIDER = "replicate"
        settings.REPLICATE_BASE_URL, settings.REPLICATE_API_TOKEN = server.url, TOKEN
        settings.REPLICATE_MODEL, settings.REPLICATE_WEBHOOK_SECRET = "acme/studio", ""
        settings.REPLICATE_OUTPUT_HOSTS = [server.allowed]  # the fake's host stands in for replicate.delivery
        settings.REPLICATE_INPUT_MAP = ""
        settings.IMAGE_PROVIDER_POLL_INTERVAL = 0.01
        settings.PUBLIC_BASE_URL = ""
        yield server


@pytest.fixture
def cog(settings):
    with CogServer() as server:
        # Not in OUTBOUND_ALLOWED_HOSTS: an engine's configured host is trusted by its client only.
        settings.OUTBOUND_ALLOWED_HOSTS = []
        settings.IMAGE_PROVIDER, settings.COG_URL, settings.COG_INPUT_MAP = "cog", server.url, ""
        settings.PUBLIC_BASE_URL = ""
        yield server


def provider(**config):
    """The engine the server's settings configure, with `config` changed."""
    return get_provider(dataclasses.replace(server_engine(), **config))


def last_body(server, method="POST"):
    return next(r for r in reversed(server.requests) if r["method"] == method)["body"]


# --- Replicate: the protocol ------------------------------------------------------------------------
def test_a_model_name_runs_its_latest_version_and_a_version_id_that_version(replicate):
    provider().submit(request(), job_key="g1", webhook_url=None)
    provider(model=VERSION).submit(request(), job_key="g2", webhook_url=None)
    provider(model=f"acme/studio:{VERSION}").submit(request(), job_key="g3", webhook_url=None)
    assert [how for how, _ in replicate.created] == ["model", "version", "version"]
    creates = [r for r in replicate.requests if r["method"] == "POST"]
    assert [r["path"] for r in creates] == ["/v1/models/acme/studio/predictions", "/v1/predictions", "/v1/predictions"]
    assert "version" not in creates[0]["body"] and creates[1]["body"]["version"] == creates[2]["body"]["version"] == VERSION
    assert all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in creates)


def test_the_default_map_sends_a_text_to_image_input_and_a_webhook_only_when_given(replicate):
    provider().submit(request(), job_key="g1", webhook_url=None)
    body = last_body(replicate)
    assert set(body) == {"input"}
    sent = body["input"]
    assert {k: v for k, v in sent.items() if k != "image"} == {
        "prompt": "a model wearing a linen dress", "negative_prompt": "blurry", "width": 512, "height": 640,
        "num_outputs": 2, "seed": 1234}
    assert decoded(sent["image"]) == BASE
    provider().submit(request(base_image=None, negative_prompt=""), job_key="g2",
                      webhook_url="https://api.example.com/hook")
    body = last_body(replicate)
    assert "image" not in body["input"] and "negative_prompt" not in body["input"]  # absent: the model's default
    assert (body["webhook"], body["webhook_events_filter"]) == ("https://api.example.com/hook", ["start", "completed"])


def test_a_try_on_model_gets_its_built_in_map(replicate):
    provider(model="cuuupid/idm-vton").submit(request(), job_key="g1", webhook_url=None)
    sent = last_body(replicate)["input"]
    assert set(sent) == {"human_img", "garm_img", "garment_des", "category", "seed"}
    assert decoded(sent["human_img"]) == BASE and decoded(sent["garm_img"]) == GARMENT
    assert (sent["garment_des"], sent["category"], sent["seed"]) == ("Linen Dress", "dresses", 1234)
    provider(model="cuuupid/idm-vton").submit(request(product_category="Slim jeans", product_description="Indigo"),
                                              job_key="g2", webhook_url=None)
    assert (last_body(replicate)["input"]["category"], last_body(replicate)["input"]["garment_des"]) == (
        "lower_body", "Indigo")
    provider(model="cuuupid/idm-vton").submit(request(product_category=None), job_key="g3", webhook_url=None)
    assert last_body(replicate)["input"]["category"] == "upper_body"


def test_a_configured_map_decides_the_inputs(replicate, settings):
    settings.REPLICATE_INPUT_MAP = json.dumps({
        "text": "prompt", "style": {"value": {"preset": "photo"}}, "refs": "product_images",
        "part": {"field": "product_category", "map": {"tops": "upper"}, "default": "any"},
        "colour": ["product_description", "background"],
    })
    provider().submit(request(), job_key="g1", webhook_url=None)
    sent = last_body(replicate)["input"]
    assert {k: v for k, v in sent.items() if k != "refs"} == {
        "text": "a model wearing a linen dress", "style": {"preset": "photo"}, "part": "any", "colour": "#eeeeee"}
    assert [decoded(uri) for uri in sent["refs"]] == [GARMENT, png((8, 8))]
    # Maps keyed by model: each model its own; a model without one keeps its built-in map.
    settings.REPLICATE_INPUT_MAP = json.dumps({"acme/studio": {"caption": "product_name"}})
    provider().submit(request(), job_key="g2", webhook_url=None)
    assert last_body(replicate)["input"] == {"caption": "Linen Dress"}
    provider(model="cuuupid/idm-vton").submit(request(), job_key="g3", webhook_url=None)
    assert "garm_img" in last_body(replicate)["input"]


@pytest.mark.parametrize("setting, value, reason", [
    ("REPLICATE_INPUT_MAP", '{"prompt": "promt"}', "unknown field 'promt'"),
    ("REPLICATE_INPUT_MAP", '{"prompt": ', "not valid JSON"),
    ("REPLICATE_INPUT_MAP", "[]", "expected a JSON object or the name of a built-in map"),
    ("REPLICATE_INPUT_MAP", '{"a/b": {"x": {"val": 1}}}', "the map of a/b, input 'x': expected"),
    ("REPLICATE_INPUT_MAP", '{"x": {"field": "seed", "map": [1]}}', "`map` must be an object"),
    ("COG_INPUT_MAP", "someone/model", "the name of a built-in map (text-to-image, cuuupid/idm-vton)"),
    ("COG_INPUT_MAP", '{"a/b": {"x": "seed"}}', "maps keyed by model are for Replicate"),
])
def test_an_input_map_that_cannot_be_read_stops_start_up(settings, setting, value, reason):
    setattr(settings, setting, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        check_input_maps()
    assert str(refused.value).startswith(f"{setting}=") and reason in str(refused.value)


@pytest.mark.parametrize("name, value, message", [
    ("REPLICATE_INPUT_MAP", '{"prompt": "promt"}', "REPLICATE_INPUT_MAP='{\"prompt\": \"promt\"}' is not understood: "
                                                   "the map, input 'prompt': unknown field 'promt'"),
    ("REPLICATE_MODEL", "studio", "REPLICATE_MODEL='studio' is not understood: expected owner/name, a 64-hex "
                                  "version id, or owner/name:version"),
    ("REPLICATE_WEBHOOK_SECRET", "whsec_not a key!", "REPLICATE_WEBHOOK_SECRET='…' is not understood: expected "
                                                     "whsec_ followed by base64"),
    ("COG_URL", "http://gpu-1:5000,gpu-2:5000", "COG_URL='http://gpu-1:5000,gpu-2:5000' is not understood: "
                                                "expected http(s) URLs of Cog containers, comma-separated"),
])
def test_manage_py_refuses_an_engine_setting_it_cannot_read(name, value, message):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(), name: value}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert f"ImproperlyConfigured: {message}" in done.stderr, done.stderr[-2000:]
    assert "not a key" not in done.stderr  # a secret is not repeated


def test_statuses_progress_metrics_and_outputs(replicate):
    engine = provider()
    state = engine.submit(request(count=2), job_key="g1", webhook_url=None)
    assert (state.status, state.outputs) == (QUEUED, [])
    running = engine.status(state.job_id)
    assert (running.status, running.progress, running.started_at is not None) == (RUNNING, 45, True)
    done = engine.status(state.job_id)
    assert (done.status, done.compute_seconds, done.cost, done.error) == (SUCCEEDED, 3.25, None, None)
    assert len(done.outputs) == 2 and all(url.startswith(replicate.url + "/files/") for url in done.outputs)
    images = engine.outputs(done)
    assert [image.data for image in images] == [replicate.images[(state.job_id, i)] for i in (0, 1)]
    # The files are signed URLs: fetched without the token, which stays with the API.
    fetches = [r for r in replicate.requests if r["path"].startswith("/files/")]
    assert len(fetches) == 2 and not any("Authorization" in r["headers"] for r in fetches)


def test_one_output_as_a_plain_url_and_a_failure_with_its_reason(replicate):
    replicate.single_output = True
    engine = provider()
    job = engine.submit(request(), job_key="g1", webhook_url=None).job_id
    replicate.finish(job)
    assert len(engine.outputs(engine.status(job))) == 1
    replicate.outcome = "failed"
    job = engine.submit(request(), job_key="g2", webhook_url=None).job_id
    replicate.finish(job)
    failed = engine.status(job)
    assert (failed.status, failed.error, failed.compute_seconds, failed.outputs) == (
        FAILED, "CUDA out of memory", 3.25, [])


@pytest.mark.parametrize("document, expected", [
    ({"id": "p", "status": "starting"}, (QUEUED, None, [])),
    ({"id": "p", "status": "canceled", "output": ["https://x"]}, (CANCELED, None, [])),
    ({"id": "p", "status": "aborted"}, (FAILED, "the prediction was aborted: its deadline passed before it started",
                                         [])),
    ({"id": "p", "status": "succeeded", "output": None, "metrics": {"predict_time": "NaN"}}, (SUCCEEDED, None, [])),
])
def test_prediction_documents(document, expected):
    state = prediction_state(document, "Replicate")
    assert (state.status, state.error, state.outputs) == expected and state.compute_seconds is None


@pytest.mark.parametrize("document, message", [
    ({"status": "succeeded"}, "Replicate answered a prediction without a usable id"),
    ({"id": "p", "status": "done"}, "Replicate answered an unknown prediction status"),
    ({"id": "p", "status": "succeeded", "output": {"image": "https://x"}},
     "Replicate answered an output that is neither a URL nor a list of URLs"),
    ({"id": "p", "status": "succeeded", "output": ["https://x", 3]},
     "Replicate answered an output that is neither a URL nor a list of URLs"),
])
def test_unreadable_prediction_documents_are_permanent(document, message):
    with pytest.raises(PermanentProviderError, match=message):
        prediction_state(document, "Replicate")


def test_refusals_are_permanent_with_a_clear_reason(replicate):
    with pytest.raises(PermanentProviderError) as refused:
        provider(api_key="r8_wrong").submit(request(), job_key="g1", webhook_url=None)
    assert str(refused.value) == ("Replicate refused our credentials (HTTP 401): check REPLICATE_API_TOKEN, and that "
                                  "it may run the model")
    with pytest.raises(PermanentProviderError) as refused:
        provider(api_key="r8_theirs", account="organization").submit(request(), job_key="g1", webhook_url=None)
    assert str(refused.value) == ("Replicate refused our credentials (HTTP 401): check the organization's API key "
                                  "(PUT /organizations/{id}/engine), and that it may run the model")
    replicate.required = {"mask"}
    with pytest.raises(PermanentProviderError) as refused:
        provider().submit(request(), job_key="g1", webhook_url=None)
    assert str(refused.value) == "Replicate refused the model's input: HTTP 422: - input: mask is required"
    with pytest.raises(PermanentProviderError) as refused:
        provider(model="acme/unknown").submit(request(), job_key="g1", webhook_url=None)
    assert str(refused.value) == "Replicate has no model acme/unknown that this token may run (HTTP 404)"
    with pytest.raises(PermanentProviderError, match="HTTP 422: Invalid version or not permitted"):
        provider(model="0" * 64).submit(request(), job_key="g1", webhook_url=None)
    assert len(replicate.created) == 0


def test_rate_limits_server_errors_and_a_replicate_down_are_transient(replicate, settings):
    replicate.rate_limit(1, retry_after="7")
    with pytest.raises(RateLimited) as limited:
        provider().submit(request(), job_key="g1", webhook_url=None)
    assert limited.value.retry_after == 7 and "HTTP 429" in str(limited.value)
    replicate.fail(1)
    with pytest.raises(TransientProviderError) as failed:
        provider().submit(request(), job_key="g1", webhook_url=None)
    assert not isinstance(failed.value, RateLimited) and str(failed.value) == "Replicate answered 503"
    assert "upstream" not in str(failed.value)  # never the engine's raw body
    assert provider().submit(request(), job_key="g1", webhook_url=None).status == QUEUED
    down = FakeService()
    down.server.server_close()  # nobody listens there
    settings.OUTBOUND_ALLOWED_HOSTS = [replicate.allowed, down.allowed]
    with pytest.raises(TransientProviderError, match="Replicate could not be reached"):
        provider(base_url=down.url).submit(request(), job_key="g1", webhook_url=None)


def test_malformed_answers_are_permanent(settings):
    with FakeService() as service:
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
        service.route("POST /v1/models/acme/studio/predictions", lambda r: (201, b"<html>ok</html>", {}))
        service.route("GET /v1/predictions/p1", lambda r: (200, {"id": "p1", "status": "exploded"}, {}))
        engine = provider(engine="replicate", model="acme/studio", base_url=service.url, api_key=TOKEN)
        with pytest.raises(PermanentProviderError, match="Replicate answered something that is not JSON"):
            engine.submit(request(), job_key="g1", webhook_url=None)
        with pytest.raises(PermanentProviderError, match="unknown prediction status"):
            engine.status("p1")


def test_cancel_stops_the_prediction_and_a_finished_or_unknown_one_is_not_an_error(replicate):
    engine = provider()
    job = engine.submit(request(), job_key="g1", webhook_url=None).job_id
    engine.cancel(job)
    assert replicate.cancels == [job] and replicate.predictions[job]["status"] == "canceled"
    assert engine.status(job).status == CANCELED
    engine.cancel("unknown")
    assert replicate.cancels == [job]  # 404: nothing ran, nothing to do


def test_outputs_are_fetched_only_from_replicates_hosts(replicate, settings):
    with FakeService() as elsewhere:
        settings.OUTBOUND_ALLOWED_HOSTS = [replicate.allowed, elsewhere.allowed]  # reachable, but not Replicate's
        replicate.output_base = elsewhere.url
        engine = provider()
        job = engine.submit(request(count=1), job_key="g1", webhook_url=None).job_id
        replicate.finish(job)
        with pytest.raises(PermanentProviderError, match="An output URL is not on replicate's hosts"):
            engine.outputs(engine.status(job))
        assert elsewhere.connections == 0
    # By default: replicate.delivery and its subdomains, nothing else.
    settings.REPLICATE_OUTPUT_HOSTS = ["replicate.delivery", ".replicate.delivery"]
    hosts = provider().output_hosts()
    assert host_listed("https://replicate.delivery/xezq/abc/out-0.webp", hosts)
    assert host_listed("https://pbxt.replicate.delivery/abc/out-0.png", hosts)
    for url in ("https://replicate.delivery.example.com/a.png", "https://example.com/replicate.delivery/a.png",
                "https://user@replicate.delivery/a.png"):
        assert not host_listed(url, hosts)


# --- Cog: the protocol ------------------------------------------------------------------------------
def test_cog_without_a_webhook_answers_the_prediction_synchronously(cog):
    state = provider().submit(request(), job_key="g1", webhook_url=None)
    put = cog.requests[-1]
    assert (put["method"], put["path"]) == ("PUT", f"/predictions/{cog_prediction_id('g1', None)}")
    assert "Prefer" not in put["headers"] and "webhook" not in put["body"]
    assert (state.status, state.job_id, state.compute_seconds) == (SUCCEEDED, cog_prediction_id("g1", None), 0.2)
    assert [image.data for image in provider().outputs(state)] == [png(colour=cog.colour)]
    assert len(cog_prediction_id("g1", None)) == 26 and cog_prediction_id("g1", None) != cog_prediction_id("g2", None)


def test_cog_with_a_webhook_runs_asynchronously_and_reports_to_it(cog):
    with FakeService() as receiver:
        receiver.route("POST /hook", lambda r: (200, {}, {}))
        state = provider().submit(request(), job_key="g1", webhook_url=f"{receiver.url}/hook?token=t")
        put = cog.requests[-1]
        assert put["headers"]["Prefer"] == "respond-async"
        assert (put["body"]["webhook"], put["body"]["webhook_events_filter"]) == (f"{receiver.url}/hook?token=t",
                                                                                  ["start", "completed"])
        assert state.status in (QUEUED, RUNNING) and state.job_id == cog_prediction_id("g1", None)
        assert not provider().pollable
        deadline = time.monotonic() + 10
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        start, completed = (provider().parse_webhook(r["raw"]) for r in receiver.requests[:2])
    assert start.status in (QUEUED, RUNNING) and completed.status == SUCCEEDED
    assert completed.job_id == state.job_id and completed.compute_seconds == 0.2
    assert [image.data for image in provider().outputs(completed)] == [png(colour=cog.colour)]


def test_a_repeated_cog_submit_joins_the_running_prediction(cog, settings):
    cog.run_seconds = 1.0
    settings.OUTBOUND_TIMEOUT = 0.3  # the synchronous answer does not come in time
    with pytest.raises(TransientProviderError, match="The Cog container timed out"):
        provider().submit(request(), job_key="g1", webhook_url=None)
    settings.OUTBOUND_TIMEOUT = 10
    state = provider().submit(request(), job_key="g1", webhook_url=None)  # the same id: no 409, no second run
    assert state.status == SUCCEEDED and list(cog.predictions) == [cog_prediction_id("g1", None)]


def test_a_busy_cog_container_is_not_a_failure(cog):
    cog.occupy()
    with pytest.raises(CogBusy) as busy:
        provider().submit(request(), job_key="g1", webhook_url=None)
    assert isinstance(busy.value, RateLimited) and "busy" in str(busy.value)
    cog.release()
    assert provider().submit(request(), job_key="g1", webhook_url=None).status == SUCCEEDED


def test_cog_refusals_say_which_input(cog):
    cog.required = {"mask"}
    with pytest.raises(PermanentProviderError) as refused:
        provider().submit(request(), job_key="g1", webhook_url=None)
    assert str(refused.value) == "The Cog container refused the model's input: input.mask: Field required"


def test_a_fleet_spreads_jobs_names_the_container_in_the_job_id_and_cancels_there(settings):
    with CogServer(run_seconds=5) as first, CogServer(run_seconds=5) as second, FakeService() as receiver:
        receiver.route("POST /hook", lambda r: (200, {}, {}))
        down = FakeService()  # a container that is down: a port nobody listens on
        down.server.server_close()
        fleet = [first, second]
        settings.OUTBOUND_ALLOWED_HOSTS = [first.allowed, second.allowed, down.allowed, receiver.allowed]
        settings.IMAGE_PROVIDER, settings.COG_URL = "cog", ",".join([first.url, down.url, second.url])
        hook = f"{receiver.url}/hook"
        jobs = {}
        for key in (f"g{n}" for n in range(12)):
            try:
                jobs[key] = provider().submit(request(), job_key=key, webhook_url=hook).job_id
            except CogBusy:
                break  # both slots taken
        assert len(jobs) == 2  # one per container; the one that is down was skipped
        containers = {job.rpartition("-")[2] for job in jobs.values()}
        assert containers == {"0", "2"}
        for key, job in jobs.items():
            server = first if job.endswith("-0") else second
            assert job == cog_prediction_id(key, int(job[-1])) and job in server.predictions
        # A third job finds every container busy: not a failure, later.
        with pytest.raises(CogBusy, match="Every Cog container is busy"):
            provider().submit(request(), job_key="g-late", webhook_url=hook)
        for job in jobs.values():
            provider().cancel(job)
        assert [s.cancels for s in fleet] == [[j for j in jobs.values() if j.endswith(f"-{i}")] for i in (0, 2)]
        assert all(p["status"] == "canceled" for s in fleet for p in s.predictions.values())


# --- the worker (run_generation, eagerly) ---------------------------------------------------------
@pytest.fixture
def shot(user):
    shooting = ShootingFactory(owner=user)
    look = LookFactory(shooting=shooting, width=512, height=640, product__name="Linen Dress",
                       product__category="Dresses")
    look.product.cover_image_media = media_create_from_bytes(owner=user, data=GARMENT)
    look.product.save()
    return ShotFactory(shooting_look=look)


def test_a_replicate_generation_becomes_a_proposal_revision(replicate, shot, user):
    generation = Generation.objects.create(shot=shot, requested_by=user, params={"num_outputs": 2})
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    generation.refresh_from_db()
    job = replicate.created[0][1]
    assert (generation.status, generation.provider, generation.model, generation.provider_job_id) == (
        "COMPLETED", "replicate", "acme/studio", job)
    assert (generation.compute_seconds, generation.cost, generation.cost_unit) == (3.25, None, "")
    assert generation.submitted_at and generation.finished_at and generation.attempts == 1
    revision = ShotRevision.objects.get(shot=shot)
    assert generation.revision == revision and revision.shot_status == "PROPOSAL"
    stored = [p.media.file.read() for p in Prediction.objects.filter(generation=generation).order_by("index")]
    assert stored == [replicate.images[(job, 0)], replicate.images[(job, 1)]]
    assert last_body(replicate)["input"]["prompt"] == generation.prompt and "Linen Dress" in generation.prompt


def test_a_failed_prediction_fails_the_generation_with_its_reason(replicate, shot):
    replicate.outcome, replicate.error = "failed", "NSFW content detected\n\x1b[31m"
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    generation.refresh_from_db()
    assert (generation.status, generation.error) == ("FAILED", "Replicate failed: NSFW content detected [31m")
    assert generation.compute_seconds == 3.25 and not ShotRevision.objects.exists()


def test_replicate_down_then_up_and_rate_limited(replicate, shot, settings):
    settings.WORK_MAX_RETRIES = 3
    replicate.fail(2)  # the submit meets two 503s, then Replicate is back
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    generation.refresh_from_db()
    assert generation.attempts == 3 and len(replicate.created) == 1
    replicate.rate_limit(1, retry_after="9")
    again = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(again.pk)]).get() == "rate_limited"  # sent again after 9 s
    again.refresh_from_db()
    assert (again.status, again.provider_job_id) == ("PENDING", None) and "HTTP 429" in again.error
    assert run_generation.apply(args=[str(again.pk)]).get() == "completed"
    assert ShotRevision.objects.filter(shot=shot).count() == 2


@pytest.fixture
def hooked(replicate, settings):
    """Replicate with webhooks: the job is awaited, not polled."""
    settings.REPLICATE_WEBHOOK_SECRET = SECRET
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.IMAGE_PROVIDER_WEBHOOK_FALLBACK = 60
    return replicate


def awaiting(shot, server) -> tuple[Generation, str, str]:
    """A generation submitted and awaiting its webhook: (generation, job id, webhook URL)."""
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "awaiting"
    generation.refresh_from_db()
    assert (generation.status, generation.claim_token) == ("RUNNING", None)
    job = generation.provider_job_id
    return generation, job, server.predictions[job]["webhook"]


def test_cancelling_a_generation_cancels_the_prediction(hooked, shot, user, django_capture_on_commit_callbacks):
    generation, job, _ = awaiting(shot, hooked)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client_for(user).post(f"/api/v1/generations/{generation.pk}/cancel").json()["status"] == "CANCELLED"
    assert len(sent(callbacks)) == 1  # the engine's cancel, sent after commit
    assert cancel_provider_job.apply(args=[str(generation.pk)]).get() is True
    assert hooked.cancels == [job] and hooked.predictions[job]["status"] == "canceled"
    assert run_generation.apply(args=[str(generation.pk)]).get() == "skipped"
    assert not ShotRevision.objects.exists()


def test_cog_generations_synchronous_and_by_webhook(cog, shot, settings):
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    generation.refresh_from_db()
    assert (generation.provider, generation.provider_job_id, generation.compute_seconds) == (
        "cog", cog_prediction_id(str(generation.pk), None), 0.2)
    assert Prediction.objects.get(generation=generation).media.file.read() == png(colour=cog.colour)
    settings.PUBLIC_BASE_URL = "http://testserver"  # the container's webhooks cannot reach it: posted below
    later = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(later.pk)]).get() == "awaiting"
    later.refresh_from_db()
    prediction = cog.predictions[later.provider_job_id]
    cog.done.acquire()
    while prediction["status"] != "succeeded":
        cog.done.wait(5)
    cog.done.release()
    body = json.dumps({k: v for k, v in prediction.items() if k != "async"})
    response = Client().post(prediction["webhook"], data=body, content_type="application/json")
    assert (response.status_code, response.json()) == (200, {"detail": "Generation completed", "changed": True})
    assert Generation.objects.get(pk=later.pk).status == "COMPLETED"
    forged = Client().post(prediction["webhook"].replace("token=", "token=x"), data=body,
                           content_type="application/json")
    assert forged.status_code == 401
    unreadable = Client().post(prediction["webhook"], data=b"{}", content_type="application/json")
    assert (unreadable.status_code, unreadable.json()) == (
        401, {"detail": "Invalid webhook: The Cog container answered a prediction without a usable id"})
    assert ShotRevision.objects.filter(shot=shot).count() == 2


# --- our webhook endpoint -----------------------------------------------------------------------------
def post(url: str, body: bytes, headers: dict):
    return Client().post(url, data=body, content_type="application/json", headers=headers)


def test_a_signed_webhook_completes_the_generation(hooked, shot):
    generation, job, url = awaiting(shot, hooked)
    hooked.finish(job)
    response = post(url, *hooked.webhook(job))
    assert (response.status_code, response.json()) == (200, {"detail": "Generation completed", "changed": True})
    generation.refresh_from_db()
    assert (generation.status, generation.compute_seconds) == ("COMPLETED", 3.25)
    assert ShotRevision.objects.get(shot=shot).shot_status == "PROPOSAL"
    assert [r["method"] for r in hooked.requests if r["path"].startswith("/v1/")] == ["POST"]  # no poll needed


@pytest.mark.parametrize("forgery, reason", [
    ("unsigned", "it is not signed"),
    ("wrong key", "the signature does not match"),
    ("tampered", "the signature does not match"),
    ("stale", "its timestamp is outside the accepted 5 minutes"),
])
def test_a_webhook_that_does_not_prove_its_origin_is_refused_and_changes_nothing(hooked, shot, forgery, reason):
    generation, job, url = awaiting(shot, hooked)
    hooked.finish(job)
    body, headers = hooked.webhook(job)
    if forgery == "unsigned":
        headers = {"content-type": "application/json"}
    elif forgery == "wrong key":
        body, headers = hooked.webhook(job, secret="whsec_" + base64.b64encode(b"someone else's key!").decode())
    elif forgery == "tampered":
        body = body.replace(b'"succeeded"', b'"failed"')
    else:
        body, headers = hooked.webhook(job, timestamp=datetime.now(timezone.utc) - timedelta(minutes=6))
    response = post(url, body, headers)
    assert (response.status_code, response.json()) == (401, {"detail": f"Invalid webhook: {reason}"})
    generation.refresh_from_db()
    assert (generation.status, generation.claim_token) == ("RUNNING", None)
    assert not ShotRevision.objects.exists() and not ProviderWebhookMessage.objects.exists()


def test_a_replayed_webhook_changes_nothing(hooked, shot):
    generation, job, url = awaiting(shot, hooked)
    start = hooked.webhook(job, msg_id="msg_start")
    assert post(url, *start).json() == {"detail": "Progress noted", "changed": False}
    assert post(url, *start).json() == {"detail": "Message already received", "changed": False}
    hooked.finish(job)
    completed = hooked.webhook(job, msg_id="msg_done")
    assert post(url, *completed).json() == {"detail": "Generation completed", "changed": True}
    replayed = post(url, *completed)
    assert (replayed.status_code, replayed.json()) == (200, {"detail": "Message already received", "changed": False})
    assert ShotRevision.objects.count() == 1 and Prediction.objects.filter(generation=generation).count() == 1
    assert set(ProviderWebhookMessage.objects.values_list("message_id", flat=True)) == {"msg_start", "msg_done"}


def test_without_a_webhook_secret_replicate_jobs_are_polled(replicate, shot, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"  # no REPLICATE_WEBHOOK_SECRET: a webhook could not be verified
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    assert "webhook" not in last_body(replicate)
    job = Generation.objects.get(pk=generation.pk).provider_job_id
    response = post(webhook_url("replicate", generation.pk), *replicate.webhook(job))
    assert (response.status_code, response.json()) == (
        401, {"detail": "Invalid webhook: no Replicate webhook secret is configured to verify it"})

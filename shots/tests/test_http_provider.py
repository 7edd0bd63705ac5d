"""The remote image provider against a real local HTTP server: success, slow, failing, malformed."""
import io

import pytest
from PIL import Image

from sartiq.media.tests.factories import png_bytes
from shots.providers import GenerationRequest, HttpImageProvider, PermanentProviderError, TransientProviderError
from tests.fake_http import FakeService, sequence, slow

REQUEST = GenerationRequest(prompt="a model", negative_prompt="", width=64, height=80, base_image=png_bytes())
PNG = png_bytes((64, 80), (0, 128, 0))


@pytest.fixture
def service(settings):
    with FakeService() as service:
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]  # a local server: http and loopback
        yield service


def provider(service, **kwargs):
    return HttpImageProvider(service.url, api_key="secret", poll_interval=0.01, **kwargs)


def working(service):
    service.route("POST /generations", lambda r: (200, {"id": "job-1"}, {}))
    service.route("GET /generations/job-1", sequence(
        (200, {"status": "queued", "progress": 0}, {}),
        (200, {"status": "running", "progress": 40}, {}),
        (200, {"status": "succeeded", "progress": 100,
               "outputs": [{"url": f"{service.url}/files/1.png", "seed": 7}]}, {}),
    ))
    service.route("GET /files/1.png", lambda r: (200, PNG, {"Content-Type": "image/png"}))


def test_submit_poll_and_fetch(service):
    working(service)
    progress = []
    outputs = provider(service).generate(REQUEST, progress.append)
    assert len(outputs) == 1 and outputs[0].seed == 7
    assert Image.open(io.BytesIO(outputs[0].data)).size == (64, 80)
    assert progress == [0, 40, 99]
    submitted = service.requests[0]
    assert submitted["headers"]["Authorization"] == "Bearer secret"
    assert submitted["body"]["prompt"] == "a model" and submitted["body"]["base_image"]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_transient(service, status):
    service.route("POST /generations", lambda r: (status, {"error": "busy"}, {}))
    with pytest.raises(TransientProviderError):
        provider(service).generate(REQUEST, lambda p: None)


def test_a_500_then_success_succeeds_on_the_retry(service):
    working(service)
    service.route("POST /generations", sequence((500, {}, {}), (200, {"id": "job-1"}, {})))
    with pytest.raises(TransientProviderError):
        provider(service).generate(REQUEST, lambda p: None)
    assert len(provider(service).generate(REQUEST, lambda p: None)) == 1


def test_a_refused_request_is_permanent(service):
    service.route("POST /generations", lambda r: (422, {"error": "prompt too long"}, {}))
    with pytest.raises(PermanentProviderError, match="422"):
        provider(service).generate(REQUEST, lambda p: None)


def test_a_slow_answer_times_out_as_transient(service):
    service.route("POST /generations", slow(1.0, (200, {"id": "late"}, {})))
    with pytest.raises(TransientProviderError, match="timed out"):
        provider(service, timeout=0.2).generate(REQUEST, lambda p: None)


def test_a_job_that_never_ends_is_abandoned(service):
    service.route("POST /generations", lambda r: (200, {"id": "job-1"}, {}))
    service.route("GET /generations/job-1", lambda r: (200, {"status": "running", "progress": 10}, {}))
    with pytest.raises(TransientProviderError, match="did not finish"):
        provider(service, max_wait=0.2).generate(REQUEST, lambda p: None)


@pytest.mark.parametrize(
    "answer",
    [(200, b"<html>oops</html>", {"Content-Type": "text/html"}), (200, ["a", "list"], {}), (200, {"no": "id"}, {})],
    ids=["not json", "not an object", "no job id"],
)
def test_malformed_submissions_are_permanent(service, answer):
    service.route("POST /generations", lambda r: answer)
    with pytest.raises(PermanentProviderError):
        provider(service).generate(REQUEST, lambda p: None)


@pytest.mark.parametrize(
    "state, message",
    [({"status": "failed", "error": "NSFW"}, "NSFW"), ({"status": "exploded"}, "Unknown job status"),
     ({"status": "succeeded", "outputs": []}, "without outputs"),
     ({"status": "succeeded", "outputs": [{"url": "http://elsewhere.example/x.png"}]}, "not on the provider")],
)
def test_bad_job_states_are_permanent(service, state, message):
    service.route("POST /generations", lambda r: (200, {"id": "job-1"}, {}))
    service.route("GET /generations/job-1", lambda r: (200, state, {}))
    with pytest.raises(PermanentProviderError, match=message):
        provider(service).generate(REQUEST, lambda p: None)


def test_an_unreachable_provider_is_transient(settings):
    with FakeService() as service:
        url = service.url
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]
    with pytest.raises(TransientProviderError, match="could not be reached"):
        HttpImageProvider(url).generate(REQUEST, lambda p: None)


@pytest.mark.django_db
def test_a_generation_through_the_http_provider(user, service, settings):
    from shootings.tests.factories import ShootingFactory, ShotFactory
    from shots.models import Generation, ShotRevision
    from shots.tasks import run_generation

    working(service)
    settings.IMAGE_PROVIDER, settings.IMAGE_PROVIDER_URL, settings.IMAGE_PROVIDER_POLL_INTERVAL = "http", service.url, 0.01
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    generation.refresh_from_db()
    assert generation.provider == "http" and generation.status == "COMPLETED"
    revision = ShotRevision.objects.get(shot=shot)
    assert Image.open(revision.images.get().image_media.file).size == (64, 80)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1, "7", 1.5, True])
def test_a_seed_the_column_cannot_hold_is_not_kept(user, service, settings, seed):
    """Issue #11: the provider's seed goes into a bigint column; one beyond it failed the generation."""
    from shootings.tests.factories import ShootingFactory, ShotFactory
    from shots.models import Generation, Prediction
    from shots.tasks import run_generation

    working(service)
    service.route("GET /generations/job-1", lambda r: (200, {"status": "succeeded", "outputs": [
        {"url": f"{service.url}/files/1.png", "seed": seed}]}, {}))
    settings.IMAGE_PROVIDER, settings.IMAGE_PROVIDER_URL, settings.IMAGE_PROVIDER_POLL_INTERVAL = "http", service.url, 0.01
    generation = Generation.objects.create(shot=ShotFactory(shooting_look__shooting=ShootingFactory(owner=user)))
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    assert Prediction.objects.get(generation=generation).seed is None


# --- the outbound guard (issue #10, finding 2) -------------------------------------------------------
def run_one_generation(user):
    from shootings.tests.factories import ShootingFactory, ShotFactory
    from shots.models import Generation
    from shots.tasks import run_generation

    generation = Generation.objects.create(shot=ShotFactory(shooting_look__shooting=ShootingFactory(owner=user)))
    outcome = run_generation.apply(args=[str(generation.pk)]).get()
    generation.refresh_from_db()
    return outcome, generation


@pytest.mark.django_db
def test_a_provider_on_an_unlisted_internal_host_is_never_reached(user, service, settings):
    working(service)
    settings.IMAGE_PROVIDER, settings.IMAGE_PROVIDER_URL = "http", service.url
    settings.OUTBOUND_ALLOWED_HOSTS = []
    outcome, generation = run_one_generation(user)
    assert (outcome, generation.status) == ("failed", "FAILED")  # permanent: not retried
    assert generation.error.startswith("The provider may not be reached: Only https URLs are allowed")
    assert service.connections == 0


@pytest.mark.django_db
def test_generation_errors_carry_a_status_and_a_sanitized_reason(user, service, settings):
    settings.IMAGE_PROVIDER, settings.IMAGE_PROVIDER_URL = "http", service.url
    service.route("POST /generations", lambda r: (422, b"<html><pre>Traceback: key=sk-live-123</pre></html>",
                                                  {"Content-Type": "text/html"}))
    outcome, generation = run_one_generation(user)
    assert (outcome, generation.error) == ("failed", "The provider refused the request: HTTP 422")
    service.route("POST /generations", lambda r: (400, {"error": {"message": "Prompt\x00 too long\n" + "!" * 500}}, {}))
    outcome, generation = run_one_generation(user)
    assert generation.error.startswith("The provider refused the request: HTTP 400: Prompt too long !!!")
    assert len(generation.error) < 300
    service.route("POST /generations", lambda r: (200, {"id": "job-1"}, {}))
    service.route("GET /generations/job-1", lambda r: (200, {"status": "failed", "error": {"trace": "sk-live-123"}}, {}))
    outcome, generation = run_one_generation(user)
    assert generation.error == "The provider failed: no reason given"


def test_an_output_that_redirects_is_refused(service):
    working(service)
    service.route("GET /files/1.png", lambda r: (302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with pytest.raises(PermanentProviderError, match="redirect"):
        provider(service).generate(REQUEST, lambda p: None)

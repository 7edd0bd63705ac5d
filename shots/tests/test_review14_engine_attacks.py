"""An independent review of issue 14 (generation on real engines): each test here shows a defect
found by attacking the change; each fails on the branch it reviewed (`main` at 216d598).

The fixtures are the engines' own (shots/tests/test_engine_replicate.py): real local servers
speaking Replicate's and Cog's protocols."""
import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from sartiq.media.services import media_create_from_bytes
from sartiq.secrets import seal
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.generation import generations_stale
from shots.models import Generation, OrganizationEngine, ShotRevision
from shots.providers import PermanentProviderError, webhook_url
from shots.providers.replicate import prediction_state
from shots.tasks import run_generation
from shots.tests.test_engine_replicate import (  # noqa: F401 (fixtures, used by name)
    GARMENT,
    cog,
    hooked,
    post,
    provider,
    replicate,
    request,
    shot,
)
from tests.engines.replicate_server import SECRET

pytestmark = pytest.mark.django_db

ORG_TOKEN = "r8_organization_token"
ORG_WHSEC = "whsec_" + "b3JnYW5pemF0aW9uLXdlYmhvb2stc2VjcmV0LTMyYg=="


def unraised() -> Client:
    """A client that returns the 500 an engine (or an attacker) would get, instead of raising."""
    return Client(raise_request_exception=False)


# --- 1. an unauthenticated 500 on the webhook endpoint ---------------------------------------------
@pytest.mark.parametrize("token", ["%C3%A9", "%E2%82%AC" * 20])
def test_a_webhook_with_a_non_ascii_token_is_refused_not_a_500(token):
    """`webhook_token_valid` hands the URL's token to `hmac.compare_digest`, which raises
    TypeError for a str with non-ASCII characters: anyone, without any secret, gets a 500 (and an
    error report / log entry per request) instead of the 401 of a wrong token."""
    response = unraised().post(f"/api/v1/providers/replicate/webhook?generation={uuid.uuid4()}&token={token}",
                               data=b"{}", content_type="application/json")
    assert response.status_code == 401, response.content


# --- 2. a prediction whose status is not a string -------------------------------------------------
@pytest.mark.parametrize("status", [["succeeded"], {"value": "succeeded"}])
def test_a_prediction_whose_status_is_not_a_string_is_a_permanent_error(status):
    """`STATUSES.get(document.get("status"))` raises TypeError (unhashable) for a list or an
    object: a poll answer becomes "Internal error: TypeError: unhashable type" in the generation's
    error, and a webhook body a 500 (below), instead of "answered an unknown prediction status"."""
    with pytest.raises(PermanentProviderError, match="unknown prediction status"):
        prediction_state({"id": "p1", "status": status}, "Replicate")


def test_a_cog_webhook_whose_status_is_not_a_string_is_answered_not_a_500(cog, shot, settings):  # noqa: F811 (fixtures)
    """Cog's webhooks are authenticated by the URL token only; a body with `"status": [...]` makes
    `CogProvider.parse_webhook` raise TypeError (it catches only PermanentProviderError): 500."""
    settings.PUBLIC_BASE_URL = "http://testserver"
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "awaiting"
    generation.refresh_from_db()
    body = json.dumps({"id": generation.provider_job_id, "status": ["succeeded"], "output": None})
    response = unraised().post(webhook_url("cog", generation.pk), data=body, content_type="application/json")
    assert response.status_code in (400, 401), (response.status_code, response.content)
    generation.refresh_from_db()
    assert generation.status == "RUNNING"


# --- 3. a job that never ends ---------------------------------------------------------------------
def test_a_job_whose_status_is_rate_limited_past_its_deadline_still_ends(replicate, shot, settings):  # noqa: F811 (fixtures)
    """IMAGE_PROVIDER_MAX_WAIT bounds a job from its submit, but `_run` asks `status()` before it
    looks at the deadline, and a 429 there hands the generation back (not counted): an engine that
    keeps answering 429 to status keeps the generation PENDING, re-sent every Retry-After, forever."""
    settings.IMAGE_PROVIDER_MAX_WAIT = 60
    job = provider().submit(request(), job_key="submitted-long-ago", webhook_url=None).job_id
    generation = Generation.objects.create(shot=shot, provider="replicate", model="acme/studio", provider_job_id=job,
                                           submitted_at=timezone.now() - timedelta(hours=2))
    replicate.rate_limit(1000, retry_after="30")
    outcomes = [run_generation.apply(args=[str(generation.pk)]).get() for _ in range(3)]
    generation.refresh_from_db()
    # Two hours past a one-minute deadline: the job is given up (and cancelled), not retried.
    assert (generation.status, outcomes[0]) == ("FAILED", "failed"), (generation.status, outcomes, generation.error)


# --- 4. Retry-After cut short by the sweeper ------------------------------------------------------
def test_the_sweeper_does_not_resend_a_rate_limited_generation_before_its_retry_after(replicate, shot):  # noqa: F811 (fixtures)
    """A 429 with `Retry-After: 1800` hands the generation back PENDING and schedules the task in
    30 minutes; but `generations_stale()` lists every PENDING row untouched for 5 minutes, and the
    sweeper runs every minute: the engine is called again after ~6 minutes, not 30."""
    replicate.rate_limit(1, retry_after="1800")
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "rate_limited"
    # Six minutes later (the engine asked for thirty).
    Generation.objects.filter(pk=generation.pk).update(updated_at=timezone.now() - timedelta(minutes=6))
    assert generation.pk not in set(generations_stale())


# --- 5. a job on the server's account, after the organization sets its own key ------------------
@pytest.fixture
def org_shot(user, org):
    look = LookFactory(shooting=ShootingFactory(owner=user, organization=org), width=512, height=640,
                       product__name="Linen Dress", product__category="Dresses")
    look.product.cover_image_media = media_create_from_bytes(owner=user, data=GARMENT)
    look.product.save()
    return ShotFactory(shooting_look=look)


@pytest.mark.parametrize("path", ["webhook", "poll"])
def test_a_job_on_the_servers_account_is_finished_after_the_organization_sets_its_own_key(hooked, org, org_shot,  # noqa: F811 (fixtures)
                                                                                          path):
    """`engine_of` finishes a job with *today's* credentials: once the organization stores its own
    Replicate token and whsec_, a prediction submitted earlier on the server's account has its
    (server-signed) webhook refused with 401 and is polled with the organization's token, which
    Replicate answers 401/404 for another account's prediction: the paid job's result is lost
    and the generation fails; `cancel` would go with the wrong token too (the job keeps running).
    Nothing records which account a job was submitted on."""
    generation = Generation.objects.create(shot=org_shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "awaiting"
    generation.refresh_from_db()
    job = generation.provider_job_id
    url = hooked.predictions[job]["webhook"]
    # An admin of the organization moves it to its own Replicate account while the job runs.
    OrganizationEngine.objects.create(organization=org, engine="replicate", model="acme/studio",
                                      api_key=seal(ORG_TOKEN), webhook_secret=seal(ORG_WHSEC))
    hooked.finish(job)
    if path == "webhook":
        response = post(url, *hooked.webhook(job, secret=SECRET))  # signed by the server's account
        assert response.status_code == 200, response.json()
    else:
        run_generation.apply(args=[str(generation.pk)]).get()  # the fallback poll
    generation.refresh_from_db()
    assert generation.status == "COMPLETED", generation.error
    assert ShotRevision.objects.filter(shot=org_shot).count() == 1


# --- 6. organization engine settings that can never run ------------------------------------------
@pytest.mark.parametrize("api_key", ["r8_clé-secrète", "r8_first\nsecond"])
def test_an_api_key_that_cannot_be_sent_in_a_header_is_refused(user, org, settings, api_key):
    """A key that is not a valid HTTP header value is stored; every generation then fails: a
    non-ASCII key with "Internal error: UnicodeEncodeError: 'ascii' codec can't encode character
    'é' in position 12" (a character of the key and where it is, shown to every member), a line
    break as a transient "could not be reached" retried WORK_MAX_RETRIES times."""
    settings.IMAGE_PROVIDER = "local"
    response = client_for(user).put(f"/api/v1/organizations/{org.pk}/engine",
                                    {"engine": "replicate", "model": "acme/studio", "api_key": api_key},
                                    format="json")
    assert response.status_code == 422, response.json()
    assert not OrganizationEngine.objects.exists()


def test_a_fashn_model_the_engine_does_not_map_is_refused(user, org, settings):
    """The override accepts any FASHN model name (MODEL_NAMES is a character class); the FASHN
    provider only knows MODELS, so every generation of the organization fails with
    "FASHN_MODEL='tryon-v9' is not a model this engine maps" (naming a server variable the tenant
    cannot set) instead of the PUT being refused."""
    settings.IMAGE_PROVIDER = "local"
    response = client_for(user).put(f"/api/v1/organizations/{org.pk}/engine",
                                    {"engine": "fashn", "model": "tryon-v9", "api_key": "fa-organization-key"},
                                    format="json")
    assert response.status_code == 422, response.json()


# --- 7. the Cog fleet, listed in OUTBOUND_ALLOWED_HOSTS, is reachable from any tenant's URL -----------
def test_a_tenants_integration_endpoint_cannot_reach_the_cog_fleet(cog, user, other_user, settings,  # noqa: F811 (fixtures)
                                                                  django_capture_on_commit_callbacks):
    """docs/providers.md tells operators to list the Cog containers in OUTBOUND_ALLOWED_HOSTS (they
    are internal): but that list is global, the exemption of *every* outbound request, including
    the ones to URLs tenants choose. Any user creates a retailer integration whose endpoint_url is
    a container (http and the internal address are admitted for a listed host), and an export
    then POSTs to the container: with a `#` the fixed `/api/images` suffix becomes a fragment, so
    the path is the tenant's: `/predictions/{id}/cancel` cancels another tenant's running job (a
    Cog prediction id is a hash of the generation id, no secret), and Cog's unauthenticated
    `POST /shutdown` stops the container. The fleet should be reachable by the engine only."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from integrations.models import ExternalImagePush, ExternalProductMapping
    from integrations.tasks import push_image
    from sartiq.media.models import MediaResource
    from sartiq.media.tests.factories import png_bytes
    from shootings.tests.factories import add_revision

    # A victim's generation runs on the fleet (asynchronously, reporting by webhook).
    settings.PUBLIC_BASE_URL = "http://testserver"
    cog.run_seconds = 30
    victim_look = LookFactory(shooting=ShootingFactory(owner=other_user))
    victim = Generation.objects.create(shot=ShotFactory(shooting_look=victim_look))
    assert run_generation.apply(args=[str(victim.pk)]).get() == "awaiting"
    victim.refresh_from_db()
    job = victim.provider_job_id
    assert cog.predictions[job]["status"] in ("starting", "processing")

    # The attacker: an ordinary user, with an approved revision of their own to export.
    endpoint = f"{cog.url}/predictions/{job}/cancel#"
    created = client_for(user).post("/api/v1/external-integrations/", {
        "name": "Shop", "integration_type": "OVS", "endpoint_url": endpoint, "credentials": "x"}, format="json")
    if created.status_code != 200:
        return  # refused: the fleet is not a destination for tenants' URLs (the expected behaviour)
    look = LookFactory(shooting=ShootingFactory(owner=user, brand="Acme"), product__sku="LS-100",
                       product__style_code="LS100", product__colour="BLU")
    revision = add_revision(ShotFactory(shooting_look=look, shot_type__view_angle="FRONT"), "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"
    image.image_media = MediaResource.objects.create(owner=user, file=default_storage.save(
        "r/attack.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    from integrations.models import ExternalIntegration

    integration = ExternalIntegration.objects.get(pk=created.json()["id"])
    ExternalProductMapping.objects.create(product=look.product, integration=integration, style_code="OV1",
                                          colour_code="1", external_id="X")
    with django_capture_on_commit_callbacks(execute=False):
        assert client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export").status_code == 200
    push_image.apply(args=[str(ExternalImagePush.objects.get(revision=revision).pk)])
    # Nothing of the tenant's reached the container, and the victim's job still runs.
    assert cog.predictions[job]["status"] in ("starting", "processing"), cog.predictions[job]["status"]
    assert [r["path"] for r in cog.requests if r["method"] == "POST"] == []

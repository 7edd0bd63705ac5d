"""The workers' events: generations run by the generation task, outfit proposals by the stylist
task, pushes by the push task against a retailer the test starts (a real local HTTP server), their
confirmation by the retailer's signed callback or by the periodic poll; an engine's webhook. A
worker's actor is the system; a callback's the retailer (the integration), a webhook's the engine."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from standardwebhooks import Webhook

from conftest import client_for
from integrations import services as integration_services
from integrations.models import ExternalImagePush, ExternalProductMapping
from integrations.secrets import reveal
from integrations.tasks import poll_confirmation, push_image
from outfits.models import Outfit
from outfits.tasks import style_outfit_proposal
from sartiq.catalog.tests.factories import ProductFactory
from sartiq.events.catalogue import TYPES
from sartiq.events.models import Event
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots import providers
from shots.models import Generation, ShotRevision
from shots.providers.base import data_uri, webhook_token
from shots.tasks import run_generation
from tests.fake_http import FakeService

pytestmark = pytest.mark.django_db


def recorded(**subject) -> list[tuple[str, str, str, dict]]:
    """(type, actor type, actor name, data) of the events about `subject`, oldest first."""
    found = list(Event.objects.filter(**subject).order_by("id"))
    assert all(event.type in TYPES for event in found)
    return [(e.type, e.actor_type, e.actor_name, e.data) for e in found]


@pytest.fixture
def shot(user, org):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user, organization=org))


# --- generations ------------------------------------------------------------------------------------
def test_a_generation_run_by_the_worker(user, shot):
    generation = Generation.objects.create(shot=shot, requested_by=user)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "completed"
    revision = ShotRevision.objects.get(shot=shot)
    assert recorded(shot_id=shot.pk) == [
        ("generation.started", "system", "", {}),
        ("revision.created", "system", "", {"version": 1, "status": "PROPOSAL", "images": 1}),
        ("shot.status_changed", "system", "", {"from": "PENDING", "to": "PROPOSAL", "cause": "revision.created"}),
        ("generation.completed", "system", "", {"revision_id": str(revision.pk), "outputs": 1}),
    ]
    completed = Event.objects.get(type="generation.completed")
    assert (completed.generation_id, completed.revision_id) == (generation.pk, revision.pk)
    assert (completed.organization_id, completed.shooting_id) == (shot.shooting_look.shooting.organization_id,
                                                                  shot.shooting_look.shooting_id)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "skipped"  # a duplicate message
    assert Event.objects.count() == 4


class FailingProvider:
    name = "failing"

    def __init__(self, error):
        self.error = error

    def generate(self, request, progress):
        raise self.error


def test_a_generation_retried_then_given_up_started_once_and_failed_once(shot, monkeypatch, settings):
    settings.WORK_MAX_RETRIES = 1
    monkeypatch.setattr("shots.generation.get_provider",
                        lambda config: FailingProvider(providers.TransientProviderError("The provider answered 503")))
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    generation.refresh_from_db()
    assert generation.attempts == 2  # claimed twice, started once
    assert [(t, a) for t, a, _, _ in recorded(generation_id=generation.pk)] == [
        ("generation.started", "system"), ("generation.failed", "system")]
    assert Event.objects.get(type="generation.failed").data == {"error": generation.error}
    assert "Gave up after 2 attempts" in generation.error


def test_a_permanent_error_fails_with_its_reason(shot, monkeypatch):
    monkeypatch.setattr("shots.generation.get_provider",
                        lambda config: FailingProvider(providers.PermanentProviderError("Refused (400)")))
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    assert recorded(generation_id=generation.pk)[1] == ("generation.failed", "system", "", {"error": "Refused (400)"})


def test_a_completion_that_fails_after_its_revision_records_none_of_it(shot, monkeypatch):
    """The revision (and its events) are written, then the generation's own event fails: the whole
    completion rolls back, and the generation fails instead."""
    def broken(*args, **kwargs):
        assert Event.objects.filter(type="revision.created").exists()  # written, not yet committed
        raise RuntimeError("disk full")

    monkeypatch.setattr("shots.generation.record", broken)
    generation = Generation.objects.create(shot=shot)
    assert run_generation.apply(args=[str(generation.pk)]).get() == "failed"
    assert not ShotRevision.objects.exists()
    assert [t for t, _, _, _ in recorded(shot_id=shot.pk)] == ["generation.started", "generation.failed"]


class WebhookEngine(providers.RemoteProvider):
    """An engine whose webhook body is trusted as it comes (the URL's token is checked anyway)."""

    engine, who = "fashn", "FASHN"

    def parse_webhook(self, body):
        data = json.loads(body)
        if data["status"] == "failed":
            return providers.JobState(job_id=data["id"], status=providers.FAILED, error="Out of credits")
        return providers.JobState(job_id=data["id"], status=providers.SUCCEEDED, outputs=[data_uri(png_bytes())])


@pytest.mark.parametrize("status, events", [
    ("succeeded", ["revision.created", "shot.status_changed", "generation.completed"]),
    ("failed", ["generation.failed"]),
])
def test_an_engines_webhook_settles_the_generation_as_the_engine(anon, shot, monkeypatch, status, events):
    monkeypatch.setitem(providers.PROVIDERS, "fashn", WebhookEngine)
    generation = Generation.objects.create(  # submitted by a worker, awaiting the engine's webhook
        shot=shot, status="RUNNING", provider="fashn", provider_job_id="job-1", attempts=1,
        lease_until=timezone.now() + timedelta(minutes=1))
    url = (f"/api/v1/providers/fashn/webhook?generation={generation.pk}"
           f"&token={webhook_token('fashn', generation.pk)}")
    response = anon.post(url, json.dumps({"id": "job-1", "status": status}), content_type="application/json")
    assert response.status_code == 200, response.json()
    assert [(t, a, n) for t, a, n, _ in recorded(shot_id=shot.pk)] == [(t, "provider", "fashn") for t in events]
    if status == "failed":
        assert recorded(shot_id=shot.pk)[0][3] == {"error": "FASHN failed: Out of credits"}


# --- outfit proposals --------------------------------------------------------------------------------
def test_the_stylist_worker_proposes_an_outfit(user):
    look = LookFactory(shooting=ShootingFactory(owner=user), product__placement="TOP", product__gender="UNISEX",
                       subject__gender="FEMALE")
    ProductFactory(owner=user, name="Skirt", placement="BOTTOM", gender="FEMALE")
    proposal = Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="PENDING")
    assert style_outfit_proposal.apply(args=[str(proposal.pk)]).get() == "completed"
    assert recorded(look_id=look.pk) == [
        ("look.outfit_proposed", "system", "", {"outfit_id": str(proposal.pk), "source": "STYLIST", "products": 1})]


# --- exports and pushes ------------------------------------------------------------------------------
class Retailer(FakeService):
    """A retailer filing images by Idempotency-Key; `answers` scripts the uploads ("ok", "published"
    at once, "refused"), `states` the status polls."""

    def __init__(self):
        super().__init__()
        self.answers, self.states = [], []
        self.route("POST /api/images", self.upload)
        self.route("GET /api/images/ovs-1", lambda request: (200, {"status": self.states.pop(0)}, {}))

    def upload(self, request):
        answer = self.answers.pop(0) if self.answers else "ok"
        if answer == "refused":
            return 400, {"message": "Unknown style code"}, {}
        return 201, {"id": "ovs-1", "status": "published" if answer == "published" else "received"}, {}


@pytest.fixture
def retailer(settings):
    with Retailer() as retailer:
        settings.OUTBOUND_ALLOWED_HOSTS = [retailer.allowed]
        yield retailer


@pytest.fixture
def approved(user, org, retailer):
    """An approved revision with a stored image, its product mapped to the retailer."""
    look = LookFactory(shooting=ShootingFactory(owner=user, organization=org))
    revision = add_revision(ShotFactory(shooting_look=look, shot_type__view_angle="FRONT"), "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"  # an image of ours (an upload by URL is the client's to publish)
    image.image_media = MediaResource.objects.create(owner=user, organization=org, file=default_storage.save(
        "r/a.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    integration = integration_services.integration_create(user=user, organization_id=org.pk, data={
        "name": "OVS", "integration_type": "OVS", "endpoint_url": retailer.url, "credentials": "ovs-token"})
    ExternalProductMapping.objects.create(product=look.product, integration=integration, external_id="OVS-1")
    revision.integration = integration
    return revision


def exported(user, revision) -> ExternalImagePush:
    response = client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")
    assert response.status_code == 200, response.json()
    return ExternalImagePush.objects.get(revision=revision)


def signed(integration, body: dict) -> dict:
    raw, message_id, now = json.dumps(body), f"msg_{uuid.uuid4().hex}", datetime.now(tz=dt_timezone.utc)
    return {"data": raw, "content_type": "application/json", "HTTP_WEBHOOK_ID": message_id,
            "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
            "HTTP_WEBHOOK_SIGNATURE": Webhook(reveal(integration.callback_secret)).sign(message_id, now, raw)}


def test_an_export_pushed_by_the_worker_and_confirmed_by_the_retailers_callback(user, approved, anon):
    push = exported(user, approved)
    assert push_image.apply(args=[str(push.pk)]).get() == "awaiting"
    integration = approved.integration
    response = anon.post(f"/api/v1/integrations/{integration.pk}/callback",
                         **signed(integration, {"reference": "ovs-1", "status": "published"}))
    assert response.json()["changed"] is True
    anon.post(f"/api/v1/integrations/{integration.pk}/callback",  # a repeated confirmation changes nothing
              **signed(integration, {"reference": "ovs-1", "status": "published"}))
    on = {"integration_id": str(integration.pk)}
    assert recorded(shot_id=approved.shot_id) == [
        ("export.started", "user", user.email, {"pushes": 1, "skipped": 0}),
        ("push.completed", "system", "", {**on, "status": "AWAITING_CONFIRMATION"}),
        ("push.confirmed", "retailer", str(integration.pk), on),
    ]
    for event in Event.objects.filter(type__startswith="push."):
        assert (event.push_id, event.revision_id) == (push.pk, approved.pk)
        assert event.organization_id == approved.shot.shooting_look.shooting.organization_id


def test_a_retailer_rejecting_by_callback_fails_the_push(user, approved, anon):
    push = exported(user, approved)
    push_image.apply(args=[str(push.pk)])
    integration = approved.integration
    anon.post(f"/api/v1/integrations/{integration.pk}/callback",
              **signed(integration, {"reference": "ovs-1", "status": "rejected", "message": "Blurred"}))
    assert recorded(push_id=push.pk)[-1] == ("push.failed", "retailer", str(integration.pk), {
        "integration_id": str(integration.pk), "error": "Rejected by the retailer: Blurred"})


@pytest.mark.parametrize("state, event", [("published", "push.confirmed"), ("rejected", "push.failed")])
def test_the_periodic_poll_confirms_as_the_system(user, approved, retailer, state, event):
    push = exported(user, approved)
    push_image.apply(args=[str(push.pk)])
    retailer.states = ["processing", state]
    assert poll_confirmation.apply(args=[str(push.pk)]).get() == "pending"
    assert not Event.objects.filter(type=event).exists()
    poll_confirmation.apply(args=[str(push.pk)])
    assert recorded(push_id=push.pk)[-1][:3] == (event, "system", "")


def test_a_retailer_that_publishes_at_once_completes_and_confirms(user, approved, retailer):
    retailer.answers = ["published"]
    push = exported(user, approved)
    assert push_image.apply(args=[str(push.pk)]).get() == "completed"
    assert [t for t, _, _, _ in recorded(push_id=push.pk)] == ["push.completed", "push.confirmed"]
    assert Event.objects.get(type="push.completed").data["status"] == "COMPLETED"


def test_a_refused_upload_fails_and_a_manual_retry_starts_the_export_again(user, approved, retailer):
    retailer.answers = ["refused"]
    push = exported(user, approved)
    assert push_image.apply(args=[str(push.pk)]).get() == "failed"
    failed = Event.objects.get(type="push.failed")
    assert failed.actor_type == "system" and "Unknown style code" in failed.data["error"]
    assert client_for(user).post(f"/api/v1/external-image-pushes/{push.pk}/retry").status_code == 200
    retried = Event.objects.filter(type="export.started").latest("id")
    assert (retried.actor_type, retried.push_id, retried.data) == (
        "user", push.pk, {"integration_id": str(approved.integration.pk), "pushes": 1, "retry": True})


def test_an_export_that_starts_nothing_records_nothing(user, approved):
    exported(user, approved)
    assert client_for(user).post(f"/api/v1/shots/revisions/{approved.pk}/export").json()["exports_skipped"] == 1
    assert Event.objects.filter(type="export.started").count() == 1
    look = approved.shot.shooting_look
    body = client_for(user).post(f"/api/v1/shots/looks/{look.pk}/export").json()
    assert body["exports_created"] == 0 and Event.objects.filter(type="export.started").count() == 1

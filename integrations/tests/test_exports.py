"""Exports to a retailer: a real local HTTP server stands in for OVS. Nothing is lost, nothing is
pushed twice."""
import itertools
import json
import time
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from standardwebhooks import Webhook

from conftest import client_for, sent
from integrations import services
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from integrations.secrets import reveal
from integrations.tasks import poll_confirmations, push_image, sweep_pushes
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from tests.fake_http import FakeService

pytestmark = pytest.mark.django_db


class Retailer(FakeService):
    """OVS as the tests need it: files images by Idempotency-Key, scripted failures, confirmations."""

    def __init__(self):
        super().__init__()
        self.images: dict[str, dict] = {}  # idempotency key -> image record
        self.behaviour = []  # per upload call: "ok", "500", "400", "slow" (files the image, answers late)
        self.status_answers = []
        self.counter = itertools.count(1)
        self.route("POST /api/images", self.upload)

    def upload(self, request):
        key = request["headers"].get("Idempotency-Key")
        behaviour = self.behaviour.pop(0) if self.behaviour else "ok"
        if behaviour == "500":
            return 500, {"error": "maintenance"}, {}
        if behaviour == "400":
            return 400, {"message": "Unknown style code"}, {}
        if key not in self.images:
            image_id = f"ovs-{next(self.counter)}"
            self.images[key] = {"id": image_id, "raw": request["raw"], "auth": request["headers"].get("Authorization")}
            self.route(f"GET /api/images/{image_id}", self.status)
        if behaviour == "slow":
            time.sleep(1.0)
        return 201, {"id": self.images[key]["id"], "status": "received"}, {}

    def status(self, request):
        answer = self.status_answers.pop(0) if self.status_answers else "processing"
        return 200, {"status": answer, "message": "Blurred" if answer == "rejected" else None}, {}


@pytest.fixture
def retailer(settings):
    with Retailer() as retailer:
        settings.OUTBOUND_ALLOWED_HOSTS = [retailer.allowed]  # a local server: http and loopback
        yield retailer


@pytest.fixture
def approved(user, retailer, settings):
    """An approved revision with a stored image, of a product mapped to OVS."""
    settings.PUSH_TIMEOUT = 0.5
    look = LookFactory(shooting=ShootingFactory(owner=user, brand="Acme"), product__sku="LS-100",
                       product__style_code="LS100", product__colour="BLU")
    shot = ShotFactory(shooting_look=look, shot_type__view_angle="FRONT")
    revision = add_revision(shot, "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"
    image.image_media = MediaResource.objects.create(owner=user, file=default_storage.save(
        "r/a.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    integration = services.integration_create(user=user, organization_id=None, data={
        "name": "OVS", "integration_type": "OVS", "endpoint_url": retailer.url, "credentials": "ovs-token"})
    ExternalProductMapping.objects.create(product=look.product, integration=integration, style_code="OV123",
                                          colour_code="0451", external_id="OVS-ITEM-9")
    revision.integration = integration
    return revision


def export(user, revision):
    return client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")


def push_of(revision):
    return ExternalImagePush.objects.get(revision=revision)


def test_export_uploads_the_ovs_rendering_once_and_awaits_confirmation(user, approved, retailer,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = export(user, approved)
    assert response.status_code == 200
    assert response.json() == {"revision_id": str(approved.pk), "exports_created": 1, "exports_skipped": 0,
                               "message": "1 export(s) started, 0 skipped"}
    assert len(sent(callbacks)) == 1 and push_of(approved).push_status == "PENDING"
    assert push_image.apply(args=[str(push_of(approved).pk)]).get() == "awaiting"
    push = push_of(approved)
    assert (push.push_status, push.external_reference, push.attempts) == ("AWAITING_CONFIRMATION", "ovs-1", 1)
    assert push.pushed_at and push.completed_at is None
    [stored] = retailer.images.values()
    assert stored["auth"] == "Bearer ovs-token"
    assert b'filename="OV123_0451_01.jpg"' in stored["raw"] and b"OVS-ITEM-9" in stored["raw"]
    assert b"\xff\xd8" in stored["raw"]  # a JPEG
    assert PushAttempt.objects.get(push=push).http_status == 201
    body = client_for(user).get(f"/api/v1/shots/revisions/{approved.pk}").json()
    assert body["push_status"] == "AWAITING_CONFIRMATION"
    assert body["push_records"][0]["push_status"] == "AWAITING_CONFIRMATION"


def test_export_refusals(user, approved, other_user):
    draft = add_revision(approved.shot, "REVIEW")
    response = export(user, draft)
    assert (response.status_code, response.json()) == (
        400, {"detail": "Only an APPROVED revision can be exported (this one is REVIEW)"})
    unmapped = add_revision(ShotFactory(shooting_look__shooting=approved.shot.shooting_look.shooting), "APPROVED")
    response = export(user, unmapped)
    assert (response.status_code, response.json()) == (400, {"detail": "The product has no mapping to an external integration"})
    assert export(other_user, approved).status_code == 403
    assert client_for(user).post(f"/api/v1/shots/revisions/{uuid.uuid4()}/export").status_code == 404
    assert not ExternalImagePush.objects.exists()


def test_repeat_exports_skip_pushes_in_flight_or_done_and_restart_failed_ones(user, approved):
    export(user, approved)
    for status in ("PENDING", "IN_PROGRESS", "AWAITING_CONFIRMATION", "COMPLETED"):
        ExternalImagePush.objects.update(push_status=status)
        assert export(user, approved).json()["exports_skipped"] == 1
    ExternalImagePush.objects.update(push_status="FAILED", error_message="boom")
    again = export(user, approved).json()
    assert (again["exports_created"], again["exports_skipped"]) == (1, 0)
    push = push_of(approved)
    assert (push.push_status, push.error_message) == ("PENDING", None)
    assert ExternalImagePush.objects.count() == 1


def test_look_export_counts_revisions(user, approved):
    look = approved.shot.shooting_look
    add_revision(ShotFactory(shooting_look=look), "REVIEW")  # skipped: not approved
    ShotFactory(shooting_look=look)  # skipped: no revision
    other = ShotFactory(shooting_look=look)
    add_revision(other, "APPROVED", images=0)
    response = client_for(user).post(f"/api/v1/shots/looks/{look.pk}/export").json()
    assert response["look_id"] == str(look.pk)
    assert (response["revisions_processed"], response["revisions_skipped"]) == (2, 2)
    assert (response["exports_created"], response["exports_skipped"]) == (2, 0)
    again = client_for(user).post(f"/api/v1/shots/looks/{look.pk}/export").json()
    assert (again["exports_created"], again["exports_skipped"]) == (0, 2)


def test_server_errors_are_retried_with_the_same_key(user, approved, retailer):
    export(user, approved)
    retailer.behaviour = ["500", "500", "ok"]
    assert push_image.apply(args=[str(push_of(approved).pk)]).get() == "awaiting"
    push = push_of(approved)
    assert push.push_status == "AWAITING_CONFIRMATION" and push.attempts == 3
    assert list(PushAttempt.objects.filter(push=push).order_by("started_at").values_list("http_status", flat=True)) \
        == [500, 500, 201]
    keys = {r["headers"]["Idempotency-Key"] for r in retailer.requests}
    assert keys == {str(push.idempotency_key)} and len(retailer.images) == 1


def test_a_slow_answer_is_retried_and_the_retailer_keeps_one_image(user, approved, retailer):
    """The first upload reaches the retailer but the answer comes too late: the retry carries the
    same idempotency key, and the retailer files the image once."""
    export(user, approved)
    retailer.behaviour = ["slow", "ok"]
    assert push_image.apply(args=[str(push_of(approved).pk)]).get() == "awaiting"
    assert len(retailer.requests) == 2 and len(retailer.images) == 1
    attempts = list(PushAttempt.objects.filter(push=push_of(approved)).order_by("started_at"))
    assert attempts[0].error == "OVS timed out" and attempts[1].http_status == 201


def test_a_refusal_fails_at_once_with_the_retailers_message_and_can_be_pushed_again(user, approved, retailer):
    export(user, approved)
    retailer.behaviour = ["400"]
    assert push_image.apply(args=[str(push_of(approved).pk)]).get() == "failed"
    push = push_of(approved)
    assert push.push_status == "FAILED" and push.attempts == 1
    assert push.error_message == "OVS refused the image (400): Unknown style code"
    body = client_for(user).get(f"/api/v1/shots/revisions/{approved.pk}").json()
    assert body["push_status"] == "FAILED" and body["push_records"][0]["error_message"] == push.error_message
    retried = client_for(user).post(f"/api/v1/external-image-pushes/{push.pk}/retry")
    assert retried.status_code == 200 and retried.json()["push_status"] == "PENDING"
    assert push_image.apply(args=[str(push.pk)]).get() == "awaiting"
    again = client_for(user).post(f"/api/v1/external-image-pushes/{push.pk}/retry")
    assert again.status_code == 400  # only failed pushes


def test_a_duplicate_message_uploads_nothing_more(user, approved, retailer):
    export(user, approved)
    push_id = str(push_of(approved).pk)
    assert push_image.apply(args=[push_id]).get() == "awaiting"
    assert push_image.apply(args=[push_id]).get() == "skipped"
    assert len(retailer.requests) == 1


def test_a_push_stuck_in_progress_is_picked_up_by_the_sweeper(user, approved, retailer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from sartiq.celery import app

    app.conf.task_always_eager = True
    try:
        export(user, approved)
        ExternalImagePush.objects.update(push_status="IN_PROGRESS", claim_token=uuid.uuid4(),
                                         lease_until=timezone.now() - timedelta(seconds=5))
        assert sweep_pushes.apply().get() == 1
    finally:
        app.conf.task_always_eager = False
    push = push_of(approved)
    assert push.push_status == "AWAITING_CONFIRMATION" and push.attempts == 1
    assert len(retailer.images) == 1


def sign(integration, body: bytes) -> dict:
    """Standard Webhooks headers of a new message, signed with the integration's callback secret."""
    msg_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(tz=dt_timezone.utc)
    return {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
            "HTTP_WEBHOOK_SIGNATURE": Webhook(reveal(integration.callback_secret)).sign(msg_id, now, body.decode())}


def test_a_signed_confirmation_completes_the_push(user, approved, anon):
    export(user, approved)
    push_image.apply(args=[str(push_of(approved).pk)])
    integration = approved.integration
    url = f"/api/v1/integrations/{integration.pk}/callback"
    body = json.dumps({"reference": "ovs-1", "status": "published"}).encode()
    forged = anon.post(url, body, content_type="application/json",
                       **{**sign(integration, body), "HTTP_WEBHOOK_SIGNATURE": "v1," + "A" * 44})
    assert forged.status_code == 401 and push_of(approved).push_status == "AWAITING_CONFIRMATION"
    confirmed = anon.post(url, body, content_type="application/json", **sign(integration, body))
    assert confirmed.json() == {"push_id": str(push_of(approved).pk), "push_status": "COMPLETED", "changed": True}
    assert push_of(approved).completed_at is not None
    repeated = anon.post(url, body, content_type="application/json", **sign(integration, body))  # a new message
    assert repeated.json()["changed"] is False
    unknown = json.dumps({"reference": "ovs-999", "status": "published"}).encode()
    assert anon.post(url, unknown, content_type="application/json", **sign(integration, unknown)).status_code == 404


def test_a_rejection_by_callback_fails_the_push(user, approved, anon):
    export(user, approved)
    push = push_of(approved)
    push_image.apply(args=[str(push.pk)])
    body = json.dumps({"idempotency_key": str(push.idempotency_key), "status": "rejected", "message": "Blurred"}).encode()
    anon.post(f"/api/v1/integrations/{approved.integration.pk}/callback", body, content_type="application/json",
              **sign(approved.integration, body))
    push.refresh_from_db()
    assert (push.push_status, push.error_message) == ("FAILED", "Rejected by the retailer: Blurred")


def test_the_periodic_poll_completes_confirmed_pushes(user, approved, retailer):
    from sartiq.celery import app

    export(user, approved)
    push_image.apply(args=[str(push_of(approved).pk)])
    retailer.status_answers = ["processing", "published"]
    app.conf.task_always_eager = True
    try:
        poll_confirmations.apply()
        assert push_of(approved).push_status == "AWAITING_CONFIRMATION"
        poll_confirmations.apply()
    finally:
        app.conf.task_always_eager = False
    assert push_of(approved).push_status == "COMPLETED"
    assert PushAttempt.objects.filter(push=push_of(approved)).count() == 3  # upload and two polls


# (push statuses of a revision's pushes, aggregate)
PRIORITY = [
    ([], None),
    (["COMPLETED"], "COMPLETED"),
    (["COMPLETED", "PENDING"], "PENDING"),
    (["PENDING", "AWAITING_CONFIRMATION", "COMPLETED"], "AWAITING_CONFIRMATION"),
    (["AWAITING_CONFIRMATION", "IN_PROGRESS"], "IN_PROGRESS"),
    (["IN_PROGRESS", "FAILED", "COMPLETED"], "FAILED"),
]


@pytest.mark.parametrize("statuses, aggregate", PRIORITY)
def test_aggregate_push_status_priority(user, statuses, aggregate):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    revision = add_revision(shot, "APPROVED")
    for status in statuses:
        integration = ExternalIntegration.objects.create(owner=user, name=f"I {status}")
        ExternalImagePush.objects.create(revision=revision, integration=integration, push_status=status)
    assert client_for(user).get(f"/api/v1/shots/revisions/{revision.pk}").json()["push_status"] == aggregate
    summary = client_for(user).get(f"/api/v1/shootings/{shot.shooting_look.shooting_id}/looks-summary").json()
    assert summary["data"][0]["shots"][0]["push_status"] == aggregate


def test_product_figures_count_exports(user, approved):
    export(user, approved)
    product = approved.shot.shooting_look.product
    body = client_for(user).get(f"/api/v1/products/{product.pk}").json()
    assert (body["exports_total"], body["exports_completed"], body["integration_name"]) == (1, 0, "OVS")
    ExternalImagePush.objects.update(push_status="COMPLETED")
    assert client_for(user).get(f"/api/v1/products/{product.pk}").json()["exports_completed"] == 1

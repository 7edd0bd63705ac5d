"""A tenant cannot make the server or its workers reach the internal network through an
integration's endpoint (issue #10, finding 2), and never reads what another host answered beyond a
status code and a short sanitized reason."""
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from integrations.tasks import poll_confirmations, push_image
from integrations.tests.test_exports import Retailer, export, push_of
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from tests.fake_http import FakeService

pytestmark = pytest.mark.django_db
INTERNAL_PAGE = b"<html><h1>Internal admin</h1><p>db password: hunter2</p></html>"


@pytest.fixture
def internal():
    """A service of the internal network: a page no tenant may read, and a record of every visit."""
    with FakeService() as service:
        for key in ("GET /", "POST /api/images", "GET /api/images/ovs-1", "GET /latest/meta-data/"):
            service.route(key, lambda r: (200, INTERNAL_PAGE, {"Content-Type": "text/html"}))
        yield service


def approved_for(user, endpoint_url: str):
    """An approved revision with a stored image, of a product mapped to an integration at
    `endpoint_url`, stored as a tenant could not enter it through the API (so the worker's guard,
    not the input check, is what is tested)."""
    look = LookFactory(shooting=ShootingFactory(owner=user), product__sku="LS-100")
    revision = add_revision(ShotFactory(shooting_look=look), "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"
    image.image_media = MediaResource.objects.create(owner=user, file=default_storage.save(
        "r/a.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    integration = ExternalIntegration.objects.create(owner=user, name="OVS", integration_type="OVS",
                                                     endpoint_url=endpoint_url)
    ExternalProductMapping.objects.create(product=look.product, integration=integration, style_code="OV1")
    return revision


def attempt_log(user, push) -> dict:
    return client_for(user).get(f"/api/v1/external-image-pushes/{push.pk}").json()


def create(user, endpoint_url):
    return client_for(user).post("/api/v1/external-integrations/", {
        "name": "OVS", "integration_type": "OVS", "endpoint_url": endpoint_url}, format="json")


# --- input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("endpoint_url, message", [
    ("http://127.0.0.1:{port}", "Only https URLs are allowed"),
    ("https://127.0.0.1:{port}", "not a public internet address"),
    ("http://169.254.169.254/latest/meta-data/", "Only https URLs are allowed"),
    ("https://169.254.169.254/latest/meta-data/", "not a public internet address"),
    ("https://[::1]:{port}", "not a public internet address"),
    ("https://[::ffff:127.0.0.1]:{port}", "not a public internet address"),
    ("https://10.0.0.5/", "not a public internet address"),
    ("ftp://ovs.example.com/", "Only https URLs are allowed"),
    ("https://user:pass@ovs.example.com/", "user name or password"),
])
def test_an_endpoint_the_server_may_not_reach_is_refused_at_input(user, internal, endpoint_url, message):
    url = endpoint_url.format(port=internal.port)
    response = create(user, url)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "endpoint_url"] and message in error["msg"]
    assert not ExternalIntegration.objects.exists()

    integration = create(user, "https://ovs.example.com").json()
    changed = client_for(user).patch(f"/api/v1/external-integrations/{integration['id']}",
                                     {"endpoint_url": url}, format="json")
    assert changed.status_code == 422 and changed.json()["detail"][0]["loc"] == ["body", "endpoint_url"]
    assert ExternalIntegration.objects.get().endpoint_url == "https://ovs.example.com"
    ExternalIntegration.objects.all().delete()
    assert internal.connections == 0


def test_a_listed_host_may_be_entered(user, internal, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [internal.allowed]
    response = create(user, internal.url)
    assert response.status_code == 200 and response.json()["endpoint_url"] == internal.url
    assert create(user, "https://ovs.example.com/intake").status_code == 200


# --- the push and the poll, in the worker's task ---------------------------------------------------------
@pytest.mark.parametrize("endpoint, message", [
    ("https://127.0.0.1:{port}", "The destination is not allowed: it is not a public internet address"),
    ("http://127.0.0.1:{port}", "Only https URLs are allowed (http only to hosts the operator allows)"),
    ("https://localhost:{port}", "The destination is not allowed: it is not a public internet address"),
], ids=["ip literal", "http", "name that resolves to loopback"])
def test_a_push_to_an_internal_address_fails_at_once_and_reaches_nothing(user, internal, endpoint, message):
    revision = approved_for(user, endpoint.format(port=internal.port))
    assert export(user, revision).status_code == 200
    assert push_image.apply(args=[str(push_of(revision).pk)]).get() == "failed"  # permanent: not retried
    push = push_of(revision)
    assert (push.push_status, push.attempts, push.error_message) == ("FAILED", 1, f"OVS refused: {message}")
    body = attempt_log(user, push)
    [attempt] = body["attempt_log"]
    assert attempt["http_status"] is None and attempt["error"] == push.error_message
    assert "hunter2" not in str(body) and "Internal admin" not in str(body)
    assert internal.connections == 0 and internal.requests == []


def test_the_confirmation_poll_is_guarded_the_same_way(user, internal):
    revision = approved_for(user, f"https://localhost:{internal.port}")
    export(user, revision)
    ExternalImagePush.objects.update(push_status="AWAITING_CONFIRMATION", external_reference="ovs-1")
    from sartiq.celery import app

    app.conf.task_always_eager = True
    try:
        poll_confirmations.apply()
    finally:
        app.conf.task_always_eager = False
    push = push_of(revision)
    assert push.push_status == "AWAITING_CONFIRMATION"
    [attempt] = attempt_log(user, push)["attempt_log"]
    assert attempt["error"].startswith("OVS refused: The destination is not allowed")
    assert "hunter2" not in str(attempt)
    assert internal.connections == 0


def test_the_attempt_log_shows_a_status_and_a_sanitized_reason_never_a_body(user, settings):
    """Even a host the operator allows answers only through its status and a short JSON reason."""
    with Retailer() as retailer:
        settings.OUTBOUND_ALLOWED_HOSTS = [retailer.allowed]
        revision = approved_for(user, retailer.url)
        retailer.route("POST /api/images", lambda r: (502, INTERNAL_PAGE, {"Content-Type": "text/html"}))
        export(user, revision)
        settings.WORK_MAX_RETRIES = 0
        assert push_image.apply(args=[str(push_of(revision).pk)]).get() == "failed"
        retailer.route("POST /api/images", lambda r: (
            400, {"message": "Unknown style code\r\n" + "x" * 1000, "debug": "hunter2"}, {}))
        client_for(user).post(f"/api/v1/external-image-pushes/{push_of(revision).pk}/retry")
        assert push_image.apply(args=[str(push_of(revision).pk)]).get() == "failed"
        retailer.route("POST /api/images", retailer.upload)
        client_for(user).post(f"/api/v1/external-image-pushes/{push_of(revision).pk}/retry")
        assert push_image.apply(args=[str(push_of(revision).pk)]).get() == "awaiting"
        retailer.route("GET /api/images/ovs-1", lambda r: (
            200, {"status": "rejected", "message": "Blurred\x1b[31m", "trace": "hunter2"}, {}))
        from integrations.services import push_poll

        assert push_poll(push_id=push_of(revision).pk) == "rejected"
    body = attempt_log(user, push_of(revision))
    excerpts = [a["response_excerpt"] for a in body["attempt_log"]]
    assert {"HTTP 502", "HTTP 201", "HTTP 200: Blurred [31m"} < set(excerpts)
    refused = next(e for e in excerpts if e.startswith("HTTP 400"))
    assert refused.startswith("HTTP 400: Unknown style code xxx") and len(refused) <= 220
    assert "hunter2" not in str(body) and "<h1>" not in str(body)
    push = push_of(revision)
    assert (push.push_status, push.error_message) == ("FAILED", "Rejected by the retailer: Blurred [31m")
    assert PushAttempt.objects.filter(push=push).count() == 4

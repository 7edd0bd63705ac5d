"""Security issue #10, integrations: credentials (finding 1), export tenancy (3), integration
permissions (6) and Standard Webhooks callbacks (14). Through HTTP, the worker's task run in-process,
real local HTTP servers standing in for the retailers."""
import base64
import hashlib
import hmac
import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from standardwebhooks import Webhook

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.secrets import reveal
from integrations.tasks import push_image
from integrations.tests.test_exports import Retailer
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.catalog.tests.factories import ProductFactory
from sartiq.errors import BusinessRuleError
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision

pytestmark = pytest.mark.django_db
FORBIDDEN = {"detail": "Not enough permissions"}
INTEGRATIONS = "/api/v1/external-integrations/"
MAPPINGS = "/api/v1/external-product-mappings/"


@pytest.fixture
def retailer(settings):
    with Retailer() as retailer:
        settings.OUTBOUND_ALLOWED_HOSTS = [retailer.url.removeprefix("http://")]
        settings.PUSH_TIMEOUT = 2
        yield retailer


@pytest.fixture
def other_retailer(settings):
    with Retailer() as retailer:
        settings.OUTBOUND_ALLOWED_HOSTS = [*settings.OUTBOUND_ALLOWED_HOSTS, retailer.url.removeprefix("http://")]
        yield retailer


def approved_revision(owner, *, organization=None, product=None):
    """An approved revision with a stored image, in a shooting of `owner` (and `organization`)."""
    shooting = ShootingFactory(owner=owner, organization=organization, brand="Acme")
    look = LookFactory(shooting=shooting, **({"product": product} if product else {}))
    shot = ShotFactory(shooting_look=look, shot_type__view_angle="FRONT")
    revision = add_revision(shot, "APPROVED")
    image = revision.images.first()
    image.source_type = "PREDICTION"
    image.image_media = MediaResource.objects.create(owner=owner, organization=organization, file=default_storage.save(
        "r/s.png", ContentFile(png_bytes((40, 50)))), content_hash="0", extension="png", file_size=1)
    image.save()
    return revision


def create_integration(user, organization=None, **body):
    query = f"?organization_id={organization.pk}" if organization else ""
    return client_for(user).post(f"{INTEGRATIONS}{query}", {"name": "OVS", "integration_type": "OVS", **body},
                                 format="json")


def map_product(user, product, integration_id, **body):
    return client_for(user).post(MAPPINGS, {"product_id": str(product.pk), "integration_id": str(integration_id),
                                            **body}, format="json")


def run_pushes():
    for push in ExternalImagePush.objects.filter(push_status="PENDING"):
        push_image.apply(args=[str(push.pk)])


# --- finding 1: credentials ------------------------------------------------------------------------
def test_an_env_reference_never_sends_the_servers_secret_key(user, retailer, settings):
    """`env:SECRET_KEY` is refused, and one stored before the fix is never resolved: the retailer
    never receives the server's SECRET_KEY."""
    response = create_integration(user, endpoint_url=retailer.url, credentials="env:SECRET_KEY")
    assert response.status_code == 422, response.json()
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "credentials"] and problem["type"] == "value_error"
    assert not ExternalIntegration.objects.exists()
    # A row stored by the old code (the migration clears them; the push must not resolve one either).
    revision = approved_revision(user)
    legacy = ExternalIntegration.objects.create(owner=user, name="Legacy", endpoint_url=retailer.url,
                                                credentials="env:SECRET_KEY")
    ExternalProductMapping.objects.create(product=revision.shot.shooting_look.product, integration=legacy)
    assert client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export").status_code == 200
    run_pushes()
    assert all(settings.SECRET_KEY not in json.dumps(r["headers"]) for r in retailer.requests)
    push = ExternalImagePush.objects.get()
    assert push.push_status == "FAILED" and settings.SECRET_KEY not in push.error_message
    listed = client_for(user).get(f"/api/v1/external-image-pushes/{push.pk}").content.decode()
    assert settings.SECRET_KEY not in listed and "env:" not in listed


def test_credentials_and_callback_secrets_are_never_echoed(user, retailer):
    token = "tok-" + uuid.uuid4().hex
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    # 422s do not repeat them, whichever field is wrong.
    for body in ({"integration_type": "OVS", "credentials": token, "callback_secret": secret},  # no name
                 {"name": "OVS", "integration_type": "OVS", "credentials": token * 300},
                 {"name": "OVS", "integration_type": "OVS", "credentials": token,
                  "callback_secret": "not-a-webhook-secret-" + token}):
        response = client_for(user).post(INTEGRATIONS, body, format="json")
        assert response.status_code == 422, response.json()
        assert token not in response.content.decode() and secret not in response.content.decode()
    created = create_integration(user, endpoint_url=retailer.url, credentials=token, callback_secret=secret)
    assert created.status_code == 200
    integration = ExternalIntegration.objects.get()
    assert integration.credentials.startswith("fernet:") and integration.callback_secret.startswith("fernet:")
    assert reveal(integration.credentials) == token and reveal(integration.callback_secret) == secret
    assert "credentials_reference" not in created.json() and created.json()["has_credentials"] is True
    pages = [created, client_for(user).get(INTEGRATIONS), client_for(user).get(f"{INTEGRATIONS}{integration.pk}"),
             client_for(user).patch(f"{INTEGRATIONS}{integration.pk}", {"name": "Renamed"}, format="json")]
    for page in pages:
        text = page.content.decode()
        assert page.status_code == 200 and token not in text and secret not in text
        assert integration.credentials not in text and integration.callback_secret not in text


def test_the_admin_never_shows_credentials_and_refuses_env_references(client, user, superuser):
    token = "tok-" + uuid.uuid4().hex
    create_integration(user, endpoint_url="https://ovs.example.com", credentials=token)
    integration = ExternalIntegration.objects.get()
    client.force_login(superuser)
    change = reverse("admin:integrations_externalintegration_change", args=[integration.pk])
    for url in (reverse("admin:integrations_externalintegration_changelist"), change):
        html = client.get(url).content.decode()
        assert token not in html and integration.credentials not in html and "env:" not in html
    response = client.post(change, {"name": "OVS", "integration_type": "OVS", "endpoint_url": integration.endpoint_url,
                                    "enabled": "on", "settings": "{}", "new_credentials": "env:SECRET_KEY"})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert ExternalIntegration.objects.get().credentials == integration.credentials


def test_the_data_migration_neutralizes_env_references(user, other_user):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("integrations.migrations.0005_security_issue_10")
    legacy = ExternalIntegration.objects.create(owner=user, name="Legacy", credentials="env:SECRET_KEY",
                                                callback_secret="fernet:old")
    sealed = create_integration(user, credentials="tok").json()
    theirs = ExternalIntegration.objects.create(owner=other_user, name="Theirs")
    revision = approved_revision(user)
    foreign = ExternalImagePush.objects.create(revision=revision, integration=theirs)
    own = ExternalImagePush.objects.create(revision=revision, integration=ExternalIntegration.objects.get(
        pk=sealed["id"]))
    migration.neutralize(apps, None)
    legacy.refresh_from_db()
    assert (legacy.credentials, legacy.enabled) == ("", False)
    kept = ExternalIntegration.objects.get(pk=sealed["id"])
    assert kept.enabled and reveal(kept.credentials) == "tok"
    assert not ExternalImagePush.objects.filter(pk=foreign.pk).exists()
    assert ExternalImagePush.objects.filter(pk=own.pk).exists()


def test_secrets_keys_rotate(user, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.INTEGRATION_SECRETS_KEY = [old]
    create_integration(user, credentials="tok")
    endpoint = client_for(user).post("/api/v1/webhook-endpoints/", {"url": "https://hooks.example.com/in",
                                                                     "events": ["shot.*"]}, format="json").json()
    settings.INTEGRATION_SECRETS_KEY = [new, old]  # the new key encrypts, both decrypt
    assert reveal(ExternalIntegration.objects.get().credentials) == "tok"
    call_command("rotate_integration_secrets", verbosity=0)
    settings.INTEGRATION_SECRETS_KEY = [new]
    integration = ExternalIntegration.objects.get()
    assert reveal(integration.credentials) == "tok" and reveal(integration.callback_secret).startswith("whsec_")
    from sartiq.events.models import WebhookEndpoint

    assert reveal(WebhookEndpoint.objects.get(pk=endpoint["id"]).secret) == endpoint["secret"]  # clients' too
    # Values of earlier versions (key derived from SECRET_KEY): --legacy opens them once.
    settings.INTEGRATION_SECRETS_KEY = []
    create_integration(user, name="Old", credentials="old-tok")
    settings.INTEGRATION_SECRETS_KEY = [new]
    call_command("rotate_integration_secrets", verbosity=0, stderr=io.StringIO())
    with pytest.raises(BusinessRuleError):
        reveal(ExternalIntegration.objects.get(name="Old").credentials)
    call_command("rotate_integration_secrets", "--legacy", verbosity=0)
    assert reveal(ExternalIntegration.objects.get(name="Old").credentials) == "old-tok"


@pytest.mark.parametrize("key, refused", [(None, True), ("not-a-fernet-key", True),
                                          ("Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eHF1dXg=", False)])
def test_production_settings_require_a_dedicated_secrets_key(key, refused):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("INTEGRATION_SECRETS_KEY", "DEBUG")}
    env.update(DATABASE_URL="postgres://sartiq:x@127.0.0.1:1/sartiq", SECRET_KEY="s" * 20 + uuid.uuid4().hex * 2,
               ALLOWED_HOSTS="api.example.com", DJANGO_SETTINGS_MODULE="sartiq.settings")
    if key:
        env["INTEGRATION_SECRETS_KEY"] = key
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True,
                            text=True, timeout=60)
    if refused:
        assert result.returncode != 0 and "INTEGRATION_SECRETS_KEY" in result.stderr
    else:
        assert "INTEGRATION_SECRETS_KEY" not in result.stderr


# --- finding 3: export tenancy -----------------------------------------------------------------------
def test_a_public_products_mapping_of_another_tenant_receives_nothing(user, other_user, superuser, retailer,
                                                                    other_retailer):
    public = ProductFactory(owner=superuser, public=True, sku="PUB-1")
    revision = approved_revision(user, product=public)
    theirs = create_integration(other_user, endpoint_url=other_retailer.url, credentials="b-token").json()
    assert map_product(other_user, public, theirs["id"], style_code="BSTYLE").status_code == 200
    # A has no mapping of its own: B's does not count.
    response = client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")
    assert (response.status_code, response.json()) == (
        400, {"detail": "The product has no mapping to an external integration"})
    ours = create_integration(user, endpoint_url=retailer.url, credentials="a-token").json()
    assert map_product(user, public, ours["id"], style_code="ASTYLE", colour_code="01").status_code == 200
    exported = client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export").json()
    assert (exported["exports_created"], exported["exports_skipped"]) == (1, 0)
    look = client_for(user).post(f"/api/v1/shots/looks/{revision.shot.shooting_look_id}/export").json()
    assert (look["exports_created"], look["exports_skipped"]) == (0, 1)
    run_pushes()
    assert other_retailer.requests == [] and len(retailer.requests) == 1
    assert b"ASTYLE_01" in retailer.requests[0]["raw"] and b"BSTYLE" not in retailer.requests[0]["raw"]
    pushes = client_for(user).get("/api/v1/external-image-pushes/").json()
    assert [p["integration_id"] for p in pushes["data"]] == [ours["id"]]
    detail = client_for(user).get(f"/api/v1/shots/revisions/{revision.pk}").json()
    assert [p["integration_id"] for p in detail["push_records"]] == [ours["id"]]
    assert client_for(user).get(f"/api/v1/products/{public.pk}").json()["integration_name"] == "OVS"
    ExternalIntegration.objects.filter(pk=ours["id"]).update(name="Ours")
    ExternalIntegration.objects.filter(pk=theirs["id"]).update(name="Theirs")
    assert client_for(user).get(f"/api/v1/products/{public.pk}").json()["integration_name"] == "Ours"
    assert client_for(other_user).get(f"/api/v1/products/{public.pk}").json()["integration_name"] == "Theirs"
    # Downloads in the OVS adapter are named by the look's tenant's mapping only.
    client_for(user).put("/api/v1/export-configuration", {"adapter": "OVS"}, format="json")
    ExternalProductMapping.objects.filter(integration_id=ours["id"]).delete()
    disposition = client_for(user).get(f"/api/v1/shots/{revision.shot_id}/download")["Content-Disposition"]
    assert "BSTYLE" not in disposition


def test_organization_exports_use_the_organizations_integrations_only(user, org, retailer, other_retailer):
    """A member's personal integration does not receive the organization's exports, and the other way round."""
    public = ProductFactory(owner=UserFactory(is_superuser=True), public=True)
    personal = create_integration(user, endpoint_url=other_retailer.url).json()
    assert map_product(user, public, personal["id"]).status_code == 200
    shared = create_integration(user, org, endpoint_url=retailer.url).json()
    assert map_product(user, public, shared["id"]).status_code == 200
    revision = approved_revision(user, organization=org, product=public)
    assert client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export").json()["exports_created"] == 1
    run_pushes()
    assert other_retailer.requests == [] and len(retailer.requests) == 1
    assert ExternalImagePush.objects.get().integration_id == uuid.UUID(shared["id"])


def test_mappings_take_products_of_the_integrations_audience_only(user, org, other_user, superuser):
    personal = create_integration(user).json()
    shared = create_integration(user, org).json()
    mine, org_product = ProductFactory(owner=user), ProductFactory(owner=user, organization=org)
    theirs = ProductFactory(owner=other_user)
    public = ProductFactory(owner=superuser, public=True)
    assert map_product(user, theirs, personal["id"]).json() == FORBIDDEN
    # Each refusal says which case it is (issue #17).
    assert map_product(user, org_product, personal["id"]).json() == {"detail": (
        "Product belongs to an organization: a personal resource can use only personal and public ones "
        f"(write this resource in the organization, with organization_id={org.pk})")}
    personal_product = ("Product is personal (made without organization_id): the organization's members cannot see "
                        "it, so the organization's resources cannot use it. To use it there, create it in the "
                        f"organization (with organization_id={org.pk})")
    assert map_product(user, mine, shared["id"]).json() == {"detail": personal_product}
    # A superuser neither: a mapping to a product the integration's tenant cannot use would show it.
    assert map_product(superuser, theirs, shared["id"]).json() == {"detail": personal_product}
    assert map_product(superuser, theirs, personal["id"]).json() == {
        "detail": "Product is another user's personal resource"}
    for product, integration in ((mine, personal), (org_product, shared), (public, personal), (public, shared)):
        assert map_product(user, product, integration["id"]).status_code == 200
    assert ExternalProductMapping.objects.count() == 4


# --- finding 6: integration permissions ----------------------------------------------------------------
def test_only_organization_admins_manage_integrations_and_mappings(user, org, member):
    admin = MembershipFactory(organization=org, role=MembershipRole.ADMIN).user
    assert create_integration(member, org).json() == FORBIDDEN
    assert not ExternalIntegration.objects.exists()
    integration = create_integration(admin, org, endpoint_url="https://ovs.example.com", credentials="tok").json()
    url = f"{INTEGRATIONS}{integration['id']}"
    assert client_for(member).get(url).status_code == 200
    assert client_for(member).get(f"{INTEGRATIONS}?organization_id={org.pk}").json()["count"] == 1
    for method, body in (("patch", {"enabled": False}), ("put", {"name": "Mine"}), ("delete", None)):
        assert getattr(client_for(member), method)(url, body, format="json").json() == FORBIDDEN
    product = ProductFactory(owner=user, organization=org)
    assert map_product(member, product, integration["id"]).json() == FORBIDDEN
    mapping = map_product(admin, product, integration["id"], style_code="S1").json()
    mapping_url = f"{MAPPINGS}{mapping['id']}"
    assert client_for(member).get(mapping_url).status_code == 200
    assert client_for(member).patch(mapping_url, {"style_code": "X"}, format="json").json() == FORBIDDEN
    assert client_for(member).delete(mapping_url).json() == FORBIDDEN
    assert ExternalProductMapping.objects.get().style_code == "S1"
    stored = ExternalIntegration.objects.get()
    assert (stored.name, stored.enabled, stored.endpoint_url) == ("OVS", True, "https://ovs.example.com")
    assert client_for(user).patch(mapping_url, {"style_code": "S2"}, format="json").json()["style_code"] == "S2"
    assert client_for(admin).patch(url, {"enabled": False}, format="json").json()["enabled"] is False
    assert client_for(user).delete(url).json() == {"message": "Integration deleted successfully"}


def test_repointing_an_integration_requires_its_credentials_again(user, org, retailer, other_retailer):
    """An admin who changes `endpoint_url` must send the credentials again: the stored token never
    goes to a new address."""
    integration = create_integration(user, org, endpoint_url=retailer.url, credentials="secret-token").json()
    url = f"{INTEGRATIONS}{integration['id']}"
    response = client_for(user).patch(url, {"endpoint_url": other_retailer.url}, format="json")
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "credentials"]]
    assert ExternalIntegration.objects.get().endpoint_url == retailer.url
    same = client_for(user).patch(url, {"endpoint_url": retailer.url, "name": "Same"}, format="json")
    assert same.status_code == 200  # not a change of address
    moved = client_for(user).patch(url, {"endpoint_url": other_retailer.url, "credentials": "new-token"},
                                   format="json")
    assert moved.status_code == 200 and moved.json()["endpoint_url"] == other_retailer.url
    revision = approved_revision(user, organization=org)
    map_product(user, revision.shot.shooting_look.product, integration["id"])
    client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")
    run_pushes()
    assert retailer.requests == []
    assert [r["headers"]["Authorization"] for r in other_retailer.requests] == ["Bearer new-token"]


def test_the_admin_follows_the_same_rules(client, user, org):
    integration = create_integration(user, org, endpoint_url="https://ovs.example.com", credentials="tok").json()
    change = reverse("admin:integrations_externalintegration_change", args=[integration["id"]])
    form = {"name": "OVS", "integration_type": "OVS", "endpoint_url": "https://evil.example.com", "enabled": "on",
            "settings": "{}"}
    staff_member = UserFactory(is_staff=True, is_superuser=False)
    MembershipFactory(user=staff_member, organization=org, role=MembershipRole.MEMBER)
    from django.contrib.auth.models import Permission

    staff_member.user_permissions.add(*Permission.objects.filter(content_type__app_label="integrations"))
    client.force_login(staff_member)
    page = client.get(change)  # read-only for a member
    assert page.status_code == 200 and 'name="new_credentials"' not in page.content.decode()
    assert client.post(change, {**form, "new_credentials": "mine"}).status_code == 403
    staff_admin = UserFactory(is_staff=True, is_superuser=False)
    MembershipFactory(user=staff_admin, organization=org, role=MembershipRole.ADMIN)
    staff_admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="integrations"))
    client.force_login(staff_admin)
    refused = client.post(change, form)  # a new address without the credentials
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    assert ExternalIntegration.objects.get().endpoint_url == "https://ovs.example.com"
    assert client.post(change, {**form, "new_credentials": "new"}).status_code == 302
    stored = ExternalIntegration.objects.get()
    assert stored.endpoint_url == "https://evil.example.com" and reveal(stored.credentials) == "new"
    # Adding goes through the services too: the owner is the staff user, the secrets are sealed.
    add = reverse("admin:integrations_externalintegration_add")
    added = client.post(add, {**form, "name": "Second", "organization": str(org.pk), "new_credentials": "t2"})
    assert added.status_code == 302, added.content.decode()[:2000]
    second = ExternalIntegration.objects.get(name="Second")
    assert (second.owner, second.organization_id, reveal(second.credentials)) == (staff_admin, org.pk, "t2")
    assert reveal(second.callback_secret).startswith("whsec_")
    product = ProductFactory(owner=user, organization=org)
    mapping_add = reverse("admin:integrations_externalproductmapping_add")
    mapping = {"product": str(product.pk), "integration": str(second.pk), "external_id": "", "extra": "{}"}
    client.force_login(staff_member)
    refused = client.post(mapping_add, mapping)
    assert refused.status_code == 200 and "Not enough permissions" in refused.content.decode()
    delete = reverse("admin:integrations_externalintegration_delete", args=[second.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(staff_admin)
    assert client.post(mapping_add, {**mapping, "style_code": "S9"}).status_code == 302
    assert ExternalProductMapping.objects.get().style_code == "S9"
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ExternalIntegration.objects.filter(name="Second").exists()


# --- finding 14: Standard Webhooks callbacks -----------------------------------------------------------
SECRET = "whsec_" + base64.b64encode(b"retailer-shared-secret-32-bytes!").decode()


@pytest.fixture
def awaiting(user, retailer):
    """A push awaiting the retailer's confirmation, of an integration whose callback secret is SECRET."""
    revision = approved_revision(user)
    integration = create_integration(user, endpoint_url=retailer.url, credentials="tok", callback_secret=SECRET)
    assert integration.status_code == 200, integration.json()
    map_product(user, revision.shot.shooting_look.product, integration.json()["id"])
    client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")
    run_pushes()
    push = ExternalImagePush.objects.get()
    assert push.push_status == "AWAITING_CONFIRMATION"
    return push


def signed(body: dict, *, secret=SECRET, msg_id=None, at=None) -> tuple[bytes, dict]:
    """A callback as a Standard Webhooks sender makes it (signed by the package itself)."""
    data = json.dumps(body)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(tz=timezone.utc)
    signature = Webhook(secret).sign(msg_id, at, data)
    return data.encode(), {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
                           "HTTP_WEBHOOK_SIGNATURE": signature}


def callback(anon, push, body: bytes, headers: dict):
    return anon.post(f"/api/v1/integrations/{push.integration_id}/callback", body, content_type="application/json",
                     **headers)


def test_a_replayed_rejection_does_not_fail_the_push_again(user, anon, awaiting):
    body, headers = signed({"reference": awaiting.external_reference, "status": "rejected", "message": "Blurred"})
    rejected = callback(anon, awaiting, body, headers)
    assert rejected.status_code == 200 and rejected.json()["push_status"] == "FAILED"
    assert client_for(user).post(f"/api/v1/external-image-pushes/{awaiting.pk}/retry").status_code == 200
    run_pushes()
    awaiting.refresh_from_db()
    assert awaiting.push_status == "AWAITING_CONFIRMATION"
    replayed = callback(anon, awaiting, body, headers)  # the captured message, as it was
    assert replayed.status_code == 200 and replayed.json()["changed"] is False
    awaiting.refresh_from_db()
    assert (awaiting.push_status, awaiting.error_message) == ("AWAITING_CONFIRMATION", None)
    body, headers = signed({"idempotency_key": str(awaiting.idempotency_key), "status": "published"})
    assert callback(anon, awaiting, body, headers).json()["push_status"] == "COMPLETED"


def test_unsigned_wrongly_signed_and_stale_callbacks_are_refused(anon, awaiting):
    message = {"reference": awaiting.external_reference, "status": "rejected"}
    body, headers = signed(message)
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    _, wrong = signed(message, secret=other, msg_id=headers["HTTP_WEBHOOK_ID"])
    stale_body, stale = signed(message, at=datetime.now(tz=timezone.utc) - timedelta(minutes=6))
    future_body, future = signed(message, at=datetime.now(tz=timezone.utc) + timedelta(minutes=6))
    refused = [
        callback(anon, awaiting, body, {}),
        callback(anon, awaiting, body, {k: v for k, v in headers.items() if k != "HTTP_WEBHOOK_ID"}),
        callback(anon, awaiting, body, {k: v for k, v in headers.items() if k != "HTTP_WEBHOOK_TIMESTAMP"}),
        callback(anon, awaiting, body, {k: v for k, v in headers.items() if k != "HTTP_WEBHOOK_SIGNATURE"}),
        callback(anon, awaiting, body, {**headers, "HTTP_WEBHOOK_SIGNATURE": wrong["HTTP_WEBHOOK_SIGNATURE"]}),
        callback(anon, awaiting, body, {**headers, "HTTP_WEBHOOK_SIGNATURE": "v1"}),
        callback(anon, awaiting, body, {**headers, "HTTP_WEBHOOK_SIGNATURE": "v1,!!!"}),
        callback(anon, awaiting, body, {**headers, "HTTP_WEBHOOK_TIMESTAMP": "nan"}),
        callback(anon, awaiting, body + b" ", headers),
        callback(anon, awaiting, stale_body, stale),
        callback(anon, awaiting, future_body, future),
        # the old scheme, signed right with the same secret: no timestamp, no id
        callback(anon, awaiting, body, {"HTTP_X_SIGNATURE": "sha256=" + hmac.new(
            SECRET.encode(), body, hashlib.sha256).hexdigest()}),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    awaiting.refresh_from_db()
    assert awaiting.push_status == "AWAITING_CONFIRMATION"
    # An unknown integration answers exactly as a wrong signature does (no oracle of ids).
    unknown = anon.post(f"/api/v1/integrations/{uuid.uuid4()}/callback", body, content_type="application/json",
                        **headers)
    malformed = anon.post("/api/v1/integrations/nope/callback", body, content_type="application/json", **headers)
    assert (unknown.status_code, unknown.json()) == (malformed.status_code, malformed.json()) == (
        refused[4].status_code, refused[4].json())
    # Well signed but malformed: 400 / 422 in the contract's shapes, nothing recorded or changed.
    body, headers = signed({"reference": awaiting.external_reference, "status": "maybe"})
    invalid = callback(anon, awaiting, body, headers)
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "status"]
    not_json, headers_nj = b"{not json", signed({})[1]
    headers_nj["HTTP_WEBHOOK_SIGNATURE"] = Webhook(SECRET).sign(
        headers_nj["HTTP_WEBHOOK_ID"], datetime.now(tz=timezone.utc), not_json.decode())
    assert callback(anon, awaiting, not_json, headers_nj).json() == {"detail": "Body is not JSON"}
    too_deep, headers_td = b"[" * 100_000 + b"]" * 100_000, signed({})[1]  # a RecursionError: was a 500
    headers_td["HTTP_WEBHOOK_SIGNATURE"] = Webhook(SECRET).sign(
        headers_td["HTTP_WEBHOOK_ID"], datetime.now(tz=timezone.utc), too_deep.decode())
    assert callback(anon, awaiting, too_deep, headers_td).json() == {"detail": "Body is not JSON"}
    long_body, long_id = signed({"reference": awaiting.external_reference, "status": "rejected"}, msg_id="x" * 300)
    assert callback(anon, awaiting, long_body, long_id).json() == {"detail": "webhook-id is too long"}
    body, headers = signed({"reference": awaiting.external_reference, "status": "rejected"})
    assert callback(anon, awaiting, body, headers).json()["push_status"] == "FAILED"


def test_callback_secrets_are_standard_webhooks_secrets(user):
    generated = create_integration(user)
    assert generated.status_code == 200
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", reveal(ExternalIntegration.objects.get().callback_secret))
    for bad in ("plain-text-secret", "whsec_", "whsec_!!!!", "whsec_" + base64.b64encode(b"short").decode()):
        response = create_integration(user, callback_secret=bad)
        assert response.status_code == 422, bad
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "callback_secret"]]
    url = f"{INTEGRATIONS}{generated.json()['id']}"
    assert client_for(user).patch(url, {"callback_secret": "nope"}, format="json").status_code == 422
    assert client_for(user).patch(url, {"callback_secret": SECRET}, format="json").status_code == 200
    assert reveal(ExternalIntegration.objects.get().callback_secret) == SECRET


def test_seen_message_ids_are_pruned_after_the_tolerance(anon, awaiting):
    from integrations.models import CallbackMessage
    from integrations.tasks import prune_callback_messages

    body, headers = signed({"reference": awaiting.external_reference, "status": "published"})
    assert callback(anon, awaiting, body, headers).json()["changed"] is True
    assert prune_callback_messages.apply().get() == 0
    CallbackMessage.objects.update(timestamp=datetime.now(tz=timezone.utc) - timedelta(minutes=11))
    assert prune_callback_messages.apply().get() == 1
    assert not CallbackMessage.objects.exists()


def test_a_callbacks_message_is_stored_cleaned(anon, awaiting):
    """The retailer's words reach tenants (the push's error) cleaned like every outbound answer:
    no control characters, bounded length."""
    body, headers = signed({"reference": awaiting.external_reference, "status": "rejected",
                            "message": "\x1b]8;;https://evil.example\x07Blurred\r\n" + "x" * 1500})
    assert callback(anon, awaiting, body, headers).json()["push_status"] == "FAILED"
    awaiting.refresh_from_db()
    assert awaiting.error_message.startswith("Rejected by the retailer: ]8;;https://evil.example Blurred")
    assert not any(ord(c) < 32 for c in awaiting.error_message) and len(awaiting.error_message) < 260

"""An organization's engine override (issue 14): who may read and set it, that its secrets are
stored encrypted and never shown, the fallback to the server's engine, the refusals, and that its
organization's generations run on it (shots/engines.py)."""
import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from conftest import client_for
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.catalog.demo import figure_image, garment_image
from sartiq.catalog.tests.factories import ProductFactory, SubjectBaseImageFactory
from sartiq.media.services import media_create_from_bytes
from sartiq.secrets import reveal, seal
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots import providers
from shots.engines import engine_for, engine_of, server_engine
from shots.models import Generation, OrganizationEngine
from shots.tasks import run_generation
from tests.fake_http import FakeService

pytestmark = pytest.mark.django_db

KEY = "fa-organization-secret-key-0123456789"
WHSEC = "whsec_" + "b3JnYW5pemF0aW9uLXdlYmhvb2stc2VjcmV0LTMyYg=="  # 32 bytes


def url(org) -> str:
    return f"/api/v1/organizations/{org.pk}/engine"


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=MembershipRole.ADMIN).user


@pytest.fixture
def fashn_server(settings):
    """The server runs FASHN on its own key (the brief's "server's engine")."""
    settings.IMAGE_PROVIDER = "fashn"
    settings.FASHN_API_KEY = "server-fashn-key"
    settings.FASHN_MODEL = ""
    settings.IMAGE_PROVIDER_TENANT_MODELS = []
    return settings


def raw_columns(org) -> tuple[str, str]:
    """The stored values as the database holds them (not through the model)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key, webhook_secret FROM shots_organizationengine WHERE organization_id = %s",
                       [org.pk])
        return cursor.fetchone()


# --- tenancy ----------------------------------------------------------------------------------------
def test_members_read_admins_and_owners_write_others_are_refused(user, org, member, admin, other_user, anon):
    body = {"engine": "local"}
    assert client_for(member).get(url(org)).json() == {
        "organization_id": str(org.pk), "engine": None, "model": None, "has_api_key": False,
        "has_webhook_secret": False, "effective_engine": "local", "effective_model": "", "updated_at": None}
    # A member may not set or remove it: 403, and nothing is stored.
    assert client_for(member).put(url(org), body, format="json").status_code == 403
    assert not OrganizationEngine.objects.exists()
    for writer in (admin, user):  # an admin, the owner
        response = client_for(writer).put(url(org), body, format="json")
        assert (response.status_code, response.json()["engine"]) == (200, "local")
        assert OrganizationEngine.objects.get(organization=org).updated_by == writer
    assert client_for(member).get(url(org)).json()["engine"] == "local"
    assert client_for(member).delete(url(org)).status_code == 403
    assert OrganizationEngine.objects.filter(organization=org).exists()
    # Outside the organization: 403 for an existing one (the tenancy rule), 404 for an unknown one.
    for method in ("get", "put", "delete"):
        response = getattr(client_for(other_user), method)(url(org), body, format="json")
        assert (response.status_code, response.json()) == (403, {"detail": "Not enough permissions"})
    made_up = f"/api/v1/organizations/{UserFactory().pk}/engine"
    assert client_for(user).get(made_up).json() == {"detail": "Organization not found"}
    assert anon.get(url(org)).status_code == 401
    assert OrganizationEngine.objects.get(organization=org).engine == "local"
    response = client_for(admin).delete(url(org))
    assert response.json() == {"message": "Organization engine removed: the server's engine serves its shootings"}
    assert not OrganizationEngine.objects.exists()
    assert client_for(admin).delete(url(org)).status_code == 200  # nothing to remove is no error


def test_a_member_demoted_meanwhile_cannot_write(user, org, admin):
    """The role is read under the organization's lock, not from a cached list."""
    client = client_for(admin)
    membership = admin.memberships.get(organization=org)
    membership.role = MembershipRole.MEMBER
    membership.save()
    assert client.put(url(org), {"engine": "local"}, format="json").status_code == 403


# --- secrets ----------------------------------------------------------------------------------------
def test_secrets_are_stored_encrypted_and_never_returned(user, org, member, settings):
    settings.IMAGE_PROVIDER = "local"
    response = client_for(user).put(url(org), {"engine": "replicate", "model": "acme/tryon", "api_key": KEY,
                                               "webhook_secret": WHSEC}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["has_api_key"], response.json()["has_webhook_secret"]) == (True, True)
    api_key, webhook_secret = raw_columns(org)
    assert api_key.startswith("fernet:") and webhook_secret.startswith("fernet:")
    assert KEY not in api_key and WHSEC not in webhook_secret
    assert (reveal(api_key), reveal(webhook_secret)) == (KEY, WHSEC)
    for reader in (user, member):
        text = client_for(reader).get(url(org)).content.decode()
        assert KEY not in text and WHSEC not in text and api_key not in text
    # Nor in a refusal: a 422 about another field does not repeat them.
    refused = client_for(user).put(url(org), {"engine": "midjourney", "api_key": KEY, "webhook_secret": WHSEC},
                                   format="json")
    assert refused.status_code == 422 and KEY not in refused.content.decode() and WHSEC not in refused.content.decode()
    bad_secret = "whsec_not-base64-" + KEY
    refused = client_for(user).put(url(org), {"engine": "replicate", "model": "acme/tryon", "api_key": KEY,
                                              "webhook_secret": bad_secret}, format="json")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "webhook_secret"]
    assert KEY not in refused.content.decode()


def test_an_absent_key_is_kept_null_forgets_it_and_a_new_engine_needs_it_again(user, org, fashn_server):
    client = client_for(user)
    assert client.put(url(org), {"engine": "fashn", "model": "tryon-max", "api_key": KEY},
                      format="json").status_code == 200
    sealed = raw_columns(org)[0]
    # The model changes, the key stays (the same ciphertext: not even re-encrypted).
    assert client.put(url(org), {"engine": "fashn", "model": "tryon-v1.6"}, format="json").json()["has_api_key"]
    assert raw_columns(org)[0] == sealed
    # A PUT is partial, as every PUT of this API: what is left out is kept.
    body = client.put(url(org), {"model": "product-to-model"}, format="json").json()
    assert (body["engine"], body["model"], body["has_api_key"]) == ("fashn", "product-to-model", True)
    assert client.put(url(org), {}, format="json").json()["model"] == "product-to-model"
    assert raw_columns(org)[0] == sealed
    # A key never follows to another engine's account.
    refused = client.put(url(org), {"engine": "replicate", "model": "acme/tryon"}, format="json")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "api_key"]
    assert "requires its api_key again" in refused.json()["detail"][0]["msg"]
    # Switching to an engine that takes none drops it.
    assert not client.put(url(org), {"engine": "local"}, format="json").json()["has_api_key"]
    assert raw_columns(org) == ("", "")
    client.put(url(org), {"engine": "fashn", "api_key": KEY}, format="json")
    body = client.put(url(org), {"engine": "fashn", "api_key": None}, format="json").json()
    assert (body["has_api_key"], body["effective_engine"]) == (False, "fashn")
    assert raw_columns(org) == ("", "")


def test_the_admin_stores_the_key_sealed_and_never_shows_it(client, org, user):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.post(reverse("admin:shots_organizationengine_add"), {
        "organization": str(org.pk), "engine": "replicate", "model": "acme/tryon", "new_api_key": KEY,
        "new_webhook_secret": WHSEC})
    assert response.status_code == 302, response.content.decode()[-2000:]
    override = OrganizationEngine.objects.get(organization=org)
    assert (reveal(override.api_key), reveal(override.webhook_secret), override.updated_by) == (KEY, WHSEC, superuser)
    page = client.get(reverse("admin:shots_organizationengine_change", args=[override.pk])).content.decode()
    assert "the organization&#x27;s (encrypted)" in page or "the organization's (encrypted)" in page
    assert KEY not in page and WHSEC not in page and override.api_key not in page
    # The API's rules on the admin's form: a key for the local renderer is refused, nothing changes.
    response = client.post(reverse("admin:shots_organizationengine_change", args=[override.pk]), {
        "engine": "local", "model": "", "new_api_key": KEY})
    assert response.status_code == 200 and "takes no api_key" in response.content.decode()
    assert OrganizationEngine.objects.get(organization=org).engine == "replicate"


def test_staff_who_are_not_admins_of_the_organization_cannot_change_it(client, org, member):
    from django.contrib.auth.models import Permission

    OrganizationEngine.objects.create(organization=org, engine="local")
    member.is_staff = True
    member.save()
    member.user_permissions.add(*Permission.objects.filter(codename__in=[
        "view_organizationengine", "change_organizationengine", "delete_organizationengine"]))
    client.force_login(member)
    override = OrganizationEngine.objects.get()
    page = client.get(reverse("admin:shots_organizationengine_change", args=[override.pk]))
    assert page.status_code == 200 and 'name="engine"' not in page.content.decode()  # read-only
    client.post(reverse("admin:shots_organizationengine_change", args=[override.pk]), {"engine": "fashn"})
    assert OrganizationEngine.objects.get().engine == "local"
    other = OrganizationEngine.objects.create(organization=MembershipFactory().organization, engine="local")
    assert client.get(reverse("admin:shots_organizationengine_change", args=[other.pk])).status_code == 302


def test_rotation_reencrypts_the_organizations_secrets(user, org, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.INTEGRATION_SECRETS_KEY = [old]
    OrganizationEngine.objects.create(organization=org, engine="fashn", api_key=seal(KEY))
    settings.INTEGRATION_SECRETS_KEY = [new, old]
    call_command("rotate_integration_secrets", verbosity=0, stdout=io.StringIO())
    settings.INTEGRATION_SECRETS_KEY = [new]
    assert reveal(OrganizationEngine.objects.get().api_key) == KEY


# --- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, loc, message", [
    ({"engine": "midjourney"}, "engine", "Input should be 'local', 'fashn', 'replicate' or 'cog'"),
    ({}, "engine", "engine is required"),
    ({"model": "tryon-max"}, "engine", "engine is required"),
    # Engines the server has no credentials for, without the organization's own key.
    ({"engine": "replicate", "model": "acme/tryon"}, "api_key", "serve only its own engine (fashn)"),
    ({"engine": "cog"}, "engine", "The server runs no Cog containers"),
    # The model on the server's account is the operator's choice.
    ({"engine": "fashn", "model": "tryon-max"}, "model", "only the server's model"),
    # Shapes.
    ({"engine": "local", "api_key": KEY}, "api_key", "The local engine takes no api_key"),
    ({"engine": "local", "model": "sdxl"}, "model", "The local engine takes no model"),
    ({"engine": "fashn", "api_key": KEY, "webhook_secret": WHSEC}, "webhook_secret", "only for the replicate engine"),
    ({"engine": "replicate", "model": "a/b", "webhook_secret": WHSEC}, "webhook_secret", "needs the organization's"),
    ({"engine": "replicate", "api_key": KEY, "model": "../../v1/account"}, "model", "owner/name"),
    ({"engine": "replicate", "api_key": KEY}, "model", "The replicate engine needs a model"),
    ({"engine": "fashn", "api_key": KEY, "model": "tryon max"}, "model", "a FASHN model_name"),
])
def test_what_cannot_run_or_was_not_offered_is_refused(user, org, fashn_server, body, loc, message):
    response = client_for(user).put(url(org), body, format="json")
    assert response.status_code == 422, response.content
    error = response.json()["detail"][0]
    assert (error["loc"], message in error["msg"]) == (["body", loc], True), error
    assert not OrganizationEngine.objects.exists()


def test_models_the_operator_offers_may_be_chosen_on_the_servers_account(user, org, fashn_server):
    fashn_server.IMAGE_PROVIDER_TENANT_MODELS = ["fashn:tryon-max", "replicate:acme/tryon"]
    response = client_for(user).put(url(org), {"engine": "fashn", "model": "tryon-max"}, format="json")
    assert response.status_code == 200
    shooting = ShootingFactory(owner=user, organization=org)
    assert engine_for(shooting) == providers.EngineConfig("fashn", "tryon-max", "server-fashn-key",
                                                          fashn_server.FASHN_BASE_URL)


# --- which engine runs ------------------------------------------------------------------------------
def test_the_server_engine_serves_personal_shootings_and_organizations_without_an_override(user, org, fashn_server):
    OrganizationEngine.objects.create(organization=org, engine="fashn", model="tryon-max", api_key=seal(KEY))
    assert engine_for(ShootingFactory(owner=user)) == server_engine()  # personal: the server's
    assert engine_for(ShootingFactory(owner=user, organization=MembershipFactory(user=user).organization)) == \
        server_engine()  # another organization of the same user, without an override
    assert engine_for(ShootingFactory(owner=user, organization=org)) == providers.EngineConfig(
        "fashn", "tryon-max", KEY, fashn_server.FASHN_BASE_URL, account="organization")


def test_an_override_the_server_no_longer_serves_falls_back_to_the_servers_engine(user, org, member, fashn_server):
    fashn_server.IMAGE_PROVIDER_TENANT_MODELS = ["fashn:tryon-max"]
    client_for(user).put(url(org), {"engine": "fashn", "model": "tryon-max"}, format="json")
    shooting = ShootingFactory(owner=user, organization=org)
    assert engine_for(shooting).model == "tryon-max"
    fashn_server.IMAGE_PROVIDER_TENANT_MODELS = []  # the operator withdrew the model
    assert engine_for(shooting) == server_engine()
    fashn_server.IMAGE_PROVIDER = "cog"  # the server moved to its own GPUs
    fashn_server.COG_URL = "http://cog.internal:5000"
    assert engine_for(shooting) == providers.EngineConfig("cog", "", "", "http://cog.internal:5000")
    body = client_for(member).get(url(org)).json()
    assert (body["engine"], body["effective_engine"], body["effective_model"]) == ("fashn", "cog", "")


def test_a_job_is_finished_with_the_credentials_of_the_account_it_runs_on(user, org, fashn_server):
    """`engine_of`: the organization's key and webhook secret for its engine's jobs; the server's
    for a job recorded on another engine (submitted before the override, or after a change)."""
    fashn_server.REPLICATE_API_TOKEN, fashn_server.REPLICATE_WEBHOOK_SECRET = "server-token", "whsec_server"
    OrganizationEngine.objects.create(organization=org, engine="replicate", model="acme/tryon", api_key=seal(KEY),
                                      webhook_secret=seal(WHSEC))
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user, organization=org)))
    ours = Generation.objects.create(shot=shot, provider="replicate", model="acme/tryon:" + "a" * 64,
                                     provider_account="organization")
    assert engine_of(ours) == providers.EngineConfig("replicate", "acme/tryon:" + "a" * 64, KEY,
                                                     fashn_server.REPLICATE_BASE_URL, WHSEC, account="organization")
    # A job submitted on the server's account stays there, whatever the override says since.
    theirs = Generation.objects.create(shot=shot, provider="replicate", model="acme/tryon", provider_account="server")
    assert (engine_of(theirs).api_key, engine_of(theirs).webhook_secret) == ("server-token", "whsec_server")
    OrganizationEngine.objects.filter(organization=org).delete()  # the key on whose account `ours` runs is gone
    with pytest.raises(providers.PermanentProviderError, match="cannot be followed"):
        engine_of(ours)
    earlier = Generation.objects.create(shot=shot, provider="fashn", model="tryon-v1.6")
    assert engine_of(earlier) == providers.EngineConfig("fashn", "tryon-v1.6", "server-fashn-key",
                                                        fashn_server.FASHN_BASE_URL)
    personal = Generation.objects.create(shot=ShotFactory(shooting_look=LookFactory(
        shooting=ShootingFactory(owner=user))), provider="replicate", model="x/y")
    assert engine_of(personal).api_key == "server-token"


def test_undecryptable_credentials_fail_the_generation_with_a_reason_an_admin_can_act_on(user, org, fashn_server):
    OrganizationEngine.objects.create(organization=org, engine="fashn", api_key="fernet:not-a-token")
    with pytest.raises(providers.PermanentProviderError, match="must enter them again"):
        engine_for(ShootingFactory(owner=user, organization=org))


@pytest.fixture
def org_shot(user, org):
    """A shot of an organization's shooting with a subject base image and a product image (what a
    try-on needs)."""
    shooting = ShootingFactory(owner=user, organization=org)
    product = ProductFactory(owner=user, organization=org, name="Linen Shirt", category="tops")
    cover = media_create_from_bytes(owner=user, organization_id=org.pk, data=garment_image("Shirt", (40, 90, 160)))
    product.cover_image_media, product.cover_image_url = cover, cover.url
    product.save()
    look = LookFactory(shooting=shooting, product=product)
    shot = ShotFactory(shooting_look=look)
    base = media_create_from_bytes(owner=user, organization_id=org.pk, data=figure_image("Ava", (176, 120, 98)))
    SubjectBaseImageFactory(subject=look.subject, shot_type=shot.shot_type, image_url=base.url, image_media=base)
    return shot


def test_an_organizations_generation_is_submitted_to_its_engine_with_its_key(user, org, org_shot, fashn_server):
    """Through the worker, against a local server speaking FASHN's `POST /v1/run` and
    `GET /v1/status/{id}` (https://docs.fashn.ai/api-overview/api-fundamentals). Skipped until the
    FASHN provider (shots/providers/fashn.py, written on its own branch) is merged."""
    if providers.FashnProvider.submit is providers.RemoteProvider.submit:
        pytest.skip("the FASHN provider is not merged yet: engine_for's output is checked by the tests above")
    OrganizationEngine.objects.create(organization=org, engine="fashn", model="tryon-max", api_key=seal(KEY))
    with FakeService() as fashn:
        fashn.route("POST /v1/run", lambda request: (200, {"id": "job-org-1", "error": None}, {}))
        fashn.route("GET /v1/status/job-org-1", lambda request: (
            200, {"id": "job-org-1", "status": "failed", "output": [], "error": {"name": "ImageLoadError",
                                                                                  "message": "stop here"}}, {}))
        fashn_server.FASHN_BASE_URL = f"{fashn.url}/v1"
        fashn_server.OUTBOUND_ALLOWED_HOSTS = [fashn.allowed]
        fashn_server.PUBLIC_BASE_URL = ""
        fashn_server.IMAGE_PROVIDER_POLL_INTERVAL = 0.01
        generation = Generation.objects.create(shot=org_shot, requested_by=user)
        run_generation.apply(args=[str(generation.pk)])
    submitted = [r for r in fashn.requests if r["method"] == "POST"]
    assert len(submitted) == 1
    assert submitted[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert submitted[0]["body"]["model_name"] == "tryon-max"
    generation.refresh_from_db()
    assert (generation.provider, generation.model, generation.provider_job_id) == ("fashn", "tryon-max", "job-org-1")
    assert "server-fashn-key" not in json.dumps([r["headers"] for r in fashn.requests])


# --- the query count ----------------------------------------------------------------------------------
def test_reading_the_engine_is_a_constant_number_of_queries(user, org, query_counts):
    client = client_for(user)
    # The token's user; the organization with its override (one join); the caller's memberships.
    expected = {url(org): 3}
    without = {url(org): query_counts.measure(client, url(org))}
    OrganizationEngine.objects.create(organization=org, engine="fashn", api_key=seal(KEY))
    query_counts.check(expected, without, {url(org): query_counts.measure(client, url(org))})


def test_the_engine_choices_are_the_servers_engines(settings):
    from shots.choices import Engine

    assert tuple(Engine.values) == settings.IMAGE_PROVIDERS == tuple(providers.PROVIDERS)

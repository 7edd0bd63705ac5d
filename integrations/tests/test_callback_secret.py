"""The integration's callback secret (issue #17): made by the server, it is shown once, in the
answer of the creation and of each rotation, and never again; the retailer signs its callbacks
with it; after a rotation the secret before is still accepted for WEBHOOK_SECRET_GRACE."""
import re

import pytest

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration
from integrations.secrets import reveal
from integrations.tests.test_security import (
    INTEGRATIONS,
    SECRET,
    approved_revision,
    callback,
    create_integration,
    map_product,
    retailer,  # noqa: F401 (fixture)
    run_pushes,
    signed,
)
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
WHSEC = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")


def awaiting_push(user, integration_id):
    revision = approved_revision(user)
    map_product(user, revision.shot.shooting_look.product, integration_id)
    client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")
    run_pushes()
    push = ExternalImagePush.objects.get(revision=revision)
    assert push.push_status == "AWAITING_CONFIRMATION"
    return push


def confirm(anon, push, secret):
    body, headers = signed({"reference": push.external_reference, "status": "published"}, secret=secret)
    return callback(anon, push, body, headers)


def test_the_generated_secret_is_shown_once_and_signs_the_callbacks(user, anon, retailer):  # noqa: F811
    created = create_integration(user, endpoint_url=retailer.url, credentials="tok")
    assert created.status_code == 200, created.json()
    secret = created.json()["callback_secret"]
    assert WHSEC.fullmatch(secret)
    integration = ExternalIntegration.objects.get()
    assert reveal(integration.callback_secret) == secret and integration.callback_secret != secret  # sealed
    # Never again: not in the reads, not in an update's answer.
    for page in (client_for(user).get(INTEGRATIONS), client_for(user).get(f"{INTEGRATIONS}{integration.pk}"),
                 client_for(user).patch(f"{INTEGRATIONS}{integration.pk}", {"name": "Renamed"}, format="json")):
        assert page.status_code == 200 and secret not in page.content.decode()
        assert "callback_secret" not in (page.json()["data"][0] if "data" in page.json() else page.json())
    push = awaiting_push(user, integration.pk)
    confirmed = confirm(anon, push, secret)
    assert confirmed.status_code == 200 and confirmed.json()["push_status"] == "COMPLETED"


def test_a_secret_the_client_gave_is_not_repeated(user):
    created = create_integration(user, callback_secret=SECRET)
    assert created.status_code == 200 and created.json()["callback_secret"] is None
    assert SECRET not in created.content.decode()


def test_rotation_shows_the_new_secret_and_accepts_the_old_one_for_the_grace(user, anon, retailer, settings):  # noqa: F811
    old = create_integration(user, endpoint_url=retailer.url, credentials="tok").json()
    push = awaiting_push(user, old["id"])
    rotated = client_for(user).post(f"{INTEGRATIONS}{old['id']}/rotate-callback-secret")
    assert rotated.status_code == 200, rotated.json()
    new = rotated.json()["callback_secret"]
    assert WHSEC.fullmatch(new) and new != old["callback_secret"]
    assert rotated.json()["previous_callback_secret_expires_at"] is not None
    assert reveal(ExternalIntegration.objects.get().callback_secret) == new
    # The retailer has not switched yet: its callbacks signed with the old secret still count.
    assert confirm(anon, push, old["callback_secret"]).json()["push_status"] == "COMPLETED"

    settings.WEBHOOK_SECRET_GRACE = 0
    again = client_for(user).post(f"{INTEGRATIONS}{old['id']}/rotate-callback-secret").json()["callback_secret"]
    second = awaiting_push(user, old["id"])
    refused = confirm(anon, second, new)  # the secret before, its grace over
    assert refused.status_code == 401 and refused.json() == {"detail": "Invalid webhook: No matching signature found"}
    assert confirm(anon, second, again).json()["push_status"] == "COMPLETED"


def test_only_the_organizations_admins_rotate(user, org):
    created = create_integration(user, organization=org).json()
    member = MembershipFactory(organization=org, role=MembershipRole.MEMBER).user
    url = f"{INTEGRATIONS}{created['id']}/rotate-callback-secret"
    before = ExternalIntegration.objects.get().callback_secret
    assert client_for(member).post(url).status_code == 403
    stranger = MembershipFactory(role=MembershipRole.OWNER).user
    assert client_for(stranger).post(url).status_code == 403
    assert ExternalIntegration.objects.get().callback_secret == before
    assert client_for(user).post(f"{INTEGRATIONS}00000000-0000-0000-0000-000000000000/rotate-callback-secret"
                                 ).status_code == 404

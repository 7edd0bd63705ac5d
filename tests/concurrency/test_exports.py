"""Issue #11: exporting a revision and its look at the same moment answered 500 in 10 of 15 runs
(a duplicate key on the push uniqueness constraint, or a deadlock). Every export of one look now
waits for the others (the look's row is locked first, then its shots in a fixed order): each
answer is 200, and each revision goes once to each integration.
"""
import pytest

from conftest import client_for
from integrations import services
from integrations.models import ExternalImagePush, ExternalProductMapping
from sartiq.accounts.tests.factories import UserFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def mapped_look(shots: int = 1, integrations: int = 1):
    """A look whose shots each have an APPROVED current revision, its product mapped to
    `integrations` retailer integrations of the look's owner."""
    user = UserFactory()
    look = LookFactory(shooting=ShootingFactory(owner=user))
    revisions = [add_revision(ShotFactory(shooting_look=look), "APPROVED") for _ in range(shots)]
    for index in range(integrations):
        integration = services.integration_create(user=user, organization_id=None, data={
            "name": f"OVS {index}", "integration_type": "OVS", "endpoint_url": "https://ovs.example.com/api",
            "credentials": "token"})
        ExternalProductMapping.objects.create(product=look.product, integration=integration, style_code="S1")
    return user, look, revisions


def export_revision(user, revision):
    return lambda: client_for(user).post(f"/api/v1/shots/revisions/{revision.pk}/export")


def export_look(user, look):
    return lambda: client_for(user).post(f"/api/v1/shots/looks/{look.pk}/export")


def created(response) -> int:
    return response.json()["exports_created"]


def test_a_revision_and_its_look_exported_at_once():
    for round_ in range(ROUNDS):
        user, look, [revision] = mapped_look()
        responses = at_once(export_revision(user, revision), export_look(user, look))
        assert statuses(responses) == [200, 200], f"round {round_}"
        assert sum(created(r) for r in responses) == 1  # one of them made the push, the other skipped it
        assert ExternalImagePush.objects.filter(revision=revision).count() == 1


def test_every_revision_of_a_look_and_the_look_exported_at_once():
    """Several revisions and the look, to several integrations: the lock order must hold for
    every pair (a look export walks the shots while revision exports hold some of them)."""
    for round_ in range(ROUNDS):
        user, look, revisions = mapped_look(shots=3, integrations=2)
        requests = [export_look(user, look), *(export_revision(user, r) for r in reversed(revisions)),
                    export_look(user, look)]
        responses = at_once(*requests)
        assert statuses(responses) == [200] * len(requests), f"round {round_}"
        assert sum(created(r) for r in responses) == 6
        assert ExternalImagePush.objects.filter(revision__in=revisions).count() == 6


def test_the_same_revision_exported_twice_at_once():
    for round_ in range(ROUNDS):
        user, look, [revision] = mapped_look(integrations=2)
        responses = at_once(export_revision(user, revision), export_revision(user, revision))
        assert statuses(responses) == [200, 200], f"round {round_}"
        assert sorted(created(r) for r in responses) == [0, 2]
        assert ExternalImagePush.objects.filter(revision=revision).count() == 2

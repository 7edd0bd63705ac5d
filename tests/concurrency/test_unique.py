"""Requests that would both take something unique, at the same moment: the first takes it, the
second gets the refusal it would get one after the other, never an IntegrityError (a 500).
Each service checked first and inserted after, without a lock or a guard on the insert."""
import pytest

from conftest import client_for
from integrations.models import ExternalIntegration, ExternalProductMapping
from sartiq.accounts.models import User
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.models import SubjectBaseImage
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from shootings.tests.factories import LookFactory, ShootingFactory
from shots.models import Shot
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def post(user, url, body):
    return lambda: client_for(user).post(url, body, format="json")


def patch(user, url, body):
    return lambda: client_for(user).patch(url, body, format="json")


def test_two_shots_of_one_shot_type_for_one_look():
    for round_ in range(ROUNDS):
        user = UserFactory()
        look = LookFactory(shooting=ShootingFactory(owner=user))
        body = {"shooting_look_id": str(look.pk), "shot_type_id": str(ShotTypeFactory(owner=user).pk)}
        responses = at_once(post(user, "/api/v1/shots", body), post(user, "/api/v1/shots", body))
        assert sorted(statuses(responses)) == [200, 400], f"round {round_}: {statuses(responses)}"
        assert Shot.objects.filter(shooting_look=look).count() == 1


def test_the_same_product_mapped_twice_at_once():
    for round_ in range(ROUNDS):
        user = UserFactory()
        integration = ExternalIntegration.objects.create(owner=user, name="OVS")
        body = {"product_id": str(ProductFactory(owner=user).pk), "integration_id": str(integration.pk)}
        url = "/api/v1/external-product-mappings/"
        responses = at_once(post(user, url, body), post(user, url, body))
        assert sorted(statuses(responses)) == [200, 400], f"round {round_}: {statuses(responses)}"
        assert ExternalProductMapping.objects.filter(integration=integration).count() == 1


def test_two_users_taking_the_same_email_at_once():
    for round_ in range(ROUNDS):
        first, second = UserFactory(), UserFactory()
        email = f"taken-{round_}@example.com"
        responses = at_once(patch(first, "/api/v1/users/me", {"email": email}),
                            patch(second, "/api/v1/users/me", {"email": email}))
        assert sorted(statuses(responses)) == [200, 409], f"round {round_}: {statuses(responses)}"
        assert User.objects.filter(email=email).count() == 1


def test_a_subjects_base_images_replaced_twice_at_once():
    """Nested lists are replaced (deleted, then inserted): two at once inserted the same
    (subject, shot type) base image twice."""
    for round_ in range(ROUNDS):
        user = UserFactory()
        subject = SubjectFactory(owner=user)
        shot_type = ShotTypeFactory(owner=user)
        body = {"base_images": [{"shot_type_id": str(shot_type.pk), "image_url": "https://cdn.example.com/a.png"}]}
        url = f"/api/v1/subjects/{subject.pk}"
        responses = at_once(patch(user, url, body), patch(user, url, body))
        assert statuses(responses) == [200, 200], f"round {round_}: {statuses(responses)}"
        assert SubjectBaseImage.objects.filter(subject=subject).count() == 1

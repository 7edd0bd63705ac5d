"""Choosing a look's outfit twice at the same moment: the second choice sees the first (whose
choice deleted the other proposals) instead of pointing the look at a deleted outfit, which
failed at commit with a foreign-key error (a 500)."""
import pytest

from conftest import client_for
from outfits.models import Outfit
from sartiq.accounts.tests.factories import UserFactory
from shootings.models import ShootingLook
from shootings.tests.factories import LookFactory, ShootingFactory
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def finalize(user, look, outfit):
    return lambda: client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/finalize-outfit",
                                         {"outfit_id": str(outfit.pk)}, format="json")


def test_two_proposals_finalized_at_once():
    for round_ in range(ROUNDS):
        user = UserFactory()
        look = LookFactory(shooting=ShootingFactory(owner=user))
        proposals = [Outfit.objects.create(shooting_look=look, source="STYLIST", generation_status="COMPLETED")
                     for _ in range(2)]
        responses = at_once(*(finalize(user, look, p) for p in proposals))
        assert sorted(statuses(responses)) == [200, 404], f"round {round_}: {statuses(responses)}"
        [kept] = Outfit.objects.filter(shooting_look=look)
        assert ShootingLook.objects.get(pk=look.pk).outfit_id == kept.pk

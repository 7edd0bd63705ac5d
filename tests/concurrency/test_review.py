"""Approvals, rejections and look changes racing on one shot: each request sees the state the
other left, every answer is one a user could get sending them one after the other, never a 500.

Before the tree was locked top-down (shootings/locking.py), an approval locked its shot and then
the look, while changing the look's shot types locked the look and then deleted the shot: the
two could wait for each other, and PostgreSQL ended the tie with a deadlock error (a 500).
"""
import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.tests.factories import ShotTypeFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Shot
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def shot_in_review(rework=1):
    user = UserFactory()
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user)), rework_available=rework)
    add_revision(shot, "REVIEW")
    return user, shot


def approve(user, shot):
    return lambda: client_for(user).post(f"/api/v1/shots/{shot.pk}/approve")


def reject(user, shot):
    return lambda: client_for(user).post(f"/api/v1/shots/{shot.pk}/reject", {"notes": "no"}, format="json")


def drop_other_shot_types(user, look, keep):
    return lambda: client_for(user).put(f"/api/v1/shootings/{look.shooting_id}/looks/{look.pk}",
                                        {"shot_type_ids": [str(keep.pk)]}, format="json")


def test_approve_and_reject_of_one_shot_at_once():
    for round_ in range(ROUNDS):
        user, shot = shot_in_review()
        approved, rejected = at_once(approve(user, shot), reject(user, shot))
        assert sorted(statuses([approved, rejected])) == [200, 400], f"round {round_}"
        shot = Shot.objects.select_related("current_revision").get(pk=shot.pk)
        if approved.status_code == 200:  # the approval went first; the rejection found it APPROVED
            assert rejected.json() == {"detail": "A shot in status APPROVED cannot be rejected"}
            assert (shot.current_revision.shot_status, shot.rework_used, shot.rework_available) == ("APPROVED", 0, 1)
        else:
            assert approved.json() == {"detail": "A shot in status REJECTED cannot be approved"}
            assert (shot.current_revision.shot_status, shot.rework_used, shot.rework_available) == ("REJECTED", 1, 0)


def test_two_rejections_of_one_shot_use_one_rework():
    for round_ in range(ROUNDS):
        user, shot = shot_in_review(rework=2)
        responses = at_once(reject(user, shot), reject(user, shot))
        assert sorted(statuses(responses)) == [200, 400], f"round {round_}"
        shot.refresh_from_db()
        assert (shot.rework_used, shot.rework_available) == (1, 1)


def test_approving_a_shot_while_its_look_drops_the_shot_type():
    for round_ in range(ROUNDS):
        user, shot = shot_in_review()
        look = shot.shooting_look
        keep = ShotTypeFactory(owner=user)
        approved, changed = at_once(approve(user, shot), drop_other_shot_types(user, look, keep))
        assert changed.status_code == 200 and approved.status_code in (200, 404), \
            f"round {round_}: {statuses([approved, changed])}"
        assert list(Shot.objects.filter(shooting_look=look).values_list("shot_type_id", flat=True)) == [keep.pk]

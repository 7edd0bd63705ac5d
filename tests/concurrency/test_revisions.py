"""Revisions created, deleted and restored at the same moment: versions are unique, increase, and
are never given twice, even when a deletion frees the highest one (issue #11)."""
import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import UserFactory
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import Shot, ShotRevision
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def new_shot():
    user = UserFactory()
    return user, ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def create(user, shot):
    return lambda: client_for(user).post(f"/api/v1/shots/{shot.pk}/revision",
                                         {"shot_status": "PROPOSAL", "images": []}, format="json")


def test_parallel_revision_requests_get_distinct_increasing_versions():
    user, shot = new_shot()
    responses = at_once(*(create(user, shot) for _ in range(8)))
    assert statuses(responses) == [200] * 8
    versions = sorted(ShotRevision.objects.filter(shot=shot).values_list("version", flat=True))
    assert versions == list(range(1, 9))
    # Each new revision followed the one current when it was made: a single chain.
    previous = set(ShotRevision.objects.filter(shot=shot).values_list("previous_revision_id", flat=True))
    assert len(previous) == 8
    assert Shot.objects.get(pk=shot.pk).current_revision.version == 8


def delete(user, revision):
    return lambda: client_for(user).delete(f"/api/v1/shots/revisions/{revision.pk}")


def test_a_version_freed_by_a_deletion_at_the_same_moment_is_not_given_again():
    for round_ in range(ROUNDS):
        user, shot = new_shot()
        given = [create(user, shot)().json()["version"] for _ in range(2)]
        latest = ShotRevision.objects.get(shot=shot, version=2)
        responses = at_once(create(user, shot), delete(user, latest), create(user, shot))
        assert statuses(responses) in ([200, 204, 200], [200, 409, 200]), f"round {round_}"
        given += [responses[0].json()["version"], responses[2].json()["version"]]
        given += [create(user, shot)().json()["version"]]
        assert sorted(given) == [1, 2, 3, 4, 5], f"round {round_}: {given}"  # none given twice

"""Generations started at the same moment, and run by several workers at once: every start is
answered, every generation is recorded once and run once, and the revisions they make get
distinct versions."""
import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.tests.factories import ShotTypeFactory, SubjectBaseImageFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.models import Generation, ShotRevision
from shots.tasks import run_generation
from tests.concurrency.race import at_once, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


@pytest.fixture
def look():
    user = UserFactory()
    look = LookFactory(shooting=ShootingFactory(owner=user))
    for name in ("Front", "Side"):
        shot_type = ShotTypeFactory(owner=user, name=name, view_angle=name.upper())
        ShotFactory(shooting_look=look, shot_type=shot_type)
        SubjectBaseImageFactory(subject=look.subject, shot_type=shot_type)
    look.user = user
    return look


def test_parallel_starts_record_every_generation_and_workers_run_each_once(look):
    client = lambda: client_for(look.user)  # noqa: E731
    shot = look.shots.order_by("pk").first()
    starts = [lambda: client().post(f"/api/v1/shootings/looks/{look.pk}/start-generations",
                                    {"generations_per_shot_type": 2}, format="json")] * 3
    starts += [lambda: client().post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 1}, format="json")] * 3
    responses = at_once(*starts)
    assert statuses(responses) == [200] * 6
    ids = [pk for r in responses[:3] for pk in r.json()["generation_ids"]]
    ids += [pk for r in responses[3:] for pk in r.json()["generation_ids"]]
    assert len(ids) == len(set(ids)) == 3 * 2 * 2 + 3 == Generation.objects.count()

    # Six workers take the fifteen generations at once, each also taking the others' (a message
    # delivered twice): every generation is run exactly once.
    outcomes = at_once(*(lambda i=i: [run_generation.apply(args=[pk]).get() for pk in ids[i:] + ids[:i]]
                         for i in range(6)))
    assert not any(isinstance(o, Exception) or not isinstance(o, list) for o in outcomes), outcomes
    assert sum(result == "completed" for o in outcomes for result in o) == 15
    assert set(Generation.objects.values_list("status", flat=True)) == {"COMPLETED"}
    for shot in look.shots.all():
        versions = sorted(ShotRevision.objects.filter(shot=shot).values_list("version", flat=True))
        assert versions == list(range(1, len(versions) + 1)) and len(versions) == shot.generations.count()

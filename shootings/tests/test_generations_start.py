"""Starting generations for a look: records now, work in the background."""
import uuid

import pytest

from conftest import client_for
from sartiq.catalog.tests.factories import ShotTypeFactory, SubjectBaseImageFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.models import Generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def look(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    front = ShotTypeFactory(owner=user, name="Front", view_angle="FRONT")
    back = ShotTypeFactory(owner=user, name="Back", view_angle="BACK")
    side = ShotTypeFactory(owner=user, name="Side", view_angle="SIDE")
    for shot_type in (front, back, side):
        ShotFactory(shooting_look=look, shot_type=shot_type)
    for shot_type in (front, back):  # no base image for the side view
        SubjectBaseImageFactory(subject=look.subject, shot_type=shot_type)
    look.types = {"front": front, "back": back, "side": side}
    return look


def test_start_generations_skips_back_views_and_shots_without_base_images(user, look,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/start-generations",
                                         {"generations_per_shot_type": 3}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert body["look_id"] == str(look.pk) and body["generations_per_shot_type"] == 3
    generations = Generation.objects.filter(pk__in=body["generation_ids"])
    assert generations.count() == 3
    assert {g.shot.shot_type_id for g in generations} == {look.types["front"].pk}
    assert {g.status for g in generations} == {"PENDING"}
    assert len(callbacks) == 1


def test_start_generations_body_is_optional(user, look):
    response = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/start-generations")
    assert response.status_code == 200
    assert len(response.json()["generation_ids"]) == 1


@pytest.mark.parametrize("count", [0, 11, "x"])
def test_generation_counts_outside_1_to_10_are_422(user, look, count):
    for url, body in [("start-generations", {"generations_per_shot_type": count}),
                      ("start-shot-type-generations", {"shot_type_id": str(look.types["front"].pk),
                                                       "generations_count": count})]:
        response = client_for(user).post(f"/api/v1/shootings/looks/{look.pk}/{url}", body, format="json")
        assert response.status_code == 422
    assert not Generation.objects.exists()


def test_start_shot_type_generations(user, look):
    client = client_for(user)
    url = f"/api/v1/shootings/looks/{look.pk}/start-shot-type-generations"
    body = client.post(url, {"shot_type_id": str(look.types["front"].pk), "generations_count": 2}, format="json").json()
    assert len(body["generation_ids"]) == 2 and body["shot_type_id"] == str(look.types["front"].pk)
    for skipped in ("back", "side"):
        body = client.post(url, {"shot_type_id": str(look.types[skipped].pk)}, format="json").json()
        assert body["generation_ids"] == [] and body["message"].startswith("Skipped")
    assert client.post(url, {"shot_type_id": str(uuid.uuid4())}, format="json").status_code == 404
    unused = ShotTypeFactory(owner=user)
    assert client.post(url, {"shot_type_id": str(unused.pk)}, format="json").status_code == 400
    assert client.post(url, {}, format="json").json()["detail"][0]["loc"] == ["body", "shot_type_id"]
    assert Generation.objects.count() == 2


def test_only_those_who_may_change_the_look_start_generations(other_user, look):
    response = client_for(other_user).post(f"/api/v1/shootings/looks/{look.pk}/start-generations")
    assert response.status_code == 403
    assert not Generation.objects.exists()

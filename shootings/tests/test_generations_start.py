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


# --- why a shot cannot be generated, and what to do (issue #17) -----------------------------------
def test_a_shot_that_cannot_be_generated_says_which_cause_and_what_to_do(user, look):
    client = client_for(user)
    shots = {kind: look.shots.get(shot_type=shot_type) for kind, shot_type in look.types.items()}
    back = client.post(f"/api/v1/shots/{shots['back'].pk}/generate", {"generations_count": 1}, format="json")
    assert (back.status_code, back.json()) == (400, {"detail": (
        "The shot cannot be generated: its shot type 'Back' is a back view, which the image engines do not "
        f"render: upload the image as a revision (POST /api/v1/shots/{shots['back'].pk}/revision)")})
    side = client.post(f"/api/v1/shots/{shots['side'].pk}/generate", {"generations_count": 1}, format="json")
    assert (side.status_code, side.json()) == (400, {"detail": (
        f"The shot cannot be generated: the subject {look.subject.name!r} has no base image for the shot type "
        f"'Side': add one (PATCH /api/v1/subjects/{look.subject.pk} with base_images: the list replaces the "
        f"subject's, so send the ones it has and one for shot_type_id {look.types['side'].pk}), or upload the "
        f"image as a revision (POST /api/v1/shots/{shots['side'].pk}/revision)")})
    assert not Generation.objects.exists()


def test_a_look_without_subject_says_so(user, look):
    look.subject = None
    look.save()
    front = look.shots.get(shot_type=look.types["front"])
    response = client_for(user).post(f"/api/v1/shots/{front.pk}/generate", {"generations_count": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"The shot cannot be generated: its look has no subject: give the look one (PUT /api/v1/shootings/"
        f"{look.shooting_id}/looks/{look.pk} with subject_id), or upload the image as a revision "
        f"(POST /api/v1/shots/{front.pk}/revision)")


def test_the_look_level_starts_name_each_skipped_shot_and_why(user, look):
    client = client_for(user)
    body = client.post(f"/api/v1/shootings/looks/{look.pk}/start-generations", format="json").json()
    assert body["message"].startswith("Started 1 generation(s); skipped 2 shot(s): 'Back': its shot type 'Back' "
                                      "is a back view")
    assert "'Side': the subject" in body["message"] and "has no base image for the shot type 'Side'" in body["message"]
    url = f"/api/v1/shootings/looks/{look.pk}/start-shot-type-generations"
    side = client.post(url, {"shot_type_id": str(look.types["side"].pk)}, format="json").json()
    assert side["message"].startswith("Skipped: 'Side': the subject")

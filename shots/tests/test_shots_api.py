"""Shots: create, list (every filter), read, update, delete; approve and reject (contract §3)."""
import json
import uuid
from pathlib import Path

import pytest

from conftest import client_for
from sartiq.catalog.tests.factories import ShotTypeFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, Shot, ShotRevision

pytestmark = pytest.mark.django_db
REFERENCE = json.loads((Path(__file__).resolve().parents[2] / "tests/reference/openapi-reference.json").read_text())
FORBIDDEN = {"detail": "Not enough permissions"}


def fields(component):
    return set(REFERENCE["components"]["schemas"][component]["properties"])


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def test_shapes(user, shot):
    add_revision(shot, "REVIEW")
    client = client_for(user)
    body = client.get(f"/api/v1/shots/{shot.pk}").json()
    assert fields("ShotPublic") <= set(body)
    assert fields("ShotTypePublic") <= set(body["shot_type"])
    assert fields("ShotRevisionPublic") <= set(body["revisions"][0])
    assert fields("ShotRevisionImagePublic") <= set(body["revisions"][0]["images"][0])
    assert body["status"] == "REVIEW" and body["current_revision_id"] == body["revisions"][0]["id"]
    page = client.get("/api/v1/shots/").json()
    assert fields("ShotsPublic") <= set(page) and page["count"] == 1


def test_create_one_shot_per_shot_type(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    shot_type = ShotTypeFactory(owner=user)
    client = client_for(user)
    created = client.post("/api/v1/shots/", {"shooting_look_id": str(look.pk), "shot_type_id": str(shot_type.pk)},
                          format="json")
    assert created.status_code == 200
    body = created.json()
    assert (body["status"], body["rework_available"], body["rework_used"], body["revisions"]) == ("PENDING", 2, 0, [])
    again = client.post("/api/v1/shots/", {"shooting_look_id": str(look.pk), "shot_type_id": str(shot_type.pk)},
                        format="json")
    assert (again.status_code, again.json()) == (400, {"detail": "The look already has a shot of this shot type"})
    assert client.post("/api/v1/shots/", {"shooting_look_id": str(uuid.uuid4())}, format="json").json() == {
        "detail": "Look not found"}
    assert client.post("/api/v1/shots/", {}, format="json").json()["detail"][0]["loc"] == ["body", "shooting_look_id"]
    assert Shot.objects.count() == 1


def test_list_filters(user):
    shooting = ShootingFactory(owner=user)
    a = ShotFactory(shooting_look__shooting=shooting)
    b = ShotFactory(shooting_look__shooting=shooting)
    c = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    add_revision(a, "APPROVED")
    add_revision(b, "REVIEW")
    Generation.objects.create(shot=b)
    client = client_for(user)

    def found(query):
        response = client.get(f"/api/v1/shots/?{query}")
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["data"]}

    assert found("") == {str(a.pk), str(b.pk), str(c.pk)}
    assert found(f"shooting_id={shooting.pk}") == {str(a.pk), str(b.pk)}
    assert found(f"shooting_look_id={a.shooting_look_id}") == {str(a.pk)}
    assert found(f"product_id={b.shooting_look.product_id}") == {str(b.pk)}
    assert found(f"shot_type={c.shot_type_id}") == {str(c.pk)}
    assert found("status=APPROVED") == {str(a.pk)}
    assert found("status=PENDING&status=REVIEW") == {str(b.pk), str(c.pk)}
    assert found("has_generations=true") == {str(b.pk)}
    assert found("has_generations=false") == {str(a.pk), str(c.pk)}
    assert client.get("/api/v1/shots/?status=DONE").status_code == 422


def test_tenancy(user, org, member, other_user, superuser):
    personal = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    shared = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user, organization=org))
    ids = lambda c, q="": {s["id"] for s in c.get(f"/api/v1/shots/{q}").json()["data"]}  # noqa: E731
    assert ids(client_for(user)) == {str(personal.pk)}
    assert ids(client_for(member), f"?organization_id={org.pk}") == {str(shared.pk)}
    assert client_for(other_user).get(f"/api/v1/shots/?organization_id={org.pk}").json() == FORBIDDEN
    assert ids(client_for(superuser)) == {str(personal.pk), str(shared.pk)}
    assert client_for(other_user).get(f"/api/v1/shots/{personal.pk}").json() == FORBIDDEN
    assert client_for(member).patch(f"/api/v1/shots/{shared.pk}", {"rework_available": 5}, format="json").status_code == 200
    for method in ("patch", "put", "delete"):
        response = getattr(client_for(other_user), method)(f"/api/v1/shots/{shared.pk}", {"rework_used": 1},
                                                           format="json")
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert client_for(other_user).post(f"/api/v1/shots/{personal.pk}/approve").status_code == 403
    assert client_for(user).get(f"/api/v1/shots/{uuid.uuid4()}").json() == {"detail": "Shot not found"}


def test_update_current_revision_only_to_one_of_the_shot(user, shot):
    first = add_revision(shot, "REJECTED")
    add_revision(shot, "PROPOSAL")
    other = add_revision(ShotFactory(shooting_look=shot.shooting_look), "APPROVED")
    client = client_for(user)
    body = client.put(f"/api/v1/shots/{shot.pk}", {"current_revision_id": str(first.pk)}, format="json").json()
    assert (body["current_revision_id"], body["status"]) == (str(first.pk), "REJECTED")
    refused = client.patch(f"/api/v1/shots/{shot.pk}", {"current_revision_id": str(other.pk)}, format="json")
    assert (refused.status_code, refused.json()) == (400, {"detail": "current_revision_id is not a revision of this shot"})
    assert client.patch(f"/api/v1/shots/{shot.pk}", {"current_revision_id": str(uuid.uuid4())},
                        format="json").status_code == 404
    negative = client.patch(f"/api/v1/shots/{shot.pk}", {"rework_used": -1}, format="json")
    assert negative.status_code == 422
    shot.refresh_from_db()
    assert (shot.current_revision_id, shot.rework_used) == (first.pk, 0)


def test_delete_answers_the_deleted_shot(user, shot):
    add_revision(shot, "APPROVED")
    response = client_for(user).delete(f"/api/v1/shots/{shot.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == str(shot.pk) and response.json()["status"] == "APPROVED"
    assert not Shot.objects.exists() and not ShotRevision.objects.exists()


# (status before, approve result, reject result): a status, or an HTTP error code
TRANSITIONS = [
    (None, 400, 400),  # PENDING: no revision
    ("PENDING", 400, 400),
    ("PROPOSAL", "APPROVED", "REJECTED"),
    ("REVIEW", "APPROVED", "REJECTED"),
    ("POST_PROD", "APPROVED", "POST_PROD_REJECTED"),
    ("REJECTED", 400, 400),
    ("POST_PROD_REJECTED", 400, 400),
    ("APPROVED", 400, 400),
]


@pytest.mark.parametrize("before, approved, rejected", TRANSITIONS)
def test_approve_and_reject_transitions(user, before, approved, rejected):
    for action, expected in (("approve", approved), ("reject", rejected)):
        shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
        revision = add_revision(shot, before) if before else None
        response = client_for(user).post(f"/api/v1/shots/{shot.pk}/{action}", {"notes": "Sleeve too long"},
                                         format="json")
        shot.refresh_from_db()
        if isinstance(expected, int):
            assert response.status_code == expected
            assert "cannot be" in response.json()["detail"]
            assert (shot.rework_available, shot.rework_used) == (2, 0)
            if revision:
                revision.refresh_from_db()
                assert revision.shot_status == before
        else:
            assert response.status_code == 200
            assert response.json()["status"] == expected
            revision.refresh_from_db()
            assert revision.shot_status == expected
            used = 1 if action == "reject" else 0
            assert (shot.rework_available, shot.rework_used) == (2 - used, used)
            if action == "reject":
                assert revision.notes == "Sleeve too long"


def test_reject_uses_rework_until_none_is_left(user, shot):
    client = client_for(user)
    for expected_left in (1, 0):
        add_revision(shot, "PROPOSAL")
        body = client.post(f"/api/v1/shots/{shot.pk}/reject").json()
        assert (body["rework_available"], body["status"]) == (expected_left, "REJECTED")
    add_revision(shot, "PROPOSAL")
    response = client.post(f"/api/v1/shots/{shot.pk}/reject")
    assert (response.status_code, response.json()) == (409, {"detail": "No rework left for this shot"})
    shot.refresh_from_db()
    assert (shot.rework_available, shot.rework_used) == (0, 2)
    assert client.get(f"/api/v1/shots/{shot.pk}").json()["status"] == "PROPOSAL"

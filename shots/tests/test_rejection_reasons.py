"""POST /shots/{id}/reject with `reasons`: accepted, deduplicated, stored on the rejected revision and
in the `shot.rejected` event; an unknown reason is a 422 in the contract's shape, changing nothing."""
import pytest

from conftest import client_for
from sartiq.errors import InvalidInput
from sartiq.events.models import Event
from shootings.tests.factories import ShootingFactory, ShotFactory, add_revision
from shots import services
from shots.models import Shot, ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    add_revision(shot, "PROPOSAL")
    return shot


def test_reasons_are_stored_on_the_rejected_revision_and_in_the_event(user, shot):
    revision = shot.current_revision
    response = client_for(user).post(f"/api/v1/shots/{shot.pk}/reject",
                                     {"notes": "Orange, not red", "reasons": ["COLOR", "FIT", "COLOR"]}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "REJECTED"
    revision.refresh_from_db()
    assert (revision.shot_status, revision.rejection_reasons, revision.notes) == (
        "REJECTED", ["COLOR", "FIT"], "Orange, not red")
    event = Event.objects.get(type="shot.rejected")
    assert event.revision_id == revision.pk
    assert event.data == {"from": "PROPOSAL", "to": "REJECTED", "note": "Orange, not red", "reasons": ["COLOR", "FIT"],
                          "rework_used": 1, "rework_left": 1}


@pytest.mark.parametrize("body", [None, {}, {"notes": "Too dark"}, {"reasons": []}])
def test_reasons_are_optional(user, shot, body):
    client = client_for(user)
    response = (client.post(f"/api/v1/shots/{shot.pk}/reject") if body is None
                else client.post(f"/api/v1/shots/{shot.pk}/reject", body, format="json"))
    assert response.status_code == 200
    assert ShotRevision.objects.get(pk=shot.current_revision_id).rejection_reasons == []
    assert Event.objects.get(type="shot.rejected").data["reasons"] == []


@pytest.mark.parametrize("reasons, loc, kind", [
    (["COLOR", "BLURRY"], ["body", "reasons", 1], "enum"),
    (["color"], ["body", "reasons", 0], "enum"),
    ([None], ["body", "reasons", 0], "enum"),
    ("COLOR", ["body", "reasons"], "list_type"),
    (None, ["body", "reasons"], "list_type"),
    (["OTHER"] * 51, ["body", "reasons"], "too_long"),
])
def test_unknown_reasons_are_a_422_and_change_nothing(user, shot, reasons, loc, kind):
    response = client_for(user).post(f"/api/v1/shots/{shot.pk}/reject", {"reasons": reasons}, format="json")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)
    if kind == "enum":
        assert error["msg"] == ("Input should be 'COLOR', 'FIT', 'GARMENT_DETAIL', 'FACE', 'HANDS', 'POSE', "
                                "'BACKGROUND', 'CROP', 'ARTIFACT' or 'OTHER'")
    shot = Shot.objects.get(pk=shot.pk)
    assert (shot.current_revision.shot_status, shot.rework_used) == ("PROPOSAL", 0)
    assert not Event.objects.filter(type="shot.rejected").exists()


def test_the_service_refuses_an_unknown_reason_for_every_caller(user, shot):
    with pytest.raises(InvalidInput) as refused:
        services.shot_reject(user=user, shot=shot, reasons=["COLOR", "SMUDGE"])
    assert refused.value.field == ("reasons", 1)
    assert Shot.objects.get(pk=shot.pk).current_revision.shot_status == "PROPOSAL"


def test_the_openapi_document_lists_the_reasons(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    body = doc["components"]["schemas"]["RejectShot"]["properties"]["reasons"]
    assert body["items"] == {"$ref": "#/components/schemas/RejectionReason"}
    assert doc["components"]["schemas"]["RejectionReason"]["enum"] == [
        "COLOR", "FIT", "GARMENT_DETAIL", "FACE", "HANDS", "POSE", "BACKGROUND", "CROP", "ARTIFACT", "OTHER"]

"""Shootings: create, list, read, update (and transfer), delete, summaries; shapes and tenancy."""
import json
import uuid
from pathlib import Path

import pytest

from conftest import client_for
from outfits.models import Outfit
from sartiq.accounts.tests.factories import MembershipFactory
from sartiq.catalog.tests.factories import ShootingGuidelinesFactory, fully_loaded
from shootings.models import Shooting, ShootingLook
from shootings.tests.factories import ShootingFactory, fully_loaded_look, look_with_shots
from shots.models import Shot, ShotRevision, ShotRevisionImage

pytestmark = pytest.mark.django_db
REFERENCE = json.loads((Path(__file__).resolve().parents[2] / "tests/reference/openapi-reference.json").read_text())
FORBIDDEN = {"detail": "Not enough permissions"}


def fields(component):
    return set(REFERENCE["components"]["schemas"][component]["properties"])


def assert_shape(data, component):
    missing = fields(component) - set(data)
    assert not missing, f"{component} lacks {sorted(missing)}"


def test_detail_has_every_documented_field_at_every_level(user):
    shooting = ShootingFactory(owner=user, default_guidelines=fully_loaded(ShootingGuidelinesFactory, owner=user))
    fully_loaded_look(shooting)
    body = client_for(user).get(f"/api/v1/shootings/{shooting.pk}").json()
    assert_shape(body, "ShootingDetailPublic")
    assert_shape(body["default_guidelines"], "ShootingGuidelinesPublic")
    look = body["looks"][0]
    assert_shape(look, "ShootingLookPublic")
    assert_shape(look["set_design"], "SetDesignPublic")
    assert_shape(look["pose_presets"][0], "PosePresetPublic")
    assert_shape(look["assignee"], "UserSummary")
    assert_shape(look["outfit"], "ShootingLookOutfitPublic")
    assert_shape(look["outfit_proposals"][0], "ShootingLookOutfitPublic")
    assert_shape(look["outfit_proposals"][0]["outfit_products"][0], "ProductPublic")
    shot = look["shots"][0]
    assert_shape(shot, "ShotPublic")
    assert_shape(shot["shot_type"], "ShotTypePublic")
    revision = shot["revisions"][0]
    assert_shape(revision, "ShotRevisionPublic")
    assert_shape(revision["images"][0], "ShotRevisionImagePublic")
    assert_shape(revision["push_records"][0], "ExternalImagePushPublic")
    # Values derived from the selected outfit and related rows:
    outfit = look["outfit"]
    assert look["outfit_id"] == outfit["id"] and len(look["outfit_proposals"]) == 1
    assert look["outfit_instruction"] == outfit["outfit_instruction"]
    assert look["outfit_product_ids"] == outfit["outfit_product_ids"] == [outfit["outfit_products"][0]["id"]]
    assert look["product_name"] and look["product_sku"] and look["subject_name"]
    assert revision["push_status"] == "COMPLETED" and revision["display_name"] == "Version 1"
    assert revision["effective_image_url"] == revision["images"][0]["effective_image_url"]
    assert revision["effective_image_url"] == revision["images"][0]["image_media"]["url"]


def test_list_and_summary_shapes(user):
    shooting = ShootingFactory(owner=user)
    fully_loaded_look(shooting)
    client = client_for(user)
    page = client.get("/api/v1/shootings/").json()
    assert_shape(page, "ShootingsPublic")
    assert_shape(page["data"][0], "ShootingPublic")
    assert "looks" not in page["data"][0]
    summary = client.get(f"/api/v1/shootings/{shooting.pk}/looks-summary").json()
    assert_shape(summary, "ShootingLooksSummaryPublic")
    assert_shape(summary["data"][0], "ShootingLookSummary")
    assert_shape(summary["data"][0]["shots"][0], "ShotSummary")
    assert "revisions" not in summary["data"][0]["shots"][0]
    assert summary["data"][0]["outfit_products_count"] == 1
    assert summary["data"][0]["shots"][0]["push_status"] == "COMPLETED"
    assert_shape(client.get(f"/api/v1/shootings/{shooting.pk}/looks").json(), "ShootingLooksPublic")
    assert_shape(client.get("/api/v1/shootings/summary").json(), "ShootingSummary")
    assert_shape(client.get(f"/api/v1/shootings/{shooting.pk}/draft-summary").json(), "DraftLooksSummary")


def test_create_with_the_minimal_body(api, user):
    response = api.post("/api/v1/shootings/", {"name": "FW26", "due_date": "2026-12-01T10:00:00Z"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, "ShootingPublic")
    assert (body["owner_id"], body["organization_id"], body["archived"]) == (str(user.pk), None, False)
    assert (body["status"], body["shot_status"], body["default_guidelines"]) == (None, None, None)
    assert body["due_date"] == "2026-12-01T10:00:00Z"


def test_create_in_an_organization_from_body_or_query(user, org, other_user):
    client = client_for(user)
    body = {"name": "A", "due_date": "2026-12-01T10:00:00Z"}
    assert client.post("/api/v1/shootings/", {**body, "organization_id": str(org.pk)}, format="json").json()[
        "organization_id"] == str(org.pk)
    assert client.post(f"/api/v1/shootings/?organization_id={org.pk}", body, format="json").json()[
        "organization_id"] == str(org.pk)
    response = client_for(other_user).post("/api/v1/shootings/", {**body, "organization_id": str(org.pk)}, format="json")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert Shooting.objects.count() == 2


def test_default_guidelines_follow_the_tenancy_rule(user, other_user, org):
    client = client_for(user)
    body = {"name": "A", "due_date": "2026-12-01T10:00:00Z"}
    unknown = client.post("/api/v1/shootings/", {**body, "default_guidelines_id": str(uuid.uuid4())}, format="json")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Guidelines not found"})
    theirs = ShootingGuidelinesFactory(owner=other_user)
    assert client.post("/api/v1/shootings/", {**body, "default_guidelines_id": str(theirs.pk)},
                       format="json").status_code == 403
    mine = ShootingGuidelinesFactory(owner=user)
    other_org = client.post("/api/v1/shootings/", {**body, "organization_id": str(org.pk),
                                                   "default_guidelines_id": str(mine.pk)}, format="json")
    assert other_org.status_code == 400
    ok = client.post("/api/v1/shootings/", {**body, "default_guidelines_id": str(mine.pk)}, format="json").json()
    assert ok["default_guidelines"]["id"] == str(mine.pk)
    assert Shooting.objects.count() == 1


def test_due_date_is_required_on_create(api):
    response = api.post("/api/v1/shootings/", {"name": "A"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "due_date"]


def test_personal_and_organization_lists(user, org, member, other_user, superuser):
    personal = ShootingFactory(owner=user)
    shared = ShootingFactory(owner=user, organization=org)
    ShootingFactory(owner=other_user)
    ids = lambda client, q="": {s["id"] for s in client.get(f"/api/v1/shootings/{q}").json()["data"]}  # noqa: E731
    assert ids(client_for(user)) == {str(personal.pk)}
    assert ids(client_for(member), f"?organization_id={org.pk}") == {str(shared.pk)}
    assert ids(client_for(member)) == set()
    assert client_for(other_user).get(f"/api/v1/shootings/?organization_id={org.pk}").status_code == 403
    assert len(ids(client_for(superuser))) == 3
    assert client_for(member).get(f"/api/v1/shootings/{shared.pk}").status_code == 200
    assert client_for(other_user).get(f"/api/v1/shootings/{shared.pk}").json() == FORBIDDEN
    assert client_for(other_user).get(f"/api/v1/shootings/{personal.pk}").json() == FORBIDDEN
    assert client_for(user).get(f"/api/v1/shootings/{uuid.uuid4()}").json() == {"detail": "Shooting not found"}


def test_put_and_patch_change_only_the_fields_sent(user):
    shooting = ShootingFactory(owner=user, name="Old", season="SS26", brand="Acme")
    client = client_for(user)
    body = client.put(f"/api/v1/shootings/{shooting.pk}", {"name": "New", "archived": True}, format="json").json()
    assert (body["name"], body["archived"], body["season"], body["brand"]) == ("New", True, "SS26", "Acme")
    body = client.patch(f"/api/v1/shootings/{shooting.pk}", {"brand": None}, format="json").json()
    assert body["brand"] is None and body["name"] == "New"
    assert_shape(body, "ShootingPublic")


def test_outsiders_cannot_update_or_delete(user, other_user, org, member):
    shooting = ShootingFactory(owner=user, organization=org, name="Keep")
    for method in ("put", "patch", "delete"):
        response = getattr(client_for(other_user), method)(f"/api/v1/shootings/{shooting.pk}", {"name": "X"},
                                                           format="json")
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert Shooting.objects.get(pk=shooting.pk).name == "Keep"
    assert client_for(member).patch(f"/api/v1/shootings/{shooting.pk}", {"name": "Team"},
                                    format="json").status_code == 200


def test_transfer_to_an_organization_of_the_caller(user, org, other_user):
    shooting = ShootingFactory(owner=user)
    client = client_for(user)
    foreign = MembershipFactory(user=other_user).organization
    refused = client.patch(f"/api/v1/shootings/{shooting.pk}", {"organization_id": str(foreign.pk)}, format="json")
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    moved = client.put(f"/api/v1/shootings/{shooting.pk}", {"organization_id": str(org.pk)}, format="json").json()
    assert moved["organization_id"] == str(org.pk)
    assert {s["id"] for s in client.get(f"/api/v1/shootings/?organization_id={org.pk}").json()["data"]} == {
        str(shooting.pk)}
    back = client.patch(f"/api/v1/shootings/{shooting.pk}", {"organization_id": None}, format="json").json()
    assert back["organization_id"] is None


def test_delete_cascades_and_answers_a_message(user, django_capture_on_commit_callbacks):
    shooting = ShootingFactory(owner=user)
    fully_loaded_look(shooting)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/v1/shootings/{shooting.pk}")
    assert response.json() == {"message": "Shooting deleted successfully"}
    for model in (Shooting, ShootingLook, Shot, ShotRevision, ShotRevisionImage, Outfit):
        assert not model.objects.exists(), model


def test_summary_scopes_and_checks(user, org, member, other_user):
    personal = ShootingFactory(owner=user)
    look_with_shots(personal, statuses=["APPROVED"], status="READY")
    shared = ShootingFactory(owner=user, organization=org)
    look_with_shots(shared, statuses=["REVIEW"], status="READY")
    look_with_shots(shared, statuses=[], status="DRAFT")
    get = lambda client, q="": client.get(f"/api/v1/shootings/summary{q}")  # noqa: E731
    assert get(client_for(user)).json()["total_shooting_looks"] == 1
    assert get(client_for(member), f"?organization_id={org.pk}").json()["total_shooting_looks"] == 2
    assert get(client_for(member), f"?organization_id={org.pk}&shooting_id={shared.pk}").json()[
        "status_breakdown"] == [{"status": "DRAFT", "count": 1}, {"status": "REVIEW", "count": 1}]
    assert get(client_for(other_user), f"?organization_id={org.pk}").status_code == 403
    assert get(client_for(other_user), f"?shooting_id={shared.pk}").status_code == 403
    mismatch = get(client_for(user), f"?organization_id={org.pk}&shooting_id={personal.pk}")
    assert (mismatch.status_code, mismatch.json()) == (404, {"detail": "Shooting not found"})
    assert get(client_for(user), f"?shooting_id={uuid.uuid4()}").status_code == 404
    assert get(client_for(user), "?shooting_id=nope").status_code == 422


def test_draft_summary_counts_drafts_and_those_being_styled(user):
    shooting = ShootingFactory(owner=user)
    styling = look_with_shots(shooting, statuses=[], status="DRAFT")
    Outfit.objects.create(shooting_look=styling, generation_status="PENDING")
    Outfit.objects.create(shooting_look=styling, generation_status="PENDING")
    done = look_with_shots(shooting, statuses=[], status="DRAFT")
    Outfit.objects.create(shooting_look=done, generation_status="COMPLETED")
    ready = look_with_shots(shooting, statuses=[], status="READY")
    Outfit.objects.create(shooting_look=ready, generation_status="PENDING")
    body = client_for(user).get(f"/api/v1/shootings/{shooting.pk}/draft-summary").json()
    assert body == {"total_draft_looks": 2, "generating_count": 1}

"""Catalog behaviour beyond tenancy: defaults, nested writes, references, product filters."""
import uuid

import pytest

from conftest import client_for
from sartiq.catalog import models
from sartiq.catalog.tests import factories as f

pytestmark = pytest.mark.django_db


def test_minimal_create_bodies_get_the_contracts_defaults(api):
    product = api.post("/api/v1/products/", {"name": "Tee"}, format="json").json()
    assert product["gender"] == "UNISEX" and product["enabled"] is True and product["archived"] is False
    shot_type = api.post("/api/v1/shot-types/", {"name": "Front"}, format="json").json()
    assert (shot_type["view_angle"], shot_type["framing"]) == ("FRONT", "FULL_BODY")
    subject = api.post("/api/v1/subjects/", {"name": "Ava Rossi", "gender": "FEMALE"}, format="json").json()
    assert subject["slug"] == "ava-rossi" and subject["base_images"] == [] and subject["measurements"] is None
    again = api.post("/api/v1/subjects/", {"name": "Ava Rossi", "gender": "FEMALE"}, format="json").json()
    assert again["slug"] == "ava-rossi-2"


def test_subject_base_images_and_measurements_are_written_and_replaced(api, user):
    front, back = f.ShotTypeFactory(owner=user, name="Front"), f.ShotTypeFactory(owner=user, name="Back")
    body = {
        "name": "Leo", "gender": "MALE",
        "base_images": [{"shot_type_id": str(front.pk), "image_url": "https://cdn.example.com/leo-front.png"},
                        {"shot_type_id": str(back.pk), "image_url": "https://cdn.example.com/leo-back.png"}],
        "measurements": {"height_cm": 182, "shoe_eu": 44.5, "eye_color": "GREEN"},
    }
    subject = api.post("/api/v1/subjects/", body, format="json").json()
    assert [(b["shot_type_label"], b["image_url"]) for b in subject["base_images"]] == [
        ("Back", "https://cdn.example.com/leo-back.png"), ("Front", "https://cdn.example.com/leo-front.png")]
    assert subject["measurements"]["height_cm"] == 182 and subject["measurements"]["shoe_eu"] == 44.5

    updated = api.patch(f"/api/v1/subjects/{subject['id']}", {
        "base_images": [{"shot_type_id": str(back.pk), "image_url": "https://cdn.example.com/new.png"}],
        "measurements": {"height_cm": 180},
    }, format="json").json()
    assert [b["image_url"] for b in updated["base_images"]] == ["https://cdn.example.com/new.png"]
    # Nested lists replace; a nested object merges what was sent (PATCH semantics).
    assert updated["measurements"]["height_cm"] == 180 and updated["measurements"]["eye_color"] == "GREEN"
    assert updated["name"] == "Leo"  # untouched by the partial update


def test_duplicate_shot_types_in_base_images_are_422(api, user):
    front = f.ShotTypeFactory(owner=user)
    item = {"shot_type_id": str(front.pk), "image_url": "https://cdn.example.com/a.png"}
    response = api.post("/api/v1/subjects/", {"name": "A", "gender": "MALE", "base_images": [item, item]}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "base_images"]
    assert not models.Subject.objects.exists()


def test_guidelines_take_references_by_id(api, user):
    shot_types = [f.ShotTypeFactory(owner=user) for _ in range(2)]
    subject = f.SubjectFactory(owner=user)
    pose = f.PosePresetFactory(owner=user, shot_type=shot_types[0])
    design = f.SetDesignFactory(owner=user)
    resolution = f.ResolutionPresetFactory(owner=user)
    body = {"name": "Default", "shot_type_ids": [str(s.pk) for s in shot_types], "subject_ids": [str(subject.pk)],
            "pose_preset_ids": [str(pose.pk)], "set_design_id": str(design.pk),
            "resolution_preset_id": str(resolution.pk), "file_format": "PNG"}
    response = api.post("/api/v1/guidelines/", body, format="json")
    assert response.status_code == 200, response.json()
    g = response.json()
    assert {s["id"] for s in g["shot_types"]} == {str(s.pk) for s in shot_types}
    assert g["subjects"][0]["id"] == str(subject.pk) and g["pose_presets"][0]["id"] == str(pose.pk)
    assert g["set_design"]["id"] == str(design.pk) and g["resolution_preset_id"] == str(resolution.pk)
    assert g["file_format"] == "PNG"
    cleared = api.patch(f"/api/v1/guidelines/{g['id']}", {"shot_type_ids": [], "set_design_id": None}, format="json").json()
    assert cleared["shot_types"] == [] and cleared["set_design"] is None and len(cleared["subjects"]) == 1


def test_references_follow_the_tenancy_rule(user, other_user, org):
    client = client_for(user)
    unknown = client.post("/api/v1/pose-presets/", {"name": "P", "shot_type_id": str(uuid.uuid4())}, format="json")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Shot type not found"})

    theirs = f.ShotTypeFactory(owner=other_user)
    forbidden = client.post("/api/v1/pose-presets/", {"name": "P", "shot_type_id": str(theirs.pk)}, format="json")
    assert (forbidden.status_code, forbidden.json()) == (403, {"detail": "Not enough permissions"})

    # A personal shot type cannot be used by an organization's pose preset: members could not see it.
    mine = f.ShotTypeFactory(owner=user)
    mixed = client.post(f"/api/v1/pose-presets/?organization_id={org.pk}",
                        {"name": "P", "shot_type_id": str(mine.pk)}, format="json")
    assert (mixed.status_code, mixed.json()) == (400, {"detail": (
        "Shot type is personal (made without organization_id): the organization's members cannot see it, so the "
        f"organization's resources cannot use it. To use it there, create it in the organization (with "
        f"organization_id={org.pk})")})

    public = f.ShotTypeFactory(owner=None, public=True)
    ok = client.post(f"/api/v1/pose-presets/?organization_id={org.pk}",
                     {"name": "P", "shot_type_id": str(public.pk)}, format="json")
    assert ok.status_code == 200
    assert models.PosePreset.objects.count() == 1


def test_a_bad_reference_in_a_list_writes_nothing(api, user, other_user):
    mine = f.ShotTypeFactory(owner=user)
    guidelines = f.ShootingGuidelinesFactory(owner=user, name="Before")
    guidelines.shot_types.set([mine])
    response = api.patch(f"/api/v1/guidelines/{guidelines.pk}", {
        "name": "After", "shot_type_ids": [str(mine.pk), str(f.ShotTypeFactory(owner=other_user).pk)]}, format="json")
    assert response.status_code == 403
    guidelines.refresh_from_db()
    assert guidelines.name == "Before" and list(guidelines.shot_types.all()) == [mine]


def test_public_resources_are_visible_to_all_but_only_superusers_publish(api, user, other_user, superuser):
    response = api.post("/api/v1/shot-types/", {"name": "Mine", "public": True}, format="json")
    assert response.status_code == 403
    public = client_for(superuser).post("/api/v1/shot-types/", {"name": "System", "public": True}, format="json").json()
    assert public["public"] is True
    listed = {s["id"] for s in client_for(other_user).get("/api/v1/shot-types/").json()["data"]}
    assert public["id"] in listed
    assert client_for(other_user).get(f"/api/v1/shot-types/{public['id']}").status_code == 200
    assert client_for(other_user).patch(f"/api/v1/shot-types/{public['id']}", {"name": "X"}, format="json").status_code == 403


# --- product filters (also the reference's `product_filters`) -------------------------------------
@pytest.fixture
def catalog(user):
    make = lambda **kw: f.ProductFactory(owner=user, **kw)  # noqa: E731
    return {
        "tee": make(name="Basic Tee", sku="TEE-1", brand="Acme", gender="UNISEX", product_type="T-Shirt",
                    brand_collection="Core", season="FW26"),
        "dress": make(name="Summer Dress", sku="DRS-2", brand="Zeta", gender="FEMALE", product_type="Dress",
                      brand_collection="Resort", demo=True),
        "jeans": make(name="Jeans", sku="JNS-3", brand="acme", gender="MALE", product_type="Denim", archived=True),
        "old": make(name="Old Coat", sku="OLD-4", brand="Acme", gender="MALE", enabled=False, style_code="XTEE"),
    }


FILTERS = {
    "archived=true": {"jeans"},
    "archived=false": {"tee", "dress", "old"},
    "enabled=false": {"old"},
    "demo=true": {"dress"},
    "brand=ACME": {"tee", "jeans", "old"},
    "brand_collection=core": {"tee"},
    "gender=MALE": {"jeans", "old"},
    "gender=MALE&gender=FEMALE": {"jeans", "old", "dress"},
    "product_type=dress": {"dress"},
    "search=tee": {"tee", "old"},
    "search=drs": {"dress"},
    "season=fw26": {"tee"},
    "brand=Acme&archived=false&enabled=true": {"tee"},
}


@pytest.mark.parametrize("query, expected", FILTERS.items(), ids=FILTERS.keys())
def test_product_filters(api, catalog, query, expected):
    body = api.get(f"/api/v1/products/?{query}").json()
    assert {item["id"] for item in body["data"]} == {str(catalog[name].pk) for name in expected}
    assert body["count"] == len(expected)


def test_product_sorting_and_paging(api, catalog):
    names = lambda q: [p["name"] for p in api.get(f"/api/v1/products/?{q}").json()["data"]]  # noqa: E731
    assert names("sort_by=name") == ["Basic Tee", "Jeans", "Old Coat", "Summer Dress"]
    assert names("sort_by=sku&sort_order=desc") == ["Basic Tee", "Old Coat", "Jeans", "Summer Dress"]
    assert names("sort_by=name&skip=1&limit=2") == ["Jeans", "Old Coat"]
    page = api.get("/api/v1/products/?skip=10").json()
    assert page == {"data": [], "count": 4}

"""Responses carry every field the reference documents for their component (contract §1.5)."""
import json
from pathlib import Path

import pytest

from conftest import client_for
from sartiq.catalog.tests import factories as f

pytestmark = pytest.mark.django_db

REFERENCE = json.loads((Path(__file__).parent / "reference" / "openapi-reference.json").read_text())
COMPONENTS = REFERENCE["components"]["schemas"]


def reference_fields(component: str) -> set[str]:
    return set(COMPONENTS[component]["properties"])


def test_catalog_responses_have_every_reference_field(user):
    client = client_for(user)
    guidelines = f.fully_loaded(f.ShootingGuidelinesFactory, owner=user)
    product = f.fully_loaded(f.ProductFactory, owner=user)
    body = client.get(f"/api/v1/guidelines/{guidelines.pk}").json()
    checks = {
        "ShootingGuidelinesPublic": body,
        "SetDesignPublic": body["set_design"],
        "SetBaseImagePublic": body["set_design"]["base_images"][0],
        "SetReferenceImagePublic": body["set_design"]["reference_images"][0],
        "SubjectPortraitPublic": body["set_design"]["subject_portraits"][0],
        "ShotTypePublic": body["shot_types"][0],
        "SubjectPublic": body["subjects"][0],
        "BaseImagePublic": body["subjects"][0]["base_images"][0],
        "SubjectMeasurementsPublic": body["subjects"][0]["measurements"],
        "PosePresetPublic": body["pose_presets"][0],
        "MediaResourcePublic": body["shot_types"][0]["reference_image"],
        "ProductPublic": client.get(f"/api/v1/products/{product.pk}").json(),
    }
    for component, data in checks.items():
        missing = reference_fields(component) - set(data)
        assert not missing, f"{component} lacks {sorted(missing)}"


def test_documented_fields_are_present_and_null_when_empty(user):
    client = client_for(user)
    product = f.ProductFactory(owner=user)
    body = client.get(f"/api/v1/products/{product.pk}").json()
    assert body["cover_image_media"] is None
    assert body["description"] is None
    assert body["reference_images"] == []
    assert body["id"] == str(product.pk)
    assert body["created_at"].endswith("Z") or "+" in body["created_at"]


def test_user_summary_component_is_served_by_member_lists(user, org):
    body = client_for(user).get(f"/api/v1/organizations/{org.pk}/members").json()
    assert reference_fields("UserSummary") <= set(body["data"][0]["user"])

"""The OpenAPI document, Swagger UI and ReDoc (contract §1.7)."""
import json
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).parent / "reference"


def test_openapi_is_3_1_with_the_reference_security_scheme(anon):
    response = anon.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "Sartiq Backend Server - Shootings"
    assert doc["components"]["securitySchemes"]["OAuth2PasswordBearer"] == {
        "type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "/api/v1/login/access-token"}}
    }
    product_list = doc["paths"]["/api/v1/products/"]["get"]
    assert product_list["security"] == [{"OAuth2PasswordBearer": []}]
    assert product_list["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    assert "200" in doc["paths"]["/api/v1/products/"]["post"]["responses"]


def test_component_names_follow_the_reference(anon):
    names = set(anon.get("/api/v1/openapi.json").json()["components"]["schemas"])
    reference = set(json.loads((REFERENCE / "openapi-reference.json").read_text())["components"]["schemas"])
    expected = {"ProductPublic", "SubjectPublic", "ShotTypePublic", "PosePresetPublic", "SetDesignPublic",
                "ShootingGuidelinesPublic", "MediaResourcePublic", "UserSummary", "BaseImagePublic",
                "SetBaseImagePublic", "SetReferenceImagePublic", "SubjectPortraitPublic", "SubjectMeasurementsPublic",
                "ProductGender", "Gender", "ViewAngle", "ShotTypeFraming", "SubjectType", "MediaResourceType",
                "HTTPValidationError", "ValidationError", "Message"}
    assert expected <= reference
    assert expected <= names


def test_spectacular_validates_cleanly(tmp_path):
    out = tmp_path / "openapi.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    assert json.loads(out.read_text())["paths"]


def test_swagger_ui_and_redoc_are_served_without_a_cdn(anon):
    for url in ("/docs", "/redoc"):
        response = anon.get(url)
        assert response.status_code == 200
        assert b"cdn.jsdelivr" not in response.content
        assert b"/static/drf_spectacular_sidecar/" in response.content


def test_both_trailing_slash_forms_are_served_without_redirect(api):
    assert api.get("/api/v1/products").status_code == 200
    assert api.get("/api/v1/products/").status_code == 200
    assert api.post("/api/v1/products", {"name": "A"}, format="json").status_code == 200
    assert api.post("/api/v1/products/", {"name": "B"}, format="json").status_code == 200

"""The OpenAPI document, Swagger UI and ReDoc (contract §1.7)."""
import json
import re
import uuid
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


WORKFLOW_TAGS = ["login", "users", "organizations", "catalog", "shootings", "looks", "outfits", "shots", "revisions",
                 "generations", "exports", "integrations", "events", "webhooks", "providers"]


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_tags_are_declared_in_workflow_order_each_with_a_description(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    assert [tag["name"] for tag in doc["tags"]] == WORKFLOW_TAGS
    assert all(tag["description"].strip() for tag in doc["tags"])
    untagged = [f"{m} {p}" for m, p, op in _operations(doc) if len(op.get("tags", ())) != 1
                or op["tags"][0] not in WORKFLOW_TAGS]
    assert untagged == []


def test_every_operation_has_a_summary_and_a_client_description(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    missing = [f"{m} {p}" for m, p, op in _operations(doc)
               if not op.get("summary", "").strip() or not op.get("description", "").strip()]
    assert missing == []


def test_view_docstrings_do_not_leak_into_the_document(anon):
    from sartiq.api.schema import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    docstrings = set()
    for _path, _regex, method, callback in generator.endpoints:
        cls = getattr(callback, "cls", None)
        action = getattr(cls, (getattr(callback, "actions", None) or {}).get(method.lower(), ""), None)
        for doc in (getattr(cls, "__doc__", None), getattr(action, "__doc__", None), callback.__doc__):
            if doc and len(doc.strip()) > 20:
                docstrings.add(doc.strip().splitlines()[0].strip())
    assert len(docstrings) > 10  # the check below has something to find
    text = json.dumps(anon.get("/api/v1/openapi.json").json())
    assert [line for line in docstrings if line in text] == []


def test_every_organization_scoped_list_states_the_organization_rule(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    lists = [(p, op) for m, p, op in _operations(doc) if m == "get"
             and any(q["name"] == "organization_id" and q["in"] == "query" for q in op.get("parameters", ()))
             and any(q["name"] in ("skip", "after") for q in op.get("parameters", ()))]
    assert len(lists) > 15
    assert [p for p, op in lists if "Without `organization_id`" not in op["description"]
            or "must be a member" not in op["description"]] == []


def test_client_errors_are_documented_with_their_body(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/HTTPError"}
    problems = []
    for method, path, op in _operations(doc):
        secured = {} not in op.get("security", [{}])
        expected = set()
        if secured:
            expected.add("403")
        if "{" in path:
            expected.add("404")
        if method != "get":
            expected |= {"400", "409"} if secured else {"400"}
        for code in expected:
            response = op["responses"].get(code)
            if response is None or response["content"]["application/json"]["schema"] != error:
                problems.append(f"{method} {path} {code}")
    assert problems == []
    assert "429" in doc["paths"]["/api/v1/login/access-token/"]["post"]["responses"]
    assert doc["paths"]["/api/v1/products/{product_id}/"]["get"]["responses"]["422"]  # the reference's, kept


def test_file_uploads_are_file_pickers(anon):
    doc = anon.get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/media-resources/"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = doc["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}


def _invalid_for(schema: dict) -> str | None:
    """A query value the schema refuses (None: the schema takes any text)."""
    schema = next((option for option in schema.get("anyOf", []) if option.get("type") != "null"), schema)
    if schema.get("type") == "array":
        return _invalid_for(schema["items"])
    if schema.get("format") == "uuid":
        return "not-an-id"
    if "enum" in schema:
        return "NOT_A_CHOICE"
    return {"integer": "x", "boolean": "maybe"}.get(schema.get("type"))


def test_every_documented_query_parameter_is_read(api):
    """A parameter the document lists is one the operation validates: an id, a choice, a number or
    a boolean it cannot read answers 422 at that parameter, before the object is looked up. (The
    histories listed their object list's filters, which they ignore, so the fuzzer's nonsense for
    them was a 200.)"""
    doc = api.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in doc["paths"].items():
        url = re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)
        for parameter in operations.get("get", {}).get("parameters", []):
            invalid = _invalid_for(parameter.get("schema", {}))
            if parameter["in"] != "query" or invalid is None:
                continue
            response = api.get(url, {parameter["name"]: invalid})
            assert response.status_code == 422, (path, parameter["name"], response.status_code)
            assert ["query", parameter["name"]] in [error["loc"][:2] for error in response.json()["detail"]], path
            checked += 1
    assert checked > 100

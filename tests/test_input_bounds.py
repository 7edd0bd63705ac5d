"""Issue #11: input the database cannot hold, or that breaks a later read, is a 422 in Pydantic's
shape and changes nothing (it used to be a 500 at the write, or a stored value that made every
later read of the object answer 500).

- integers beyond their column (`rework_available=2**31`) and integer query parameters;
- numbers in free JSON (`margins: 10**30`) and its depth and size; rows stored before are repaired;
- null where the column has none (`{"slug": null}`) and null items in lists of objects
  (`product_outfit_configs: [null]`).
The structural side (every input against its column) is tests/test_input_columns.py.
"""
import json
import uuid

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from conftest import client_for
from integrations.models import ExternalIntegration, ExternalProductMapping
from sartiq.catalog.models import Product, ShotType, Subject
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from shootings.models import ShootingLook
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.models import Shot

pytestmark = pytest.mark.django_db
INT_MAX = 2**31 - 1
MAX_SAFE_INTEGER = 2**53 - 1  # sartiq.json_values.MAX_SAFE_INTEGER


def too_big(loc, value, le):
    return {"type": "less_than_equal", "loc": loc, "msg": f"Input should be less than or equal to {le}",
            "input": value, "ctx": {"le": le}}


# --- integers beyond their column ------------------------------------------------------------------
@pytest.mark.parametrize("counter", ["rework_available", "rework_used"])
@pytest.mark.parametrize("value", [INT_MAX + 1, 2**62])
def test_an_integer_beyond_its_column_is_422_and_changes_nothing(user, counter, value):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    response = client_for(user).patch(f"/api/v1/shots/{shot.pk}", {counter: value}, format="json")
    assert response.status_code == 422, response.content
    assert response.json() == {"detail": [too_big(["body", counter], value, INT_MAX)]}
    assert Shot.objects.filter(pk=shot.pk, rework_available=shot.rework_available, rework_used=0).exists()
    ok = client_for(user).patch(f"/api/v1/shots/{shot.pk}", {counter: INT_MAX}, format="json")
    assert ok.status_code == 200 and ok.json()[counter] == INT_MAX  # the column's own maximum is fine
    # Beyond 64 bits the JSON parser's own reading applies (the request layer's): still a 422.
    assert client_for(user).patch(f"/api/v1/shots/{shot.pk}", {counter: 10**30}, format="json").status_code == 422


def test_an_integer_query_parameter_beyond_the_database_is_422(user):
    """`skip` reaches SQL as OFFSET (a bigint): from the query, and from look creation's filters."""
    shooting = ShootingFactory(owner=user)
    subject = SubjectFactory(owner=user)
    body = {"product_filters": {"skip": 2**63}, "subject_ids": [str(subject.pk)]}
    response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [too_big(["body", "product_filters", "skip"], 2**63, MAX_SAFE_INTEGER)]
    body["product_filters"] = {"skip": str(2**63)}
    response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [too_big(["body", "product_filters", "skip"], str(2**63), 2**63 - 1)]
    listed = client_for(user).get("/api/v1/products/", {"skip": 2**63})
    assert listed.status_code == 422
    assert listed.json()["detail"] == [too_big(["query", "skip"], str(2**63), 2**63 - 1)]


# --- numbers in free JSON --------------------------------------------------------------------------
JSON_FIELDS = [  # (url, body without the JSON field, the field)
    ("/api/v1/shot-types/", {"name": "Front"}, "margins"),
    ("/api/v1/products/", {"name": "Shirt"}, "brand_metadata"),
    ("/api/v1/external-integrations/", {"name": "OVS", "integration_type": "OVS"}, "settings"),
]


@pytest.mark.parametrize("url, body, name", JSON_FIELDS, ids=[f[2] for f in JSON_FIELDS])
@pytest.mark.parametrize("number", [2**63, MAX_SAFE_INTEGER + 1, 1e30, -(2**62)])
def test_a_number_a_read_could_not_render_is_refused(user, url, body, name, number):
    tables = _rows()
    response = client_for(user).post(url, {**body, name: {"top": [0, number]}}, format="json")
    assert response.status_code == 422, response.content
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", name, "top", 1]
    if number > 0:
        assert error == too_big(["body", name, "top", 1], number, MAX_SAFE_INTEGER)
    else:
        assert error["type"] == "greater_than_equal" and error["ctx"] == {"ge": -MAX_SAFE_INTEGER}
    assert _rows() == tables


def test_the_largest_safe_numbers_are_stored_and_read_back_exactly(user):
    margins = {"top": MAX_SAFE_INTEGER, "bottom": -MAX_SAFE_INTEGER, "left": 0.5, "right": 9.0e15}
    created = client_for(user).post("/api/v1/shot-types/", {"name": "Front", "margins": margins}, format="json")
    assert created.status_code == 200, created.content
    read = client_for(user).get(f"/api/v1/shot-types/{created.json()['id']}")
    assert read.status_code == 200 and read.json()["margins"] == margins


def test_mapping_extra_and_look_filters_are_checked_too(user):
    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    product = ProductFactory(owner=user)
    body = {"product_id": str(product.pk), "integration_id": str(integration.pk), "extra": {"n": 10**30}}
    response = client_for(user).post("/api/v1/external-product-mappings/", body, format="json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "extra", "n"]
    assert not ExternalProductMapping.objects.exists()


def test_not_a_number_is_refused(user):
    """NaN and Infinity, which the JSON parser's lenient fallback read as floats (jsonb refuses
    them: a 500 at the insert). Whichever layer refuses, the answer is a 422 about the body."""
    for text in ('{"name": "Front", "margins": NaN}', '{"name": "Front", "margins": {"top": -Infinity}}'):
        response = client_for(user).post("/api/v1/shot-types/", text, content_type="application/json")
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"][0] == "body"
    assert not ShotType.objects.exists()


def test_json_nested_too_deep_or_too_large_is_refused(user, settings):
    deep = current = {}
    for _ in range(40):
        current["a"] = current = {}
    response = client_for(user).post("/api/v1/shot-types/", {"name": "Front", "margins": deep}, format="json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "margins", *["a"] * settings.JSON_INPUT_MAX_DEPTH]
    assert error["msg"] == f"Value error, nested deeper than {settings.JSON_INPUT_MAX_DEPTH} levels"
    big = {"text": "x" * settings.JSON_INPUT_MAX_BYTES}
    response = client_for(user).post("/api/v1/products/", {"name": "Shirt", "brand_metadata": big}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "brand_metadata"]
    assert "bytes of JSON" in response.json()["detail"][0]["msg"]
    assert not ShotType.objects.exists() and not Product.objects.exists()


def test_no_write_path_can_store_what_a_read_cannot_render(user):
    """The column itself refuses (workers, the admin, bulk writes): a ValueError before the database,
    and a form error in the admin (the model's validators)."""
    with pytest.raises(ValueError, match="less than or equal to 9007199254740991"), transaction.atomic():
        ShotTypeFactory(owner=user, margins={"top": 10**30})
    shot_type = ShotTypeFactory(owner=user)
    with pytest.raises(ValueError), transaction.atomic():
        ShotType.objects.filter(pk=shot_type.pk).update(margins=[1e300])
    shot_type.margins = {"top": 10**30}
    with pytest.raises(ValidationError):
        shot_type.full_clean()
    assert ShotType.objects.get(pk=shot_type.pk).margins is None


@pytest.mark.parametrize("typed", ['{"top": ' + "9" * 400 + "}", '{"top": 1e400}', "[" * 100000 + "]" * 100000])
def test_the_admin_shows_a_refused_json_value_again_with_its_error(client, superuser, typed):
    """A staff user typing a number beyond the safe range, or a document nested deeper than Python
    decodes, gets the form again with an error: the column's encoder refused to draw the typed
    value (500), and Django's field let the RecursionError through (500)."""
    client.force_login(superuser)
    shot_type = ShotTypeFactory(owner=superuser, margins={"top": 1})
    url = f"/admin/catalog/shottype/{shot_type.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: field.prepare_value(form.initial[name]) for name, field in form.fields.items()
            if form.initial.get(name) is not None}
    response = client.post(url, {**data, "margins": typed})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["margins"]
    shot_type.refresh_from_db()
    assert shot_type.margins == {"top": 1}


def test_rows_stored_before_are_repaired_and_read_again(user):
    """What the data migration does: a number beyond the safe range becomes its decimal text."""
    from sartiq.json_values import repair_stored

    look = LookFactory(shooting=ShootingFactory(owner=user))
    shot = ShotFactory(shooting_look=look)
    _store_raw(ShotType, shot.shot_type_id, "margins", {"top": 10**30, "bottom": 1e30, "ok": [1, 2.5]})
    _store_raw(Product, look.product_id, "brand_metadata", {"ean": 10**20})
    client = client_for(user)
    assert repair_stored(django_apps, "catalog") == 2
    assert repair_stored(django_apps, "catalog") == 0  # nothing left to repair
    read = client.get(f"/api/v1/shot-types/{shot.shot_type_id}")
    assert read.status_code == 200
    assert read.json()["margins"] == {"top": str(10**30), "bottom": str(10**30), "ok": [1, 2.5]}
    for url in (f"/api/v1/shots/{shot.pk}", f"/api/v1/shootings/{look.shooting_id}",
                f"/api/v1/products/{look.product_id}", "/api/v1/shot-types/"):
        assert client.get(url).status_code == 200, url


def _store_raw(model, pk, column, value):
    """Write a value as it could be stored before the check (bypassing the model field)."""
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{model._meta.db_table}" SET "{column}" = %s::jsonb WHERE id = %s',
                       [json.dumps(value), pk])


def _rows() -> dict:
    return {model.__name__: model.objects.count() for model in (ShotType, Product, ExternalIntegration)}


# --- null where the column has none -----------------------------------------------------------------
def test_null_items_in_a_list_of_objects_are_422(user):
    shooting = ShootingFactory(owner=user)
    subject, product = SubjectFactory(owner=user), ProductFactory(owner=user)
    body = {"product_outfit_configs": [None], "subject_ids": [str(subject.pk)]}
    response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["detail"] == [{
        "type": "model_attributes_type", "loc": ["body", "product_outfit_configs", 0],
        "msg": "Input should be a valid dictionary or object to extract fields from", "input": None}]
    body["product_outfit_configs"] = [{"product_id": str(product.pk)}, None]
    response = client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "product_outfit_configs", 1]
    body["product_outfit_configs"] = None  # the list itself may be null
    body["product_ids"] = [str(product.pk)]
    assert client_for(user).post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json").status_code == 200
    assert ShootingLook.objects.count() == 1


def test_a_null_slug_is_derived_from_the_name_again(user):
    subject = SubjectFactory(owner=user, name="Anna", slug="custom")
    SubjectFactory(owner=user, name="Anna Maria", slug="anna-maria")
    client = client_for(user)
    response = client.patch(f"/api/v1/subjects/{subject.pk}", {"slug": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "anna"
    response = client.patch(f"/api/v1/subjects/{subject.pk}", {"slug": "", "name": "Anna Maria"}, format="json")
    assert (response.status_code, response.json()["slug"]) == (200, "anna-maria-2")
    assert Subject.objects.get(pk=subject.pk).slug == "anna-maria-2"


@pytest.mark.parametrize("url, body, name", [
    ("/api/v1/shots/{shot}", {"rework_available": None}, "rework_available"),
    ("/api/v1/shootings/{shooting}", {"name": None}, "name"),
    ("/api/v1/shootings/{shooting}/looks/{look}", {"status": None}, "status"),
], ids=["shot counter", "shooting name", "look status"])
def test_null_for_a_column_without_null_is_422(user, url, body, name):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    look = shot.shooting_look
    url = url.format(shot=shot.pk, shooting=look.shooting_id, look=look.pk)
    response = client_for(user).put(url, body, format="json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "value_error", "loc": ["body", name],
                                          "msg": f"Value error, {name} cannot be null", "input": None,
                                          "ctx": {"error": {}}}]


def test_unknown_ids_in_nested_lists_are_not_a_server_error(user):
    """Sanity for the nested writers: an unknown id is a 404, never an IntegrityError."""
    body = {"name": "Anna", "gender": "FEMALE",
            "base_images": [{"shot_type_id": str(uuid.uuid4()), "image_url": "https://cdn.example.com/a.png"}]}
    assert client_for(user).post("/api/v1/subjects/", body, format="json").status_code == 404


def test_a_date_time_is_stored_in_the_servers_time_zone_whatever_its_offset(user):
    """Found by make fuzz (issue 12): an offset beyond PostgreSQL's ±15:59 (Python takes up to ±23:59)
    reached the database as sent (a 500); it is converted to the server's time zone, as DRF did."""
    from shootings.models import Shooting

    api = client_for(user)
    response = api.post("/api/v1/shootings/", {"name": "Far", "due_date": "2030-02-19T18:46:24-19:02"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_date"] == "2030-02-20T13:48:24Z"
    response = api.post("/api/v1/shootings/", {"name": "Last", "due_date": "9999-12-31T23:00:00-05:00"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "value_error", "loc": ["body", "due_date"],
                                          "msg": "Value error, Datetime value out of range.",
                                          "input": "9999-12-31T23:00:00-05:00", "ctx": {"error": {}}}]
    assert list(Shooting.objects.values_list("name", flat=True)) == ["Far"]


@pytest.mark.parametrize("url, body, loc, message", [
    ("/api/v1/products/", {"name": "Tee", "year": True}, ["year"], "A valid integer is required."),
    ("/api/v1/resolution-presets/", {"name": "HD", "width": 1920, "height": False}, ["height"],
     "A valid integer is required."),
    ("/api/v1/subjects/", {"name": "Ada", "gender": "FEMALE", "measurements": {"shoe_eu": True}},
     ["measurements", "shoe_eu"], "A valid number is required."),
    ("/api/v1/guidelines/", {"name": "G", "quality_thresholds": {"duplicate": False}},
     ["quality_thresholds", "duplicate"], "A valid number is required."),
])
def test_a_boolean_is_no_number(user, url, body, loc, message):
    """JSON's true/false for an integer or a number is refused as the API always did for integers
    (Pydantic alone takes it as 1/0; the OpenAPI document says integer or number)."""
    response = client_for(user).post(url, body, format="json")
    assert response.status_code == 422, response.content
    value = body
    for key in loc:
        value = value[key]
    assert response.json()["detail"] == [{"type": "value_error", "loc": ["body", *loc],
                                          "msg": f"Value error, {message}",
                                          "input": value, "ctx": {"error": {}}}]

"""The request/response layer never answers a server error (robustness issue #11).

Whatever the method, the body, the headers or the query, an API path answers a clear 4xx in the
contract's shapes (FastAPI's, compared with `fastapi_oracle` where it can tell) and writes nothing;
whatever is stored renders; and every API error is JSON, whatever DEBUG is.
"""
import json
import re
import uuid
from pathlib import Path

import pytest
from django.db import connection

from integrations.models import ExternalIntegration, ExternalProductMapping
from outfits.models import Outfit
from sartiq.catalog.models import Product, ShotType
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory
from shootings.tests.factories import LookFactory, ShootingFactory
from tests.fastapi_oracle import oracle

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
PARSE_ERROR = {"detail": "There was an error parsing the body"}
REFERENCE = json.loads((Path(__file__).parent / "reference" / "openapi-reference.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def served_openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)


def post_raw(client, raw, content_type="application/json", url=PRODUCTS):
    return client.generic("POST", url, raw, content_type=content_type)


def value_error(loc, message, input_):
    return {"type": "value_error", "loc": loc, "msg": f"Value error, {message}", "input": input_, "ctx": {"error": {}}}


def nul(loc, input_):
    return value_error(loc, "Null characters are not allowed.", input_)


def surrogate(loc, input_):
    return {"type": "string_unicode", "loc": loc,
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string", "input": input_}


# --- OPTIONS ------------------------------------------------------------------------------------
def test_options_answers_every_path_of_the_document_with_its_methods(anon, api):
    """The issue's six paths answered 500 (DRF's metadata step); every path now answers 200 with
    `Allow`, to anyone, with or without the trailing slash."""
    paths = served_openapi(anon)["paths"]
    assert len(paths) > 50
    for path, operations in paths.items():
        url = concrete(path)
        documented = {method.upper() for method in operations if method in METHODS}
        for client in (anon, api):
            for form in (url, url.rstrip("/")):
                response = client.options(form)
                assert response.status_code == 200, (path, response.status_code, response.content[:200])
                assert documented | {"OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}, path
                assert response.content == b""


@pytest.mark.parametrize("path", ["login/access-token", "login/test-token", "users/signup", "export-configuration/",
                                  "shots/looks/{id}/export", "shots/revisions/{id}/export"])
def test_options_on_the_paths_of_the_issue(anon, path):
    response = anon.options(concrete(f"/api/v1/{path}"))
    assert response.status_code == 200
    assert {"POST", "PUT"} & {m.strip() for m in response["Allow"].split(",")}


# --- errors are JSON on API paths, whatever DEBUG is ----------------------------------------------
@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("url", ["/api/v1/test-only/drf-error", "/api/v1/test-only/django-error"])
def test_an_unhandled_exception_is_a_json_500_and_is_logged(api, settings, caplog, debug, url):
    settings.DEBUG = debug
    api.raise_request_exception = False
    response = api.get(url)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal Server Error"}
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert len(logged) == 1 and logged[0].exc_info[0] is RuntimeError


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
def test_unknown_paths_wrong_methods_and_refused_hosts_answer_json_on_api_paths(api, anon, settings, debug):
    settings.DEBUG = debug
    for url in ("/api/v1/nope", "/api/nope", "/api/v1/products/x/y/z", "/api/"):
        response = api.get(url)
        assert (response.status_code, response["Content-Type"]) == (404, "application/json"), url
        assert response.json() == {"detail": "Not Found"}
    response = api.delete(PRODUCTS)  # a DRF view
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    response = anon.get("/api/v1/uploads/some-token")  # a plain Django view taking PUT only
    assert (response.status_code, response.json(), response["Allow"]) == (405, {"detail": "Method Not Allowed"}, "PUT")
    for method in ("TRACE", "PROPFIND"):
        response = api.generic(method, PRODUCTS)
        assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"}), method
    anon.raise_request_exception = False
    response = anon.get(PRODUCTS, HTTP_HOST="evil.example")  # Django refuses it before any view
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json() == {"detail": "Bad Request"}


def test_the_admin_and_the_docs_keep_html(anon, settings):
    settings.DEBUG = True
    assert anon.get("/admin/nope")["Content-Type"].startswith("text/html")
    assert anon.get("/docs")["Content-Type"].startswith("text/html")


# --- bodies ---------------------------------------------------------------------------------------
UNDECODABLE = {
    "nested deeper than Python decodes": "[" * 100_000 + "]" * 100_000,
    "an integer of 5000 digits": '{"name": "Tee", "year": ' + "7" * 5000 + "}",
    "not UTF-8": '{"name": "Tee", "brand": "Caf\xe9"}'.encode("latin-1"),
}


@pytest.mark.parametrize("raw", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_bodies_python_cannot_decode_answer_what_fastapi_answers(api, raw):
    theirs = oracle("POST", PRODUCTS, content=raw, headers={"content-type": "application/json"})
    response = post_raw(api, raw)
    assert (response.status_code, response.json()) == (theirs.status_code, theirs.json()) == (400, PARSE_ERROR)
    assert not Product.objects.exists()


def test_bodies_nested_deeper_than_the_limit_are_refused(api, settings):
    """Decodable, but validating, storing and rendering recurse over them (JSON_MAX_DEPTH)."""
    settings.JSON_MAX_DEPTH = 5
    at_limit = {"name": "Tee", "brand_metadata": {"a": [[{"b": 1}]]}}  # 5 levels of containers
    too_deep = {"name": "Tee", "brand_metadata": {"a": [[{"b": [1]}]]}}
    response = post_raw(api, json.dumps(too_deep))
    assert (response.status_code, response.json()) == (400, PARSE_ERROR)
    assert not Product.objects.exists()
    assert post_raw(api, json.dumps(at_limit)).status_code == 200


NON_FINITE = {  # body, the token refused, why
    "NaN in a JSON field": ('{"name": "Tee", "brand_metadata": {"k": NaN}}', "NaN", "Expecting value"),
    "Infinity in a JSON field": ('{"name": "Tee", "brand_metadata": {"k": [1, Infinity]}}', "Infinity",
                                 "Expecting value"),
    "-Infinity for an integer": ('{"name": "Tee", "year": -Infinity}', "-Infinity", "Expecting value"),
    "a number beyond a double": ('{"name": "Tee", "brand_metadata": {"k": 1e400}}', "1e400", "Number out of range"),
    "after a string holding the words": ('{"name": "NaN Infinity 1e400", "year": NaN}', "NaN", "Expecting value"),
}


@pytest.mark.parametrize("raw,token,message", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_non_finite_numbers_are_not_json(api, raw, token, message):
    response = post_raw(api, raw)
    assert response.status_code == 422, response.content
    assert response.json() == {"detail": [{"type": "json_invalid", "loc": ["body", raw.rindex(token)],
                                           "msg": "JSON decode error", "input": {}, "ctx": {"error": message}}]}
    assert not Product.objects.exists()


def test_unpaired_surrogates_are_refused_and_echoed_in_valid_json(api):
    raw = r'{"name": "\ud800", "brand": "ok", "brand_metadata": {"\udc00k": ["fine", "x\ud83d"], "pair": "\ud83d\ude00"}}'
    response = post_raw(api, raw)
    assert response.status_code == 422
    detail = json.loads(response.content.decode("utf-8"))["detail"]  # valid UTF-8, valid JSON
    assert detail == [surrogate(["body", "name"], "\ud800"),
                      surrogate(["body", "brand_metadata", "\udc00k", "[key]"], "\udc00k"),
                      surrogate(["body", "brand_metadata", "\udc00k", 1], "x\ud83d")]
    # A surrogate written in UTF-8 bytes (which Python's decoder lets through) is the same.
    response = post_raw(api, b'{"name": "\xed\xa0\x80"}')
    assert response.json()["detail"] == [surrogate(["body", "name"], "\ud800")]
    assert not Product.objects.exists()


@pytest.mark.parametrize("raw", ['{"name": 123456789012345678901234567890}',
                                 '{"name": "Tee", "year": -98765432109876543210987654321}'])
def test_integers_beyond_64_bits_are_read_and_echoed_exactly_as_fastapi_does(api, raw):
    theirs = oracle("POST", PRODUCTS, content=raw, headers={"content-type": "application/json"})
    response = post_raw(api, raw)
    assert response.status_code == theirs.status_code == 422
    assert response.content == theirs.content
    assert not Product.objects.exists()


def test_too_many_fields_in_a_form_a_multipart_body_or_a_query_is_a_clear_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    expected = {"detail": "Too many fields. Maximum number of fields is 10."}
    fields = {"name": "Tee", **{f"f{i}": "1" for i in range(10)}}
    form = "&".join(f"{k}={v}" for k, v in fields.items())
    # The form and multipart endpoints (login, media upload); JSON endpoints read JSON only.
    for response in (api.post("/api/v1/login/access-token", form, content_type="application/x-www-form-urlencoded"),
                     api.post("/api/v1/media-resources/", fields, format="multipart"),
                     api.get(f"{PRODUCTS}?{form}")):
        assert (response.status_code, response.json()) == (400, expected)
    assert not Product.objects.exists()


def test_a_multipart_body_without_a_named_part_is_a_parse_error_not_an_empty_form(api, user):
    """Django skips a part without `Content-Disposition: form-data; name=...`, so the fuzzer's
    multipart body of one such part read as an empty form, and a PATCH of it as a change of nothing
    answered 200. It is FastAPI's 400 now and changes nothing; an empty form and a named part still
    read as they did."""
    from sartiq.media.tests.factories import MediaResourceFactory

    media = MediaResourceFactory(owner=user, caption="kept")
    url = f"/api/v1/media-resources/{media.id}/"
    boundary = "a222103b9b30b1f9e8be6882ecedb1d2"
    content_type = f"multipart/form-data; boundary={boundary}"
    for raw in (f"--{boundary}\r\n[]--{boundary}--\r\n",
                f"--{boundary}\r\nX-Note: no name\r\n\r\ncaption=lost\r\n--{boundary}--\r\n"):
        response = api.generic("PATCH", url, raw, content_type=content_type)
        assert (response.status_code, response.json()) == (400, PARSE_ERROR), raw
        media.refresh_from_db()
        assert media.caption == "kept"
    response = api.generic("PATCH", url, f"--{boundary}--\r\n", content_type=content_type)
    assert response.status_code == 200, response.content
    named = (f'--{boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nnew\r\n'
             f"--{boundary}--\r\n")
    response = api.generic("PATCH", url, named, content_type=content_type)
    assert (response.status_code, response.json()["caption"]) == (200, "new")


def test_a_body_above_the_size_limit_is_413_whatever_its_type(api, settings):
    """JSON bodies were read past DATA_UPLOAD_MAX_MEMORY_SIZE (and forms answered HTML)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    expected = {"detail": "Request body too large: at most 1000 bytes"}
    description = "x" * 2000
    for response in (post_raw(api, json.dumps({"name": "Tee", "description": description})),
                     post_raw(api, f"name=Tee&description={description}", "application/x-www-form-urlencoded"),
                     api.put("/api/v1/uploads/some-token", description, content_type="image/png")):
        assert (response.status_code, response.json()) == (413, expected)
    assert not Product.objects.exists()


# --- NUL characters -------------------------------------------------------------------------------
def test_nul_characters_anywhere_in_a_body_are_refused_where_they_are(api, user):
    raw = json.dumps({"name": "Tee\x00", "brand": "ok", "reference_images": ["a.png", "b\x00.png"],
                      "brand_metadata": {"k\x00": 1, "deep": [{"x": "\x00"}], "fine": "yes"}})
    response = post_raw(api, raw)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        nul(["body", "name"], "Tee\x00"),
        nul(["body", "reference_images", 1], "b\x00.png"),
        nul(["body", "brand_metadata", "k\x00", "[key]"], "k\x00"),
        nul(["body", "brand_metadata", "deep", 0, "x"], "\x00"),
    ]
    assert not Product.objects.exists()


def test_unknown_body_fields_are_still_ignored_whatever_they_hold(api):
    response = post_raw(api, json.dumps({"name": "Tee", "not_a_field": "\x00", "\x00": {"k\x00": 1}}))
    assert response.status_code == 200, response.content
    nested = {"name": "Ava", "gender": "FEMALE", "measurements": {"height_cm": 170, "not_a_field": "\x00"}}
    assert post_raw(api, json.dumps(nested), url="/api/v1/subjects/").status_code == 200


def test_nul_characters_come_with_the_other_errors_and_never_twice(api):
    response = post_raw(api, json.dumps({"year": "\x00", "brand": "a\x00", "gender": "ALIEN"}))
    assert response.status_code == 422
    assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [
        ("missing", ["body", "name"]), ("value_error", ["body", "brand"]), ("enum", ["body", "gender"]),
        ("int_parsing", ["body", "year"])]


def _json_fields_cases(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    product = ProductFactory(owner=user)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS", integration_type="OVS")
    return [
        ("/api/v1/shot-types/", {"name": "Front", "margins": {"top": ["\x00"]}}, ["margins", "top", 0], ShotType),
        ("/api/v1/external-integrations/", {"name": "OVS", "integration_type": "OVS", "settings": {"k": "\x00"}},
         ["settings", "k"], None),
        ("/api/v1/external-product-mappings/", {"product_id": str(product.pk), "integration_id": str(integration.pk),
                                                "extra": {"\x00": "v"}}, ["extra", "\x00", "[key]"],
         ExternalProductMapping),
        ("/api/v1/outfits/", {"shooting_look_id": str(look.pk), "outfit_ref_imgs_urls": ["https://a.example/\x00"]},
         ["outfit_ref_imgs_urls", 0], Outfit),
        (f"/api/v1/shootings/looks/{look.pk}/outfit", {"outfit_instruction": "x", "outfit_ref_imgs_urls": ["\x00"]},
         ["outfit_ref_imgs_urls", 0], Outfit),
    ]


def test_nul_characters_in_json_fields_are_refused(api, user):
    """They reached PostgreSQL, which refuses \\u0000 in jsonb (DataError, a 500)."""
    for url, body, loc, model in _json_fields_cases(user):
        before = model.objects.count() if model else ExternalIntegration.objects.count()
        response = post_raw(api, json.dumps(body), url=url)
        assert response.status_code == 422, (url, response.content[:300])
        assert [e["loc"] for e in response.json()["detail"]] == [["body", *loc]], url
        assert (model.objects.count() if model else ExternalIntegration.objects.count()) == before


def test_nul_characters_in_a_form_body_are_refused(api):
    """Form and multipart bodies (the media upload) are checked like JSON ones."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sartiq.media.models import MediaResource
    from sartiq.media.tests.factories import png_bytes

    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    response = api.post("/api/v1/media-resources/", {"file": upload, "alt_text": "a\x00b"}, format="multipart")
    assert response.status_code == 422
    assert response.json()["detail"] == [nul(["body", "alt_text"], "a\x00b")]
    assert not MediaResource.objects.exists()


def test_json_endpoints_read_json_only_as_fastapi_does(api):
    """A form or multipart body on a JSON endpoint is not read field by field (an empty form value
    used to clear a reference, a list sent as a part was dropped): FastAPI's 422."""
    for body, content_type in (("name=Tee", "application/x-www-form-urlencoded"),
                               ("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nTee\r\n--b--\r\n",
                                "multipart/form-data; boundary=b")):
        response = post_raw(api, body, content_type)
        assert response.status_code == 422
        assert [e["type"] for e in response.json()["detail"]] == ["model_attributes_type"]
    assert not Product.objects.exists()
    form_paths = {path for path, operations in served_openapi(api)["paths"].items()
                  for operation in operations.values() if isinstance(operation, dict)
                  if set(operation.get("requestBody", {}).get("content", {})) - {"application/json"}}
    assert {p.rstrip("/") for p in form_paths} <= {"/api/v1/login/access-token", "/api/v1/media-resources",
                                                   "/api/v1/media-resources/{media_resource_id}"}, form_paths


def test_nul_characters_in_text_query_parameters_are_refused_on_every_list(api):
    """`?search=%00` reached PostgreSQL (DataError). Every string parameter of every GET."""
    checked = 0
    for path, operations in served_openapi(api)["paths"].items():
        operation = operations.get("get")
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter["in"] != "query" or schema.get("type") != "string" or "format" in schema or "enum" in schema:
                continue
            response = api.get(f"{concrete(path)}?{parameter['name']}=a%00")
            assert response.status_code == 422, (path, parameter["name"], response.content[:300])
            assert nul(["query", parameter["name"]], "a\x00") in response.json()["detail"], (path, parameter["name"])
            checked += 1
    assert checked >= 10


def test_a_repeated_query_key_counts_by_its_last_value_as_in_fastapi(api):
    url = f"{PRODUCTS}?limit=5&limit=1001&skip=-1&skip=0"
    theirs = oracle("GET", url)
    response = api.get(url)
    assert response.status_code == theirs.status_code == 422
    assert response.json() == theirs.json()


def test_unknown_query_parameters_are_still_ignored(api):
    assert api.get(f"{PRODUCTS}?not_a_parameter=%00").status_code == 200


# --- required bodies --------------------------------------------------------------------------------
MISSING_BODY = {"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]}


def _operations(doc):
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path.rstrip("/"), method, operation


def test_every_body_the_reference_requires_is_required(anon):
    ours = {(path, method): op for path, method, op in _operations(served_openapi(anon))}
    for path, method, operation in _operations(REFERENCE):
        body = operation.get("requestBody")
        if body:
            assert ours[path, method]["requestBody"].get("required", False) == body.get("required", False), (method, path)


def test_an_operation_whose_body_is_required_answers_a_missing_body_with_422(anon, api):
    """`PUT /shootings/{id}` without a body answered 200; FastAPI answers 422 for a body parameter
    without a default, whatever its fields. Every operation, as the document declares it."""
    required = optional = 0
    for path, method, operation in _operations(served_openapi(anon)):
        body = operation.get("requestBody")
        if not body:
            continue
        response = getattr(api, method)(concrete(path))
        if body.get("required") and set(body["content"]) <= {"application/x-www-form-urlencoded", "multipart/form-data"}:
            # Form fields only (the login), as FastAPI reads them: no body is each required field missing.
            required += 1
            schema = next(iter(body["content"].values()))["schema"]
            if "$ref" in schema:
                schema = served_openapi(anon)["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            assert response.status_code == 422, (method, path)
            assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [
                ("missing", ["body", name]) for name in schema["required"]], (method, path)
        elif body.get("required"):
            required += 1
            assert (response.status_code, response.json()) == (422, MISSING_BODY), (method, path)
        else:
            optional += 1
            assert response.status_code != 422, (method, path, response.content[:300])
            null_body = api.generic(method.upper(), concrete(path), "null", content_type="application/json")
            assert null_body.status_code == response.status_code, (method, path)
    assert required > 50 and optional == 3


def test_put_shooting_without_a_body_changes_nothing(api, user):
    shooting = ShootingFactory(owner=user, name="Kept")
    response = api.put(f"/api/v1/shootings/{shooting.pk}")
    assert (response.status_code, response.json()) == (422, MISSING_BODY)
    shooting.refresh_from_db()
    assert shooting.name == "Kept"


# --- stored values always render ------------------------------------------------------------------
def _nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def test_values_orjson_cannot_write_still_render(api, user):
    """An integer beyond 64 bits (stored before JSON fields were checked) made the object, its
    lists and everything embedding it answer 500; so would JSON nested deeper than 254 levels."""
    product = ProductFactory(owner=user)
    shot_type = ShotTypeFactory(owner=user)
    # Written as old rows were, below the model (whose JSON fields now refuse such values).
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Product._meta.db_table} SET brand_metadata = %s::jsonb WHERE id = %s",
                       [json.dumps({"big": 10**30, "deep": _nested(300)}), product.pk])
        cursor.execute(f"UPDATE {ShotType._meta.db_table} SET margins = %s::jsonb WHERE id = %s",
                       [json.dumps({"top": -(10**30)}), shot_type.pk])
    for url in (f"{PRODUCTS}{product.pk}", PRODUCTS):
        response = api.get(url)
        assert response.status_code == 200, url
        body = json.loads(response.content)
        metadata = body["brand_metadata"] if "brand_metadata" in body else body["data"][0]["brand_metadata"]
        assert metadata == {"big": 10**30, "deep": _nested(300)}
    for url in (f"/api/v1/shot-types/{shot_type.pk}", "/api/v1/shot-types/"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert str(10**30) in response.content.decode()


# --- headers ----------------------------------------------------------------------------------------
def test_the_accept_header_does_not_matter_as_with_fastapi(api):
    for accept in ("text/html", "application/xml", "image/png;q=1, */*;q=0"):
        response = api.get(PRODUCTS, HTTP_ACCEPT=accept)
        assert (response.status_code, response["Content-Type"]) == (200, "application/json"), accept
    assert api.get(f"{PRODUCTS}?format=xml").status_code == 200  # a parameter like any other


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.api+json",
                                          "APPLICATION/JSON"])
def test_json_bodies_are_read_as_fastapi_reads_them(api, content_type):
    """Any application/*+json type is JSON."""
    raw = json.dumps({"name": "Tee"})
    assert oracle("POST", PRODUCTS, content=raw, headers={"content-type": content_type}).status_code == 200
    response = post_raw(api, raw, content_type)
    assert response.status_code == 200, response.content
    assert Product.objects.get().name == "Tee"


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/xml", "image/png"])
def test_a_body_of_another_type_is_fastapis_422(api, content_type):
    """Even without a Content-Type (FastAPI's strict content type: a browser's form cannot post JSON)."""
    raw = json.dumps({"name": "Tee"})
    theirs = oracle("POST", PRODUCTS, content=raw, headers={"content-type": content_type})
    response = post_raw(api, raw, content_type)
    assert response.status_code == theirs.status_code == 422
    assert response.json() == theirs.json()
    assert not Product.objects.exists()


def test_the_login_form_reads_any_other_body_as_an_empty_form(anon):
    response = post_raw(anon, json.dumps({"username": "a@example.com", "password": "x"}), url="/api/v1/login/access-token")
    assert response.status_code == 422
    assert [(e["type"], e["loc"], e["input"]) for e in response.json()["detail"]] == [
        ("missing", ["body", "username"], None), ("missing", ["body", "password"], None)]


@pytest.mark.parametrize("raw, content_type", [
    (json.dumps({"username": "a@example.com", "password": "x"}), "application/json"),
    ("{}", "application/json"),
    ("{not json", "application/json"),
    ("username=a@example.com&password=x", "text/plain"),
    ("username=a@example.com", "application/x-www-form-urlencoded"),
    ("", "application/x-www-form-urlencoded"),
], ids=["JSON credentials", "JSON object", "not JSON", "form as text", "no password", "empty form"])
def test_the_login_answers_bodies_it_cannot_read_as_fastapi_does(anon, raw, content_type):
    """Issue #17: a JSON body is FastAPI's 422 naming the missing form fields, byte for byte (it
    once was 415)."""
    theirs = oracle("POST", "/api/v1/login/access-token", authenticated=False, content=raw,
                    headers={"content-type": content_type})
    response = post_raw(anon, raw, content_type, url="/api/v1/login/access-token")
    assert response.status_code == theirs.status_code == 422
    assert response.json() == theirs.json()


@pytest.mark.parametrize("length", ["abc", "-5", "0"])
def test_a_content_length_that_lies_is_no_server_error(api, length):
    response = api.generic("POST", PRODUCTS, json.dumps({"name": "Tee"}), content_type="application/json",
                           CONTENT_LENGTH=length)
    assert response.status_code in (200, 422), response.content


def test_an_empty_query_value_is_validated_not_ignored(api):
    """`?shooting_id=` listed every shot and `?organization_id=` the personal list: FastAPI answers
    422, since an empty string is not a UUID (found by make fuzz). An empty text filter filters nothing."""
    for url, name in (("/api/v1/shots/?shooting_id=", "shooting_id"),
                      ("/api/v1/shots/?shooting_look_id=", "shooting_look_id"),
                      ("/api/v1/shootings/?organization_id=", "organization_id"),
                      ("/api/v1/external-product-mappings/?product_id=", "product_id")):
        response = api.get(url)
        assert response.status_code == 422, url
        assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [("uuid_parsing", ["query", name])]
    assert api.get(f"{PRODUCTS}?search=&brand=").status_code == 200


def test_strings_are_kept_as_sent(api):
    """DRF trimmed strings (and control characters \\x1c-\\x1f with them); Pydantic keeps them."""
    for name in ("  padded  ", "\x1d\x1dz\x1d"):
        response = api.post("/api/v1/organizations/", {"name": name}, format="json")
        assert (response.status_code, response.json()["name"]) == (200, name)


def test_the_openapi_document_says_what_responses_carry(api):
    """Found by make fuzz's response checks: nullable enums, nullable free JSON, an upload field."""
    schemas = served_openapi(api)["components"]["schemas"]
    assert {"$ref": "#/components/schemas/NullEnum"} in schemas["ShootingLookPublic"]["properties"]["shot_status"]["oneOf"]
    assert schemas["NullEnum"] == {"type": "null"}
    assert "oneOf" not in schemas["ShotTypePublic"]["properties"]["margins"]  # any JSON value, null included
    assert schemas["MediaResourceCreate"]["properties"]["file"] == {"type": "string", "format": "binary"}


def test_put_bodies_are_documented_as_partial_as_they_are(api):
    """Every PUT takes a partial body (docs/decisions.md); the document said some fields were
    required, so make fuzz reported their absence accepted."""
    document = served_openapi(api)
    puts = [operations["put"] for operations in document["paths"].values() if "put" in operations]
    assert puts
    for operation in puts:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert not document["components"]["schemas"][ref].get("required"), (operation["operationId"], ref)

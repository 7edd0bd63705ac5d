"""`make fuzz`'s own logic (fuzz/): the schemathesis configuration it derives from a schema and a
seeded tree, and what it reads from the server's log. The run itself is `make fuzz` (in CI)."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from schemathesis.config import SchemathesisConfig

from fuzz import config, logs
from fuzz.seed import Seeded

REFERENCE = json.loads((Path(__file__).parent / "reference" / "openapi-reference.json").read_text())
ORG = "00000000-0000-4000-8000-00000000000a"


def tree(prefix: str) -> dict:
    kinds = ("shooting", "look", "shot", "revision", "product", "subject", "shot_type", "style", "guidelines",
             "look_shooting", "shooting_look", "organization", "user")
    return {kind: [f"{prefix}-{kind}-{n}" for n in range(2)] for kind in kinds}


def rendered(schema=REFERENCE) -> dict:
    seeded = Seeded(token="t0ken", organization=ORG,
                    ids={"personal": tree("p"), "org": tree("o")},
                    victims={"personal": tree("pv"), "org": tree("ov")})
    text = config.render(schema=schema, base_url="http://127.0.0.1:1", seeded=seeded, max_examples=7, workers=2,
                         seed=3, max_time=60, report_dir="/tmp/report")
    SchemathesisConfig.from_str(text)  # schemathesis itself accepts it
    return tomllib.loads(text)


def operation(document: dict, name: str) -> dict:
    matches = [entry["parameters"] for entry in document["operations"] if entry["include-name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def test_resource_parameters_take_seeded_ids_from_both_tenants():
    document = rendered()
    assert document["headers"] == {"Authorization": "Bearer t0ken"}
    assert document["dictionaries"]["shooting"]["values"] == ["o-shooting-0", "o-shooting-1", "p-shooting-0",
                                                              "p-shooting-1"]
    parameters = document["parameters"]
    assert parameters["path.shooting_id"] == {"dictionary": "shooting", "probability": 0.9}
    # Body fields found by walking the request schemas, lists item by item, nested ones too.
    assert parameters["body.shooting_look_id"]["dictionary"] == "look"
    assert parameters["body.subject_ids[*]"]["dictionary"] == "subject"
    assert parameters["body.product_outfit_configs[*].style_id"]["dictionary"] == "style"
    assert "query.organization_id" not in parameters  # set per operation


def test_operations_with_an_organization_work_in_the_fuzz_users_one():
    parameters = operation(rendered(), "POST /api/v1/shootings/")
    assert parameters["query.organization_id"] == ORG
    assert parameters["body.default_guidelines_id"] == {"dictionary": "org_guidelines", "probability": 0.8}
    assert "body.set_design_id" not in rendered()["parameters"]  # a kind without seeded ids keeps its values
    assert parameters["body.organization_id"] == {"dictionary": "org_organization", "probability": 0.8}


def test_deletes_take_victims_and_nested_paths_matching_pairs():
    document = rendered()
    assert operation(document, "DELETE /api/v1/shots/{shot_id}")["path.shot_id"] == {
        "dictionary": "victim_shot", "probability": 1.0}
    nested = operation(document, "DELETE /api/v1/shootings/{shooting_id}/looks/{look_id}")
    assert nested["path.shooting_id"]["dictionary"] == "personal_victim_look_shooting"
    assert nested["path.look_id"]["dictionary"] == "personal_victim_shooting_look"
    assert document["dictionaries"]["personal_victim_look_shooting"]["values"] == ["pv-look_shooting-0",
                                                                                   "pv-look_shooting-1"]
    assert operation(document, "GET /api/v1/shootings/{shooting_id}/looks/{look_id}")["path.look_id"] == {
        "dictionary": "org_shooting_look", "probability": 0.9}  # it takes organization_id


def test_server_errors_are_read_from_the_log_with_their_exception(tmp_path):
    log = tmp_path / "web.log"
    log.write_text(
        "Internal Server Error: /api/v1/subjects/\n"
        "2026-11-29 01:51:17,635 ERROR django.request: Internal Server Error: /api/v1/subjects/\n"
        "Traceback (most recent call last):\n"
        f'  File "{logs.BASE_DIR}/sartiq/api/pagination.py", line 31, in paginate_queryset\n'
        "    return queryset.count()\n"
        '  File "/venv/lib/python3.11/site-packages/psycopg/cursor.py", line 117, in execute\n'
        "    raise ex.with_traceback(None)\n"
        "django.db.utils.DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes\n"
        '127.0.0.1 - - [29/Nov/2026:01:51:17 +0000] "GET /api/v1/subjects/ HTTP/1.1" 500 145 "-" "schemathesis"\n'
    )
    assert logs.server_errors(log) == {
        ("django.db.utils.DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes",
         "sartiq/api/pagination.py:31 in paginate_queryset"): ["/api/v1/subjects/"],
    }


def test_failed_tasks_are_read_from_the_worker_log(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text("[2026-11-29 01:51:17,635: ERROR/ForkPoolWorker-1] Task shots.run_generation"
                   "[4f1c2d3e-0000-4000-8000-000000000001] raised unexpected: ValueError('bad 123456')\n")
    assert logs.task_errors(log) == {("shots.run_generation", "ValueError('bad N')"): 1}


def test_failing_cases_are_read_from_schemathesis_output_with_their_curl(tmp_path):
    output = tmp_path / "output.txt"
    output.write_text(
        "=== FAILURES ===\n"
        "_____ PUT /api/v1/shots/{shot_id} _____\n"
        "1. Test Case ID: 2kgnHs\n\n"
        "- ST201 Schema-violating request accepted\n\n"
        "    Invalid component: Missing request body\n\n"
        "[200] OK:\n\n"
        "    `{\"id\": \"x\"}`\n\n"
        "Reproduce with:\n\n"
        "    curl -X PUT -H 'Authorization: [Filtered]' http://127.0.0.1:1/api/v1/shots/abc\n\n"
        "    st replay 2kgnHs\n\n"
        "=== SUMMARY ===\n"
    )
    assert logs.failing_cases(output) == [
        ("PUT /api/v1/shots/{shot_id}", "ST201", "200",
         "curl -X PUT -H 'Authorization: [Filtered]' http://127.0.0.1:1/api/v1/shots/abc"),
    ]


def test_refusals_by_the_http_server_count_as_rejections_of_bad_data():
    """A 5 KB query string is refused by gunicorn with 414 before Django sees it: a refusal, which
    schemathesis's default list omits (found by CI's make fuzz); 2xx stays a failure."""
    checks = rendered()["checks"]
    check = SchemathesisConfig.from_dict({"checks": checks}).projects.default.checks.negative_data_rejection
    assert {"413", "414", "431", "422", "400"} <= set(check.expected_statuses)
    assert not any(status.startswith("2") for status in check.expected_statuses)


def test_an_upload_is_judged_by_the_fields_as_sent():
    """fuzz/hooks.py mends schemathesis's form check for bodies with a file part: without it, a
    multipart body whose fields are all valid as sent counts as schema-violating (the check cannot
    validate the file's bytes and reads that as invalid). With it, valid-as-sent is valid and a
    field invalid as sent is still invalid."""
    import requests
    import schemathesis
    from schemathesis.transport.serialization import Binary

    from fuzz import hooks

    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/media/": {"post": {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "alt_text": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]}}}}}},
        "responses": {"200": {"description": "ok"}}}}}}
    upload = schemathesis.openapi.from_dict(document)["/media/"]["POST"]

    def judged(alt_text, check) -> bool:
        # A file is generated as a `Binary`, as schemathesis draws one for `format: binary`.
        case = upload.Case(body={"file": Binary(b"RIFF\x1a\x00\x00\x00WEBP\xff"), "alt_text": alt_text},
                           media_type="multipart/form-data")
        request = requests.Request(**case.as_transport_kwargs(base_url="http://127.0.0.1:1")).prepare()
        valid = check(type("Response", (), {"request": request})(), case, "multipart/form-data")
        assert isinstance(case.body["file"], Binary)  # the case is left as it was
        return valid

    original = hooks._schemathesis_form_body_is_valid_as_sent
    assert judged(True, original) is False  # the text `true` is a valid string: schemathesis's mistake
    assert judged(True, hooks._form_body_is_valid_as_sent) is True
    assert judged("far too long", hooks._form_body_is_valid_as_sent) is False

"""Loaded into schemathesis by `make fuzz` (SCHEMATHESIS_HOOKS): a serialized `ast.parse`, the
schemas told that booleans take 0 and 1 as Pydantic's lax mode does (see `_lax_booleans`), and
file parts validated as what they are on the wire (see `_form_body_is_valid_as_sent`).

CPython 3.11 can fail `ast.parse` when two threads call it at once ("SystemError: AST constructor
recursion depth mismatch", CPython gh-106905). Hypothesis parses the source of filter lambdas with
it while schemathesis's workers generate cases in threads, so a run with two workers reported such
errors as its own. One parse at a time avoids them at no measurable cost (hypothesis caches what it
parsed).
"""
from __future__ import annotations

import ast
import threading

_lock = threading.Lock()
_parse = ast.parse


def _serialized_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialized_parse


import schemathesis  # noqa: E402


def _lax_booleans(node) -> None:
    """Pydantic's lax mode, and so FastAPI and the reference, takes 0 and 1 for a boolean field; so
    does this API, deliberately (docs/decisions.md). Without saying so, negative_data_rejection reports
    every `"archived": 0` accepted with 200 as a schema-violating request: the schemas schemathesis
    works from say it, `anyOf: [boolean, 0 or 1]`. Nothing else is loosened."""
    if isinstance(node, dict):
        if node.get("type") == "boolean":
            rest = {key: value for key, value in node.items() if key != "type"}
            node.clear()
            node.update(rest, anyOf=[{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}])
            return  # nothing below a boolean
        for value in list(node.values()):
            _lax_booleans(value)
    elif isinstance(node, list):
        for value in node:
            _lax_booleans(value)


@schemathesis.hook
def before_load_schema(ctx, raw_schema: dict) -> None:
    _lax_booleans(raw_schema)


from schemathesis.specs.openapi import checks as _checks  # noqa: E402
from schemathesis.transport.serialization import Binary  # noqa: E402

_schemathesis_form_body_is_valid_as_sent = _checks._form_body_is_valid_as_sent


def _as_wire_text(value):
    """A file's content (schemathesis's `Binary`, or bytes) as a plain string, as the schema's
    `type: string, format: binary` describes it; any other value as it is."""
    if isinstance(value, Binary):
        return value.data.decode("latin-1")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return value


def _form_body_is_valid_as_sent(response, case, media_type: str) -> bool:
    """schemathesis 4.32.5 decides whether a negative multipart body is valid as sent (a boolean
    `alt_text` goes on the wire as the text `true`, which is a valid string) by validating the
    fields as sent, but keeps a file part's generated value, a `Binary` (a str subclass holding
    bytes), which its JSON Schema validator refuses ("Unsupported type: 'Binary'"); it reads that
    exception as "invalid". So every upload whose fields were all valid as sent was reported as a
    "schema-violating request accepted" (CI, seed 199076040: `POST /media-resources/` with
    `alt_text=true`). The same validation, with a file's content as the string it is on the wire;
    everything else as schemathesis does it (tests/test_fuzz_harness.py)."""
    body = case.body
    if isinstance(body, dict):
        case.body = {name: _as_wire_text(value) for name, value in body.items()}
    try:
        return _schemathesis_form_body_is_valid_as_sent(response, case, media_type)
    finally:
        case.body = body


_checks._form_body_is_valid_as_sent = _form_body_is_valid_as_sent

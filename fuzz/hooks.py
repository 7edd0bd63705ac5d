"""Loaded into schemathesis by `make fuzz` (SCHEMATHESIS_HOOKS): a serialized `ast.parse`, and the
schemas told that booleans take 0 and 1 as Pydantic's lax mode does (see `_lax_booleans`).

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

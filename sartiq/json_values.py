"""Free JSON that clients store (`margins`, `brand_metadata`, `settings`, `extra`...): what may be
stored so that every later read can render it, and what a request may send.

A number PostgreSQL keeps exactly but the API cannot write back broke every read of the object
(and of everything embedding it: `/shot-types/`, shots, looks) until it was overwritten: the
JSON renderer (orjson) refuses integers beyond 64 bits, and `jsonb` turns a large float (`1e30`)
into an integer. So:

- **Stored** (every write, `sartiq.models.JSONField`): numbers are finite and within JavaScript's
  safe integers, ±(2^53 − 1), so that a web app reads back exactly the number it stored (a float
  beyond that is read back as an integer anyway), and nesting is at most `STORED_MAX_DEPTH` levels
  (the renderer's own limit is 255).
- **Sent** (request bodies, `sartiq.api.requests.JSONValue`/`JSONObject`): the same, and at most
  `JSON_INPUT_MAX_DEPTH` levels and `JSON_INPUT_MAX_BYTES` bytes of JSON per field (settings).

Errors are Pydantic's own (`less_than_equal`, `greater_than_equal`, `finite_number`), located at
the offending element, or a `value_error` for depth and size.
"""
from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.db import models
from pydantic_core import InitErrorDetails, ValidationError

MAX_SAFE_INTEGER = 2**53 - 1
STORED_MAX_DEPTH = 64


def problems(value: Any, *, max_depth: int, max_bytes: int | None = None) -> list[InitErrorDetails]:
    """What is wrong with a JSON value, as Pydantic error details located inside the value."""
    found: list[InitErrorDetails] = []
    _walk(value, (), 0, max_depth, found)
    if not found and max_bytes is not None:
        # surrogatepass: an unpaired surrogate is the request phase's to refuse (422), not a crash here.
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            found.append(_value_error((), None, f"the value is {size} bytes of JSON; at most {max_bytes} are accepted"))
    return found


def _walk(value, loc: tuple, depth: int, max_depth: int, found: list) -> None:
    if len(found) >= 10:  # enough to say what is wrong
        return
    if isinstance(value, (dict, list)):
        if depth + 1 > max_depth:
            found.append(_value_error(loc, None, f"nested deeper than {max_depth} levels"))
            return
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _walk(item, (*loc, key), depth + 1, max_depth, found)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, float) and not math.isfinite(value):
        found.append({"type": "finite_number", "loc": loc, "input": value})
    elif isinstance(value, (int, float)):
        if value > MAX_SAFE_INTEGER:
            found.append({"type": "less_than_equal", "loc": loc, "input": value, "ctx": {"le": MAX_SAFE_INTEGER}})
        elif value < -MAX_SAFE_INTEGER:
            found.append({"type": "greater_than_equal", "loc": loc, "input": value, "ctx": {"ge": -MAX_SAFE_INTEGER}})


def _value_error(loc: tuple, value, message: str) -> InitErrorDetails:
    # The input is not repeated for depth and size: echoing it would be as deep, or as large.
    return {"type": "value_error", "loc": loc, "input": value, "ctx": {"error": ValueError(message)}}


def as_validation_error(details: list[InitErrorDetails]) -> ValidationError:
    return ValidationError.from_exception_data("JSON value", details)


def describe(details: list[InitErrorDetails]) -> str:
    """One line per problem, for messages outside the API (the admin, a refused write)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                     for e in as_validation_error(details).errors(include_url=False))


def check_input(value: Any) -> Any:
    """Validate a JSON value a client sends (a Pydantic validator: raises its ValidationError)."""
    details = problems(value, max_depth=settings.JSON_INPUT_MAX_DEPTH, max_bytes=settings.JSON_INPUT_MAX_BYTES)
    if details:
        raise as_validation_error(details)
    return value


def check_stored(value: Any) -> None:
    """Refuse to store a value a later read could not render (ValueError naming what is wrong)."""
    details = problems(value, max_depth=STORED_MAX_DEPTH)
    if details:
        raise ValueError(f"JSON value cannot be stored: {describe(details)}")


def repaired(value: Any, depth: int = 0) -> Any:
    """A stored value made renderable without losing what it said: a number beyond the safe range
    becomes its decimal text, a part nested too deep becomes its JSON text."""
    if isinstance(value, (dict, list)):
        if depth + 1 > STORED_MAX_DEPTH:
            return json.dumps(value)
        if isinstance(value, dict):
            return {key: repaired(item, depth + 1) for key, item in value.items()}
        return [repaired(item, depth + 1) for item in value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if abs(value) > MAX_SAFE_INTEGER:
        return str(value) if isinstance(value, int) else repr(value)
    return value


def repair_stored(apps, app_label: str) -> int:
    """Rewrite the rows of `app_label` whose JSON columns hold something a read cannot render
    (stored before this check existed). Used by the apps' data migrations; returns rows changed."""
    changed = 0
    for model in apps.get_app_config(app_label).get_models():
        columns = [f.name for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        for column in columns:
            fixes = []
            for pk, value in model._default_manager.values_list("pk", column).iterator(chunk_size=2000):
                if value is not None and problems(value, max_depth=STORED_MAX_DEPTH):
                    fixes.append(model(pk=pk, **{column: repaired(value)}))
            model._default_manager.bulk_update(fixes, [column], batch_size=500)
            changed += len(fixes)
    return changed

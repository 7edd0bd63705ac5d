"""The JSON renderer: orjson, and Python's json for what orjson refuses, so that no stored value and
no echoed input can turn an answer into a server error."""
from __future__ import annotations

import datetime
import enum
import json
import math
from collections.abc import Mapping
from typing import Any

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer


class JSONRenderer(ORJSONRenderer):
    """orjson refuses integers beyond 64 bits (a JSON field may hold one), strings with unpaired
    surrogates (echoed in a 422), and nesting deeper than 254 levels. Those answers are written by
    Python's json as FastAPI writes them (`ensure_ascii=False`, compact separators): big integers
    exact, and where a string cannot be UTF-8, `\\uXXXX` escapes (valid JSON, valid UTF-8)."""

    def render(self, data: Any, media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, media_type, renderer_context)
        except orjson.JSONEncodeError:
            return render_with_json(data)


def render_with_json(data: Any) -> bytes:
    plain = _plain(data)
    try:
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return json.dumps(plain, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _plain(value: Any) -> Any:
    """`value` as json.dumps takes it, converted as orjson and its renderer's `default` convert it
    (Decimal as float, UUIDs and lazy strings as `str`, datetimes in ISO 8601, non-finite floats as
    null), and an integer too long for a decimal string (more than 4300 digits) as null."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        try:
            str(value)
        except ValueError:
            return None
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key if isinstance(key, str) else str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):  # as orjson writes them
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    converted = ORJSONRenderer.default(value)
    if converted is None or converted is value:
        return None if converted is None else str(value)
    if isinstance(converted, float):
        return converted if math.isfinite(converted) else None
    return _plain(converted)

"""JSON parsing with FastAPI's 422 `json_invalid` error for malformed bodies."""
from __future__ import annotations

import json

import orjson
from rest_framework import parsers

from sartiq.api.validation import error


def json_invalid(raw: bytes | str) -> dict | None:
    """FastAPI's error for a body that is not JSON, located at the character that broke it."""
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        return error("json_invalid", ("body", exc.pos), "JSON decode error", {}, {"error": exc.msg})
    except UnicodeDecodeError:
        return error("json_invalid", ("body", 0), "JSON decode error", {}, {"error": "Invalid UTF-8"})
    return None


class JSONParser(parsers.BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        from sartiq.api.errors import RequestValidationError

        raw = stream.read()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            problem = json_invalid(raw)
            if problem is None:  # the standard library is more lenient (huge integers)
                return json.loads(raw)
            raise RequestValidationError([problem])

"""Request bodies read as FastAPI reads them, refusing what the database or the renderer cannot take.

JSON is decoded by Python's `json`, as FastAPI decodes it (big integers stay exact; the positions
and messages of a `json_invalid` 422 are the same). On top of FastAPI: `NaN`, `Infinity` and
numbers beyond a double are not JSON and are refused (422 `json_invalid`), and a document nested
deeper than `JSON_MAX_DEPTH` is refused like one Python cannot decode at all (400 "There was an
error parsing the body", FastAPI's answer to a too-deep document or a 5000-digit number): nothing
later (validation, storage, rendering) recurses that deep.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers
from rest_framework.negotiation import DefaultContentNegotiation

from sartiq.api.validation import RequestValidationError, error

PARSE_ERROR = "There was an error parsing the body"  # FastAPI's words


class _NonFinite(Exception):
    """A number that is not a finite double: not JSON (NaN, Infinity) or out of range (1e400)."""


def _refuse_constant(name: str):
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def loads(raw: bytes | str) -> Any:
    """The body's JSON value; raises 422 `json_invalid` or a 400 parse error as FastAPI would."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise RequestValidationError([json_invalid(exc.pos, exc.msg)]) from None
    except _NonFinite:
        position, message = _non_finite_number(raw)
        raise RequestValidationError([json_invalid(position, message)]) from None
    except (ValueError, RecursionError):
        # Not in an encoding JSON allows, an integer of more than 4300 digits, nested too deep.
        raise exceptions.ParseError(PARSE_ERROR) from None
    if _deeper_than(value, settings.JSON_MAX_DEPTH):
        raise exceptions.ParseError(PARSE_ERROR)
    return value


def json_invalid(position: int, message: str) -> dict:
    """FastAPI's error for a body that is not JSON, located at the character that broke it."""
    return error("json_invalid", ("body", position), "JSON decode error", {}, {"error": message})


# Strings (skipped whole), the constants Python accepts, and numbers.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?Infinity|NaN)|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)', re.S)


def _non_finite_number(raw: bytes | str) -> tuple[int, str]:
    """Where the first non-finite number is in a document Python's json otherwise accepts."""
    text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw), "surrogatepass")
    for match in _TOKENS.finditer(text):
        if match.group(1):
            return match.start(), "Expecting value"  # what a strict parser says of a token that is no value
        if match.group(2) and not math.isfinite(float(match.group(2))):
            return match.start(), "Number out of range"
    return 0, "Expecting value"


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser class (so that DRF reads the body through `request.body`, which enforces
    DATA_UPLOAD_MAX_MEMORY_SIZE), decoding with `loads`."""

    def parse(self, stream, media_type=None, parser_context=None):
        return loads(stream.read())


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a body it could read nothing from (400 "There was an error
    parsing the body", FastAPI's answer to a malformed form). Django skips a part without a
    `Content-Disposition: form-data; name=...` header silently, so a body of such parts would read
    as an empty form, and an update as a change of nothing answered 200. An empty form (the closing
    boundary alone, as a browser sends an empty FormData) is still an empty form."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        if not result.data and not result.files:
            request = (parser_context or {}).get("request")
            boundary = parse_header_parameters(media_type or "")[1].get("boundary", "")
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
            if length > len(f"\r\n--{boundary}--\r\n"):
                raise exceptions.ParseError(PARSE_ERROR)
        return result


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or `application/<anything>+json`, parameters ignored (FastAPI's test)."""
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (main.startswith("application/") and main.endswith("+json"))


class ContentNegotiation(DefaultContentNegotiation):
    """FastAPI's rules: a body is JSON when its Content-Type is `application/json` or any
    `application/*+json` (parameters ignored; none at all is not JSON: FastAPI's strict content
    type); responses are JSON whatever the Accept header asks (no 406)."""

    def select_parser(self, request, parsers):
        if is_json_media_type(request.content_type or ""):
            json_parser = next((p for p in parsers if isinstance(p, JSONParser)), None)
            if json_parser is not None:
                return json_parser
        return super().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type

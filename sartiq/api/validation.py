"""Validation errors in the exact shape FastAPI / Pydantic v2 emit them.

The original service answers bad input with Pydantic's error list. Requests are validated by
Pydantic itself: bodies and queries against their request models (`sartiq.api.requests`), path
and filter parameters against their declared types (`validate`, `sartiq.api.filters`); this module
renders the errors as FastAPI does, and adds what PostgreSQL cannot store (NUL characters,
unpaired surrogates) where the types do not refuse it already.
"""
from __future__ import annotations

import decimal
import re
import types
import typing
from functools import lru_cache
from typing import Annotated, Any, Mapping, Union

import pydantic
from django.utils.datastructures import MultiValueDict
from pydantic import TypeAdapter
from pydantic_core import PydanticCustomError
from rest_framework import exceptions, status


class RequestValidationError(exceptions.APIException):
    """422 with Pydantic's error list; raised once per request with every error found."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "validation_error"

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(detail="Validation error")


MISSING = object()
Loc = tuple


def _json_safe(value: Any) -> Any:
    if isinstance(value, BaseException):
        # FastAPI runs errors through jsonable_encoder, which turns an exception into {}.
        return {}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def error(type_: str, loc: Loc, msg: str, input_: Any, ctx: dict | None = None) -> dict:
    """One error entry as FastAPI renders it."""
    entry = {"type": type_, "loc": list(loc), "msg": msg, "input": _json_safe(input_)}
    if ctx is not None:
        entry["ctx"] = _json_safe(ctx)
    return entry


def missing(loc: Loc, parent: Any) -> dict:
    return error("missing", loc, "Field required", None if parent is MISSING else parent)


def value_error(loc: Loc, message: str, input_: Any) -> dict:
    """What a Pydantic validator raising ValueError(message) produces."""
    return error("value_error", loc, f"Value error, {message}", input_, {"error": {}})


@lru_cache(maxsize=512)
def _adapter(annotation: Any) -> TypeAdapter:
    return TypeAdapter(annotation)


def model_errors(exc: pydantic.ValidationError, loc: Loc) -> list[dict]:
    """A Pydantic ValidationError's errors as FastAPI renders them, located under `loc`."""
    return [error(e["type"], (*loc, *e["loc"]), e["msg"], e.get("input"), e.get("ctx"))
            for e in exc.errors(include_url=False)]


def validate_model(model: type[pydantic.BaseModel], value: Any, loc: Loc,
                   context: dict | None = None) -> tuple[Any, list[dict]]:
    """Validate a request's body or query against its model (as FastAPI validates it); returns
    (instance, errors). `context` is the validators' `info.context`."""
    try:
        return model.model_validate(value, from_attributes=True, context=context), []
    except pydantic.ValidationError as exc:
        return None, model_errors(exc, loc)


def validate(annotation: Any, value: Any, loc: Loc) -> tuple[Any, list[dict]]:
    """Validate a path or query parameter against its type as FastAPI does; returns (value, errors)."""
    try:
        return _adapter(annotation).validate_python(value), []
    except pydantic.ValidationError as exc:
        return None, model_errors(exc, loc)


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def _integer_text(value):
    """Query text of an `integer` parameter (annotated with QUERY_INTEGER): ASCII digits with an
    optional sign. Pydantic also reads `0.0`, ` 1` and `1_0` as integers, which the OpenAPI
    document does not allow."""
    if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
    return value


QUERY_INTEGER = pydantic.BeforeValidator(_integer_text)


MODEL_ATTRIBUTES_TYPE = "Input should be a valid dictionary or object to extract fields from"


# --- text the database cannot store -------------------------------------------------------------
NUL_CHARACTERS = "Null characters are not allowed."  # DRF's CharField words it so
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_error(text: str, loc: Loc) -> dict | None:
    if "\x00" in text:
        return value_error(loc, NUL_CHARACTERS, text)
    if not text.isascii() and _SURROGATE.search(text):
        # What Pydantic answers for such a string (PostgreSQL could not store it either).
        return error("string_unicode", loc, "Input should be a valid string, unable to parse raw data as a unicode "
                                            "string", text)
    return None


def text_errors(value: Any, loc: Loc) -> list[dict]:
    """Pydantic-shaped errors for every string of `value`, at any depth, object keys included, that
    PostgreSQL cannot store: a NUL character (in text as in jsonb; DRF's CharField message) or an
    unpaired surrogate (JSON's `\\ud800` escape makes one; Pydantic's `string_unicode`). A key is
    located as Pydantic locates a dictionary key: `[..., key, "[key]"]`. Forms and query strings
    (MultiValueDicts) locate a repeated key's values by index."""
    errors: list[dict] = []
    stack = [(loc, value)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if found := _text_error(value, loc):
                errors.append(found)
            continue
        if isinstance(value, MultiValueDict):
            children = []
            for key, values in value.lists():
                children += [((*loc, key), values[0])] if len(values) == 1 else [
                    ((*loc, key, index), item) for index, item in enumerate(values)]
            keys = value.keys()
        elif isinstance(value, Mapping):
            children, keys = [((*loc, key), item) for key, item in value.items()], value.keys()
        elif isinstance(value, (list, tuple)):
            children, keys = [((*loc, index), item) for index, item in enumerate(value)], ()
        else:
            continue
        for key in keys:
            if isinstance(key, str) and (found := _text_error(key, (*loc, key, "[key]"))):
                errors.append(found)
        stack.extend(reversed(children))
    return errors


def add_text_errors(errors: list[dict], found: list[dict]) -> list[dict]:
    """`errors` plus the text errors of `found` that no error of `errors` already covers (at the
    same place or around it: a field refused for its type is not also refused for its content; a
    cross-field rule broken by the whole body covers nothing)."""
    covered = [tuple(entry["loc"]) for entry in errors if len(entry["loc"]) > 1 or entry["type"] != "value_error"]
    return errors + [entry for entry in found
                     if not any(tuple(entry["loc"][:len(loc)]) == loc for loc in covered)]


# --- request models -----------------------------------------------------------------------------
def model_text_errors(model: type[pydantic.BaseModel], value: Any, loc: Loc) -> list[dict]:
    """`text_errors` of the parts of `value` that `model` reads: its fields (unknown keys are
    ignored, as Pydantic ignores them), through nested models, lists and dicts; anything else (free
    JSON, a string) whole."""
    fields = model.model_fields
    if isinstance(value, MultiValueDict):  # a form: `name`, `name.key`, `name[0]` are read by `name`
        prefixes = tuple(f"{name}{mark}" for name in fields for mark in ".[")
        read = {key: value.getlist(key) for key in value if key in fields or key.startswith(prefixes)}
        return text_errors(MultiValueDict(read), loc)
    if isinstance(value, Mapping):
        return [error for name, field in fields.items() if name in value
                for error in annotation_text_errors(field.annotation, value[name], (*loc, name))]
    return text_errors(value, loc)


def annotation_text_errors(annotation: Any, value: Any, loc: Loc) -> list[dict]:
    for arg in union_args(annotation):
        origin = typing.get_origin(arg) or arg
        if isinstance(origin, type) and issubclass(origin, pydantic.BaseModel) and isinstance(value, Mapping):
            return model_text_errors(origin, value, loc)
        if origin is list and isinstance(value, (list, tuple)):
            (item,) = typing.get_args(arg) or (Any,)
            return [error for index, element in enumerate(value)
                    for error in annotation_text_errors(item, element, (*loc, index))]
        if origin is dict and isinstance(value, Mapping):
            _, item = typing.get_args(arg) or (Any, Any)
            errors = []
            for key, element in value.items():
                errors += text_errors({key: None}, loc)  # the key itself
                errors += annotation_text_errors(item, element, (*loc, key))
            return errors
    return text_errors(value, loc)


def union_args(annotation: Any) -> tuple:
    """The types an annotation admits: `Optional[Annotated[X, ...]]` is (X, NoneType)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return union_args(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return tuple(a for arg in typing.get_args(annotation) for a in union_args(arg))
    return (annotation,)

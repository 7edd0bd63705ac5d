"""Validation errors in the exact shape FastAPI / Pydantic v2 emit them.

The original service answers bad input with Pydantic's error list. Rather than imitate Pydantic's
messages, we ask Pydantic: a DRF field that rejects a value is mapped to the equivalent Pydantic
type, and the raw input is validated against that type to obtain Pydantic's own `type`, `msg` and
`ctx`. Query parameters are validated by Pydantic directly (see `sartiq.api.filters`).
"""
from __future__ import annotations

import datetime
import decimal
import enum
import re
import types
import typing
import uuid
from functools import lru_cache
from typing import Annotated, Any, Mapping, Optional, Union

import pydantic
from django.utils.datastructures import MultiValueDict
from pydantic import TypeAdapter
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings

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


def pydantic_errors(annotation: Any, value: Any, loc: Loc) -> list[dict]:
    """Validate `value` against `annotation` as FastAPI does; return its errors located at `loc`."""
    try:
        _adapter(annotation).validate_python(value)
    except pydantic.ValidationError as exc:
        return [
            error(e["type"], (*loc, *e["loc"]), e["msg"], e.get("input"), e.get("ctx"))
            for e in exc.errors(include_url=False)
        ]
    return []


def model_errors(exc: pydantic.ValidationError, loc: Loc) -> list[dict]:
    """A Pydantic ValidationError's errors as FastAPI renders them, located under `loc`."""
    return [error(e["type"], (*loc, *e["loc"]), e["msg"], e.get("input"), e.get("ctx"))
            for e in exc.errors(include_url=False)]


def validate_model(model: type[pydantic.BaseModel], value: Any, loc: Loc) -> tuple[Any, list[dict]]:
    """Validate a request's body or query against its model; returns (instance, errors)."""
    try:
        return model.model_validate(value, from_attributes=True), []  # as FastAPI validates
    except pydantic.ValidationError as exc:
        return None, model_errors(exc, loc)


def validate(annotation: Any, value: Any, loc: Loc) -> tuple[Any, list[dict]]:
    """Validate and convert; returns (value, errors)."""
    try:
        return _adapter(annotation).validate_python(value), []
    except pydantic.ValidationError:
        return None, pydantic_errors(annotation, value, loc)


@lru_cache(maxsize=256)
def choices_enum(values: tuple) -> type[enum.Enum]:
    """An Enum over `values`, so that Pydantic words the error as for the reference's enums."""
    return enum.Enum("Choices", {f"v{i}": v for i, v in enumerate(values)}, type=str)


def annotation_for_field(field: serializers.Field) -> Any:
    """The Pydantic type equivalent to a DRF field (None when there is no useful equivalent)."""
    ann = _base_annotation(field)
    if ann is None:
        return None
    return Optional[ann] if getattr(field, "allow_null", False) else ann


def _base_annotation(field: serializers.Field) -> Any:
    if getattr(field, "pydantic_annotation", None) is not None:  # a field that declares its own
        return field.pydantic_annotation
    if isinstance(field, serializers.ListSerializer):
        return list[Any]
    if isinstance(field, serializers.ManyRelatedField):
        return list[_base_annotation(field.child_relation) or Any]
    if isinstance(field, (serializers.ListField, serializers.MultipleChoiceField)):
        child = getattr(field, "child", None)
        if isinstance(field, serializers.MultipleChoiceField):
            inner = choices_enum(tuple(field.choices))
        else:
            inner = annotation_for_field(child) if child is not None else Any
        constraints = {}
        if getattr(field, "min_length", None) is not None:
            constraints["min_length"] = field.min_length
        if getattr(field, "max_length", None) is not None:
            constraints["max_length"] = field.max_length
        if getattr(field, "allow_empty", True) is False:
            constraints.setdefault("min_length", 1)
        return Annotated[list[inner or Any], pydantic.Field(**constraints)] if constraints else list[inner or Any]
    if isinstance(field, serializers.ChoiceField):
        return choices_enum(tuple(field.choices))
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return Annotated[int, pydantic.Field(ge=field.min_value, le=field.max_value)]
    if isinstance(field, serializers.FloatField):
        return Annotated[float, pydantic.Field(ge=field.min_value, le=field.max_value)]
    if isinstance(field, serializers.DecimalField):
        return Annotated[
            decimal.Decimal,
            pydantic.Field(ge=field.min_value, le=field.max_value, max_digits=field.max_digits, decimal_places=field.decimal_places),
        ]
    if isinstance(field, (serializers.UUIDField, serializers.PrimaryKeyRelatedField)):
        return uuid.UUID
    if isinstance(field, serializers.DateTimeField):
        return datetime.datetime
    if isinstance(field, serializers.DateField):
        return datetime.date
    if isinstance(field, (serializers.JSONField, serializers.DictField)):
        return dict[str, Any] if isinstance(field, serializers.DictField) else Any
    if isinstance(field, serializers.CharField):
        min_length = field.min_length
        if not field.allow_blank and not min_length:
            min_length = 1
        return Annotated[str, pydantic.StringConstraints(min_length=min_length, max_length=field.max_length)]
    return None


MODEL_ATTRIBUTES_TYPE = "Input should be a valid dictionary or object to extract fields from"


def _codes(details) -> list[ErrorDetail]:
    return [d for d in details if isinstance(d, ErrorDetail)]


def _leaf(field, details: list, value: Any, parent: Any, loc: Loc) -> list[dict]:
    """Render the errors DRF reported for one field."""
    details = _codes(details)
    codes = {d.code for d in details}
    if "required" in codes or (value is MISSING and details):
        return [missing(loc, parent)]
    if isinstance(field, serializers.ListSerializer) and codes & {"null", "not_a_list"}:
        return pydantic_errors(list[Any], value, loc)
    if isinstance(field, serializers.Serializer) and codes & {"null", "invalid"} and not isinstance(value, Mapping):
        return [error("model_attributes_type", loc, MODEL_ATTRIBUTES_TYPE, value)]
    annotation = annotation_for_field(field) if field is not None else None
    if annotation is not None:
        rendered = pydantic_errors(annotation, value, loc)
        if rendered:
            return rendered
    # DRF rejected something Pydantic would accept: a validator of ours. Report it as Pydantic
    # reports a failing validator.
    return [value_error(loc, str(d), value) for d in details]


def _child(value: Any, key: Any) -> Any:
    if isinstance(key, int):
        return value[key] if isinstance(value, (list, tuple)) and key < len(value) else MISSING
    return value.get(key, MISSING) if isinstance(value, Mapping) else MISSING


def drf_to_pydantic(errors: Any, field: Any, value: Any, loc: Loc, parent: Any = MISSING) -> list[dict]:
    """Translate a DRF error structure (dicts, lists, ErrorDetails) into Pydantic's flat list."""
    out: list[dict] = []
    if isinstance(errors, Mapping):
        for key, sub in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                if isinstance(field, serializers.ListSerializer) or not isinstance(value, Mapping) and isinstance(
                    field, serializers.Serializer
                ):
                    out += _leaf(field, sub, value, parent, loc)
                else:
                    out += [value_error(loc, str(d), value) for d in _codes(sub)]
                continue
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and not _has_field(field, key)):
                index = int(key)
                child_field = getattr(field, "child", None) or getattr(field, "child_relation", None)
                out += drf_to_pydantic(sub, child_field, _child(value, index), (*loc, index), value)
                continue
            child_field = field.fields.get(key) if hasattr(field, "fields") else None
            out += drf_to_pydantic(sub, child_field, _child(value, key), (*loc, key), value)
        return out
    if isinstance(errors, (list, tuple)):
        if all(isinstance(e, ErrorDetail) or isinstance(e, str) for e in errors):
            return _leaf(field, [e if isinstance(e, ErrorDetail) else ErrorDetail(e, "invalid") for e in errors], value, parent, loc)
        # ListSerializer(many=True): one entry per item, empty for valid items.
        child_field = getattr(field, "child", None)
        for index, item_errors in enumerate(errors):
            if item_errors:
                out += drf_to_pydantic(item_errors, child_field, _child(value, index), (*loc, index), value)
        return out
    return [value_error(loc, str(errors), value)]


def _has_field(field, key: str) -> bool:
    return hasattr(field, "fields") and key in field.fields


SECRET_MASK = "**********"  # how Pydantic shows a SecretStr


def mask_secrets(errors: list[dict], serializer) -> list[dict]:
    """Errors without the values of the serializer's secret fields (`style={"input_type":
    "password"}`): a secret a client sent is never repeated, not even in a 422 about another field
    (a missing field's error repeats the whole body)."""
    fields = getattr(serializer, "fields", {})
    names = {name for name, field in fields.items() if field.style.get("input_type") == "password"}
    for entry in errors if names else []:
        if len(entry["loc"]) > 1 and entry["loc"][1] in names:
            entry["input"] = SECRET_MASK
        elif isinstance(entry.get("input"), dict):
            entry["input"] = {k: SECRET_MASK if k in names else v for k, v in entry["input"].items()}
    return errors


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


def read_text_errors(field: Any, value: Any, loc: Loc) -> list[dict]:
    """`text_errors` of the parts of `value` that `field` reads: the fields a serializer declares
    (unknown keys are ignored, as Pydantic ignores them), the items of a list, the keys and values
    of a dict; anything else (a JSON field, a string) whole."""
    if isinstance(field, serializers.Serializer) and not isinstance(field, serializers.ListSerializer):
        if isinstance(value, MultiValueDict):  # a form: `name`, `name.key`, `name[0]` are read by `name`
            names = tuple(name for name, child in field.fields.items() if not child.read_only)
            prefixes = tuple(f"{name}{mark}" for name in names for mark in ".[")
            read = {key: value.getlist(key) for key in value if key in names or key.startswith(prefixes)}
            return text_errors(MultiValueDict(read), loc)
        if isinstance(value, Mapping):
            return [error for name, child in field.fields.items() if not child.read_only and name in value
                    for error in read_text_errors(child, value[name], (*loc, name))]
    elif isinstance(field, (serializers.ListSerializer, serializers.ListField)) and isinstance(value, (list, tuple)):
        return [error for index, item in enumerate(value) for error in read_text_errors(field.child, item, (*loc, index))]
    elif isinstance(field, serializers.DictField) and isinstance(value, Mapping):
        errors = []
        for key, item in value.items():
            errors += text_errors({key: None}, loc)  # the key itself
            errors += read_text_errors(field.child, item, (*loc, key))
        return errors
    return text_errors(value, loc)


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
    for arg in _union_args(annotation):
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


def _union_args(annotation: Any) -> tuple:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _union_args(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return tuple(a for arg in typing.get_args(annotation) for a in _union_args(arg))
    return (annotation,)


def mask_model_secrets(errors: list[dict], model: type[pydantic.BaseModel]) -> list[dict]:
    """Errors without the values of the model's secret fields (`sartiq.api.requests.secret`): a
    secret a client sent is never repeated, not even in a 422 about another field (a missing
    field's error repeats the whole body)."""
    from sartiq.api.requests import is_secret

    names = {name for name, field in model.model_fields.items() if is_secret(field)}
    for entry in errors if names else []:
        if len(entry["loc"]) > 1 and entry["loc"][1] in names:
            entry["input"] = SECRET_MASK
        elif isinstance(entry.get("input"), dict):
            entry["input"] = {k: SECRET_MASK if k in names else v for k, v in entry["input"].items()}
    return errors

"""Issue #11: every input of the API against the column it is stored in.

A request body field that accepts what its column cannot hold is a 500 at the database
(`rework_available=2**31`, `{"slug": null}`), and a list of objects that accepts null items a
TypeError in the service (`product_outfit_configs: [null]`). These tests walk every body and query
model the API serves (found from the URL table, nested ones included; sartiq/api/requests.py) and
every model, so a new field or endpoint is checked from the day it exists. The HTTP regressions are
in tests/test_input_bounds.py.
"""
from __future__ import annotations

import typing
from typing import Annotated, Any

import pytest
from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import get_resolver
from pydantic import BaseModel, TypeAdapter, ValidationError

from sartiq.api.filters import FilterSet
from sartiq.api.requests import RequestModel, accepts_null, is_nested
from sartiq.api.validation import union_args
from sartiq.models import JSONField


def _views(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern)
        else:
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield view


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _models_in(annotation) -> list[type[BaseModel]]:
    """The models an annotation holds: itself, in a union, as list items."""
    found = []
    for arg in union_args(annotation):
        origin = typing.get_origin(arg) or arg
        if origin in (list, tuple):
            for item in typing.get_args(arg):
                found += _models_in(item)
        elif isinstance(origin, type) and issubclass(origin, BaseModel):
            found.append(origin)
    return found


def _input_models() -> dict[str, type]:
    """Every model that reads a request body or query, and those nested in them."""
    found: dict[str, type] = {}

    def add(model):
        if model is None or model.__name__ in found:
            return
        found[model.__name__] = model
        for field in model.model_fields.values():
            for inner in _models_in(field.annotation):
                add(inner)

    for view in set(_views()):
        for attribute in ("body_models", "query_models"):
            for model in getattr(view, attribute, {}).values():
                add(model)
    for model in _subclasses(RequestModel):  # bodies read outside the viewsets (the callback)
        if "pydantic" not in model.__module__:
            add(model)
    return found


INPUTS = _input_models()


def column_range(column: models.Field) -> tuple[Any, Any]:
    """The (min, max) an integer column holds: its type's range on this database (Django derives
    it for every IntegerField subclass: Positive*, Small*, Big*) and any validators of its own."""
    low = high = None
    for validator in column.validators:
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value if low is None else max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value if high is None else min(high, validator.limit_value)
    return low, high


def _schema(model, name: str) -> dict:
    """The JSON schema of a field, its non-null branch for a nullable one."""
    schema = model.model_json_schema(mode="validation")["properties"][name]
    options = [option for option in schema.get("anyOf", [schema]) if option.get("type") != "null"]
    return options[0] if len(options) == 1 else schema


def _declares_db_model(model) -> bool:
    return any("db_model" in vars(cls) for cls in model.__mro__ if cls is not RequestModel)


def test_the_walk_finds_the_api_inputs():
    assert {"ShotUpdate", "ProductOutfitConfig", "SubjectMeasurementsInput", "UploadUrlQuery",
            "ExternalProductMappingUpdate", "MediaInput", "Callback"} <= set(INPUTS)
    assert len(INPUTS) > 40


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_is_bound_to_its_columns(name):
    model = INPUTS[name]
    assert issubclass(model, RequestModel), f"{name}: request bodies and queries are RequestModels"
    assert _declares_db_model(model), f"{name}: db_model names the model its fields are stored in (None: nothing)"
    unbound = set(model.unbound)
    assert unbound <= set(model.model_fields), f"{name}: unbound names fields it does not have: {unbound - set(model.model_fields)}"
    for field_name, field in model.model_fields.items():
        if is_nested(field):
            continue
        schema = _schema(model, field_name)
        if field_name in unbound:
            if schema.get("type") == "integer":
                assert None not in (schema.get("minimum"), schema.get("maximum")), f"{name}.{field_name}: an unbounded integer"
            continue
        column = model.column(field_name)
        assert column is not None, (f"{name}.{field_name} is no column of {model.db_model}: map it in `columns` "
                                    "or list it in `unbound`")
        _assert_fits(name, field_name, field, schema, column, model)


def _assert_fits(name, field_name, field, schema, column, model):
    where = f"{name}.{field_name} ({column.model.__name__}.{column.name})"
    if schema.get("type") == "integer":
        low, high = column_range(column)
        assert schema.get("minimum") is not None and schema.get("maximum") is not None, f"{where}: unbounded"
        assert (low is None or schema["minimum"] >= low) and (high is None or schema["maximum"] <= high), where
    if schema.get("type") == "string" and isinstance(column, models.CharField):
        assert schema.get("maxLength") is not None and schema["maxLength"] <= column.max_length, where
    if isinstance(column, models.DecimalField) and schema.get("type") == "number":
        assert schema.get("maximum") is not None and schema["maximum"] < 10 ** (column.max_digits - column.decimal_places), where
    if accepts_null(field) and not column.null:
        assert field_name in model.null_refused or field_name in model.null_means, f"{where}: null for a NOT NULL column"


def _adapter(field) -> TypeAdapter:
    return TypeAdapter(Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_lists_refuse_null_items_and_free_json_is_checked(name):
    for field_name, field in INPUTS[name].model_fields.items():
        where = f"{name}.{field_name}"
        for arg in union_args(field.annotation):
            origin = typing.get_origin(arg) or arg
            if origin is list:
                (item,) = typing.get_args(arg)
                assert type(None) not in union_args(item), f"{where}: a list that accepts null items"
            if arg is Any or (origin is dict and typing.get_args(arg)[1:] == (Any,)):
                # Free JSON is checked (sartiq/json_values.py): a number beyond 2^53 is refused.
                beyond = 2**60 if arg is Any else {"k": 2**60}
                with pytest.raises(ValidationError):
                    _adapter(field).validate_python(beyond)


def test_every_json_column_refuses_what_a_read_cannot_render():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                assert isinstance(field, JSONField), f"{model.__name__}.{field.name} is a sartiq.models.JSONField"


def test_no_query_filter_takes_an_unbounded_integer():
    for filterset in _subclasses(FilterSet):
        for name, declared in filterset.base_filters.items():
            annotation = declared.extra.get("annotation")
            assert annotation is not int, f"{filterset.__name__}.{name}: bound the integer (Annotated[int, Field(...)])"

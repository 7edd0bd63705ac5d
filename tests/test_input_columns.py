"""Issue #11: every input of the API against the column it is stored in.

A request body field that accepts what its column cannot hold is a 500 at the database
(`rework_available=2**31`, `{"slug": null}`), and a list of objects that accepts null items a
TypeError in the service (`product_outfit_configs: [null]`). These tests walk every body and query
serializer the API serves (found from the URL table, nested ones included) and every model, so a
new field or endpoint is checked from the day it exists. The HTTP regressions are in
tests/test_input_bounds.py.
"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.urls import get_resolver
from rest_framework import serializers

from sartiq.api import fields as api_fields
from sartiq.api.filters import FilterSet
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


def _input_serializers() -> dict[str, type]:
    """Every serializer class that reads a request body or query, and those nested in them."""
    found: dict[str, type] = {}

    def add(serializer_class):
        if serializer_class is None or serializer_class.__name__ in found:
            return
        found[serializer_class.__name__] = serializer_class
        for field in serializer_class().fields.values():
            for inner in (field, getattr(field, "child", None)):
                if isinstance(inner, serializers.BaseSerializer) and not isinstance(inner, serializers.ListSerializer):
                    add(type(inner))
                add(getattr(inner, "serializer_class", None))  # a field that validates with a serializer

    for view in set(_views()):
        for attribute in ("body_serializers", "query_serializers"):
            for serializer_class in getattr(view, attribute, {}).values():
                add(serializer_class)
    for serializer_class in _subclasses(api_fields.InputSerializer):  # bodies read outside the viewsets
        add(serializer_class)
    return found


INPUTS = _input_serializers()


def test_the_walk_finds_the_api_inputs():
    assert {"ShotUpdateSerializer", "ProductOutfitConfigSerializer", "SubjectMeasurementsInputSerializer",
            "UploadUrlQuerySerializer", "ExternalProductMappingUpdateSerializer", "MediaInputSerializer",
            "CallbackSerializer"} <= set(INPUTS)
    assert len(INPUTS) > 40


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_is_bound_to_its_columns(name):
    serializer_class = INPUTS[name]
    assert issubclass(serializer_class, api_fields.InputSerializer), (
        f"{name}: request bodies and queries are InputSerializers (sartiq/api/fields.py)")
    meta = serializer_class.Meta
    assert hasattr(meta, "model"), f"{name}: Meta.model names the model its fields are stored in (None: nothing)"
    unbound = set(getattr(meta, "unbound", ()))
    fields = serializer_class().fields
    assert unbound <= set(fields), f"{name}: Meta.unbound names fields it does not have: {unbound - set(fields)}"
    for field_name, field in fields.items():
        if field.read_only or api_fields._is_nested(field):
            continue
        column = api_fields.bound_column(serializer_class, field_name)
        if field_name in unbound:
            if isinstance(field, serializers.IntegerField):
                assert None not in (field.min_value, field.max_value), f"{name}.{field_name}: an unbounded integer"
            continue
        assert column is not None, (f"{name}.{field_name} is no column of {meta.model}: map it in Meta.columns "
                                    "or list it in Meta.unbound")
        _assert_fits(name, field_name, field, column, serializer_class)


def _assert_fits(name, field_name, field, column, serializer_class):
    where = f"{name}.{field_name} ({column.model.__name__}.{column.name})"
    if isinstance(field, serializers.IntegerField):
        low, high = api_fields.column_range(column)
        assert field.min_value is not None and field.max_value is not None, f"{where}: unbounded"
        assert (low is None or field.min_value >= low) and (high is None or field.max_value <= high), where
    if isinstance(field, serializers.CharField) and isinstance(column, models.CharField):
        assert field.max_length is not None and field.max_length <= column.max_length, where
    if isinstance(column, models.DecimalField) and isinstance(field, serializers.FloatField):
        assert field.max_value is not None and field.max_value < 10 ** (column.max_digits - column.decimal_places), where
    if field.allow_null and not column.null:
        assert field_name in serializer_class._null_refused or field_name in getattr(serializer_class.Meta, "null_means", ()), (
            f"{where}: null for a NOT NULL column")


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_lists_refuse_null_items_and_free_json_is_checked(name):
    for field_name, field in INPUTS[name]().fields.items():
        where = f"{name}.{field_name}"
        child = getattr(field, "child", None)
        if isinstance(field, (serializers.ListSerializer, serializers.ListField)) and child is not None:
            assert not child.allow_null, f"{where}: a list that accepts null items"
        if isinstance(field, (serializers.JSONField, serializers.DictField)) and not field.read_only:
            free = isinstance(field, serializers.JSONField) or type(child).__name__ == "_UnvalidatedField"
            if free:
                assert isinstance(field, (api_fields.JSONValueField, api_fields.JSONObjectField)), (
                    f"{where}: free JSON is a JSONValueField or JSONObjectField")


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

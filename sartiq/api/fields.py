"""Serializer fields that accept what Pydantic accepts (and no more), and request bodies bound to
the columns they are stored in."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import AfterValidator
from pydantic import ValidationError as PydanticValidationError
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from sartiq import json_values


class StrictCharField(serializers.CharField):
    """A string, not a number turned into one (Pydantic's `str` rejects 123), kept as sent: Pydantic
    does not trim, and DRF's trimming also removed control characters \x1c-\x1f (found by make fuzz)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField, StrictCharField):
    pass


def optional(field_class=StrictCharField, **kwargs):
    """An optional, nullable field (`X | None = None` in the reference's models)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    if issubclass(field_class, serializers.CharField) and not issubclass(field_class, serializers.RegexField):
        kwargs.setdefault("allow_blank", True)  # `str | None` accepts "" (a cleared form input)
    return field_class(**kwargs)


# --- free JSON (issue #11) -------------------------------------------------------------------------
def _check_json(value):
    try:
        json_values.check_input(value)
    except PydanticValidationError as exc:
        # The request phase renders Pydantic's own errors from `pydantic_annotation`.
        raise serializers.ValidationError(str(exc.errors(include_url=False)[0]["msg"]), code="json_value")
    return value


class JSONValueField(serializers.JSONField):
    """Any JSON a client stores (`margins`): finite numbers within ±(2^53 − 1), bounded nesting and
    size (sartiq/json_values.py), so that what is stored can always be read back."""

    pydantic_annotation = Annotated[Any, AfterValidator(json_values.check_input)]

    def to_internal_value(self, data):
        return _check_json(super().to_internal_value(data))


class JSONObjectField(serializers.DictField):
    """A JSON object a client stores (`brand_metadata`, `settings`, `extra`), checked as JSONValueField."""

    pydantic_annotation = Annotated[dict[str, Any], AfterValidator(json_values.check_input)]

    def to_internal_value(self, data):
        return _check_json(super().to_internal_value(data))


# --- request bodies bound to columns (issue #11) ---------------------------------------------------
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


def column_limits(field: serializers.Field, column: models.Field) -> dict:
    """The constructor arguments that make `field` accept only what `column` holds (empty: it does)."""
    changes = {}
    if isinstance(field, serializers.IntegerField) and isinstance(column, models.IntegerField):
        low, high = column_range(column)
        if low is not None and (field.min_value is None or field.min_value < low):
            changes["min_value"] = low
        if high is not None and (field.max_value is None or field.max_value > high):
            changes["max_value"] = high
    elif isinstance(field, serializers.CharField) and isinstance(column, models.CharField) and column.max_length:
        if field.max_length is None or field.max_length > column.max_length:
            changes["max_length"] = column.max_length
    return changes


def _resolve(model, target: str) -> models.Field:
    """`field` of `model`, or `app_label.Model.field`."""
    if target.count(".") == 2:
        app_label, model_name, target = target.split(".")
        model = apps.get_model(app_label, model_name)
    return model._meta.get_field(target)


def bound_column(serializer_class, name: str) -> models.Field | None:
    """The column a body field is stored in: `Meta.columns[name]`, the model's field of that name,
    or the foreign key `<name without _id>`; None when it is not a column."""
    meta = getattr(serializer_class, "Meta", None)
    model = getattr(meta, "model", None)
    columns = getattr(meta, "columns", {})
    if name in getattr(meta, "unbound", ()):
        return None
    if name in columns:
        return _resolve(model, columns[name])
    if model is None:
        return None
    for candidate in (name, name[:-3] if name.endswith("_id") else None):
        if candidate is None:
            continue
        try:
            column = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if column.concrete and not column.many_to_many:
            return column
    return None


def _is_nested(field) -> bool:
    return isinstance(field, (serializers.BaseSerializer, serializers.ListField, serializers.DictField,
                              serializers.JSONField))


class InputSerializer(serializers.Serializer):
    """A request body (or query) whose fields take the limits of the columns they are stored in.

    `Meta.model` names the model; each field is bound to its column (same name, the foreign key of
    `<name>_id`, or `Meta.columns = {"field": "column" or "app_label.Model.column"}`). Fields that
    are no column are listed in `Meta.unbound`. A bound field accepts only what its column holds:
    an integer within the column type's range (a PositiveIntegerField 0..2^31 − 1, ...), a string
    within its max_length, and null only for a nullable column (or where the service gives null a
    meaning: `Meta.null_means`), otherwise 422 `<field> cannot be null`. So a new field cannot
    forget the limits, and no value the column cannot hold reaches the database (a 500 there).
    `Thing(many=True, allow_null=True)` lets the list be null, never its items.
    """

    _null_refused: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "Meta", None)
        null_means = set(getattr(meta, "null_means", ()))
        refused = []
        for name, field in list(cls._declared_fields.items()):
            column = bound_column(cls, name) if not _is_nested(field) else None
            if column is None:
                continue
            changes = column_limits(field, column)
            if changes:
                field = type(field)(*field._args, **{**field._kwargs, **changes})
                cls._declared_fields[name] = field
            if getattr(field, "allow_null", False) and not column.null and name not in null_means:
                refused.append(name)
        cls._null_refused = tuple(refused)

    @classmethod
    def many_init(cls, *args, **kwargs):
        allow_null = kwargs.pop("allow_null", None)  # DRF would pass it to the items too
        list_serializer = super().many_init(*args, **kwargs)
        if allow_null is not None:
            list_serializer.allow_null = allow_null
            list_serializer._kwargs["allow_null"] = allow_null  # kept by the copy each serializer makes
        return list_serializer

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            refused = {name: [ErrorDetail(f"{name} cannot be null", code="null_column")]
                       for name in self._null_refused if name in data and data[name] is None}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not refused or not isinstance(exc.detail, Mapping):
                raise
            errors = {**exc.detail, **refused}
            raise serializers.ValidationError({name: errors[name] for name in self.fields if name in errors}
                                              | {k: v for k, v in errors.items() if k not in self.fields})
        if refused:
            raise serializers.ValidationError(refused)
        return value

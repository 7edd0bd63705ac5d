"""A read serializer's output built from database rows instead of model instances.

A list page of a few dozen objects spends more time instantiating models, resolving DRF fields and
cloning querysets than PostgreSQL spends answering it. `Rows(SerializerClass)` reads the fields the
serializer declares straight from `values_list` tuples: a field whose source is a column (or an
annotation) is converted as the serializer's own field converts it (`ReadSerializer`'s plain
steps, or the field's `to_representation`), and a nested serializer over a foreign key is
rendered once per distinct id by a resolver the caller gives (`{name: function(ids) -> {id: dict}}`),
so the output is the serializer's, key for key and in its order. The serializer stays the one
declaration (and what the OpenAPI document shows); tests compare both paths byte for byte.
"""
from __future__ import annotations

from typing import Callable

from django.db import models
from django.db.models import Count, F, Func, TextField, Window
from django.db.models.functions import Cast
from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

Resolver = Callable[[set], dict]


# --- columns as the API writes them ---------------------------------------------------------------
class IsoDateTime(Func):
    """A timestamp as DRF writes it (`datetime.isoformat()` in UTC, `+00:00` as `Z`: microseconds
    only when not zero), formatted by PostgreSQL."""

    template = ("replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                "'.000000Z', 'Z')")
    output_field = TextField()


class IsoDate(Func):
    template = "to_char(%(expressions)s, 'YYYY-MM-DD')"
    output_field = TextField()


def _field(queryset, path: str):
    """The model field (or the annotation's output field) that `path` names in `queryset`."""
    annotation = queryset.query.annotations.get(path)
    if annotation is not None:
        return annotation.output_field
    model = queryset.model
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _as_text(column):
    return Cast(column, TextField())


# Column types PostgreSQL formats as DRF renders them, by model field and by serializer field.
MODEL_FORMATS = ((models.UUIDField, _as_text), (models.DateTimeField, IsoDateTime), (models.DateField, IsoDate))
FORMATTED_IN_SQL = {serializers.UUIDField: _as_text, serializers.DateTimeField: IsoDateTime,
                    serializers.DateField: IsoDate}


def column(queryset, path: str):
    """The column `path` of `queryset` as the API writes it: UUIDs (keys and foreign keys) as text,
    timestamps and dates in ISO 8601; everything else as the database gives it."""
    field = _field(queryset, path)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    for field_class, formatted in MODEL_FORMATS:  # DateTimeField before DateField, its parent
        if isinstance(field, field_class):
            return formatted(F(path))
    return path


def rows(queryset, *paths: str) -> list[tuple]:
    """The rows of `queryset` as tuples of `paths` (see `column`), in its order, without objects."""
    return list(queryset.prefetch_related(None).values_list(*[column(queryset, path) for path in paths]))


class Rows:
    def __init__(self, serializer_class: type[ReadSerializer], *, nested: dict[str, Resolver] | None = None):
        self.nested = nested or {}
        self.columns: list = []  # what `values_list` selects: column names, or SQL for those formatted there
        self.steps: list[tuple[str, int, str, object]] = []  # (key, column index, kind, helper)
        serializer = serializer_class()
        plain = {name: convert for name, _source, kind, convert in serializer._steps() if kind == "plain"}
        for field in serializer._readable_fields:
            name, source = field.field_name, field.source
            if name in self.nested:
                self.steps.append((name, self._column(f"{source}_id"), "nested", None))
            elif source == "*" or "." in source or isinstance(field, serializers.BaseSerializer):
                raise ValueError(f"{serializer_class.__name__}.{name} is not a column: give it in `nested`")
            elif name in plain and type(field) in FORMATTED_IN_SQL:
                # PostgreSQL writes it as DRF would: no UUID or datetime object is made for it.
                self.steps.append((name, self._column(source, FORMATTED_IN_SQL[type(field)]), "text", None))
            elif name in plain:
                self.steps.append((name, self._column(source), "plain", plain[name]))
            else:
                self.steps.append((name, self._column(source), "field", field))

    def _column(self, source: str, formatted=None) -> int:
        column = source if formatted is None else formatted(F(source))
        for index, known in enumerate(self.columns):
            if known == column:
                return index
        self.columns.append(column)
        return len(self.columns) - 1

    def page_query(self, queryset, skip: int, limit: int, extra: tuple[str, ...] = ()):
        """The values of one page of `queryset`, each row ending with the `extra` columns (not
        shown: versions for the ETag) and the count of all its rows (a window count: the page and
        the count in one query)."""
        counted = queryset.annotate(_rows_total=Window(Count("*")))
        return counted.values_list(*self.columns, *extra, "_rows_total")[skip : skip + limit]

    def dicts(self, rows: list[tuple]) -> list[dict]:
        """The serializer's output for each row of `page_query` (or of `values_list(*columns)`)."""
        resolved = {}
        for name, index, kind, _ in self.steps:
            if kind == "nested":
                ids = {row[index] for row in rows} - {None}
                resolved[name] = self.nested[name](ids) if ids else {}
        out = []
        for row in rows:
            data = {}
            for name, index, kind, helper in self.steps:
                value = row[index]
                if value is None:
                    data[name] = None
                elif kind == "text":
                    data[name] = value
                elif kind == "plain":
                    data[name] = helper(value)
                elif kind == "field":
                    data[name] = helper.to_representation(value)
                else:  # gone between the two reads (deleted meanwhile): null, as a missing relation
                    data[name] = resolved[name].get(value)
            out.append(data)
        return out

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

from django.db.models import Count, Window
from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

Resolver = Callable[[set], dict]


class Rows:
    def __init__(self, serializer_class: type[ReadSerializer], *, nested: dict[str, Resolver] | None = None):
        self.nested = nested or {}
        self.columns: list[str] = []
        self.steps: list[tuple[str, int, str, object]] = []  # (key, column index, kind, helper)
        serializer = serializer_class()
        plain = {name: convert for name, _source, kind, convert in serializer._steps() if kind == "plain"}
        for field in serializer._readable_fields:
            name, source = field.field_name, field.source
            if name in self.nested:
                self.steps.append((name, self._column(f"{source}_id"), "nested", None))
            elif source == "*" or "." in source or isinstance(field, serializers.BaseSerializer):
                raise ValueError(f"{serializer_class.__name__}.{name} is not a column: give it in `nested`")
            elif name in plain:
                self.steps.append((name, self._column(source), "plain", plain[name]))
            else:
                self.steps.append((name, self._column(source), "field", field))

    def _column(self, source: str) -> int:
        if source not in self.columns:
            self.columns.append(source)
        return self.columns.index(source)

    def page_query(self, queryset, skip: int, limit: int, extra: tuple[str, ...] = ()):
        """The values of one page of `queryset`, each row ending with the `extra` columns (not
        shown: versions for the ETag) and the count of all its rows (a window count: the page and
        the count in one query)."""
        counted = queryset.annotate(_rows_total=Window(Count("*")))
        return counted.values_list(*self.columns, *extra, "_rows_total")[skip : skip + limit]

    def page(self, rows: list[tuple]) -> tuple[list[dict], int | None]:
        """The dicts of the rows of `page_query`, and the count (None for an empty page: then
        ask `queryset.count()` if the page was not the first)."""
        return self._dicts(rows), rows[0][-1] if rows else None

    def dicts(self, queryset) -> list[dict]:
        """The serializer's output for each row of `queryset` (its order, its filters)."""
        return self._dicts(list(queryset.values_list(*self.columns)))

    def _dicts(self, rows: list[tuple]) -> list[dict]:
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
                elif kind == "plain":
                    data[name] = helper(value)
                elif kind == "field":
                    data[name] = helper.to_representation(value)
                else:
                    data[name] = resolved[name][value]
            out.append(data)
        return out

"""django-filter filters whose query parameters are validated by Pydantic, as FastAPI does.

Each filter declares the Pydantic type of its parameter (`UUID`, `bool`, a `TextChoices`, ...).
Repeated keys (`?statuses=A&statuses=B`) make a list. Invalid values produce FastAPI's 422 entries
located at `["query", name, index?]`; the OpenAPI schema of each parameter is derived from the
same type.
"""
from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override

from sartiq.api.validation import validate

_PYDANTIC = "pydantic"


def json_schema(annotation: Any, many: bool = False) -> dict:
    """The OpenAPI schema of a parameter type (the few types filters use)."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        schema = {"type": "string", "enum": [m.value for m in annotation]}
    elif annotation is uuid.UUID:
        schema = {"type": "string", "format": "uuid"}
    elif annotation is bool:
        schema = {"type": "boolean"}
    elif annotation is int:
        schema = {"type": "integer"}
    elif annotation is float:
        schema = {"type": "number"}
    elif annotation is datetime.datetime:
        schema = {"type": "string", "format": "date-time"}
    elif annotation is datetime.date:
        schema = {"type": "string", "format": "date"}
    else:
        schema = {"type": "string"}
    return {"type": "array", "items": schema} if many else schema


class PydanticFormField(forms.Field):
    """A form field that cleans with a Pydantic type and keeps Pydantic's errors."""

    def __init__(self, *, annotation: Any, many: bool = False, **kwargs):
        self.annotation = annotation
        self.many = many
        kwargs["required"] = False
        kwargs.setdefault("widget", forms.MultipleHiddenInput if many else forms.TextInput)
        super().__init__(**kwargs)

    def clean(self, value):
        # Absent is no filter. Present but empty is validated as FastAPI does: `?shooting_id=` is a
        # 422 (uuid_parsing), not "every shooting"; an empty text parameter filters nothing.
        if value is None or (self.many and not value) or (value == "" and self.annotation is str):
            return None
        annotation = list[self.annotation] if self.many else self.annotation
        cleaned, errors = validate(annotation, list(value) if self.many else value, ())
        if errors:
            raise forms.ValidationError("Invalid query parameter", code=_PYDANTIC, params={"errors": errors})
        return cleaned


class Filter(django_filters.Filter):
    """A filter on one query parameter of the given Pydantic type (`many=True`: repeated key)."""

    field_class = PydanticFormField

    def __init__(self, annotation: Any = str, *args, many: bool = False, **kwargs):
        kwargs.setdefault("lookup_expr", "in" if many else "exact")
        super().__init__(*args, annotation=annotation, many=many, **kwargs)
        self.many = many
        set_override(self, "field", json_schema(annotation, many))

    def filter(self, qs, value):
        if value is None:
            return qs
        if isinstance(value, list):
            value = [v.value if isinstance(v, enum.Enum) else v for v in value]
        elif isinstance(value, enum.Enum):
            value = value.value
        return super().filter(qs, value)


def UUIDFilter(*args, **kwargs) -> Filter:
    return Filter(uuid.UUID, *args, **kwargs)


def UUIDListFilter(*args, **kwargs) -> Filter:
    return Filter(uuid.UUID, *args, many=True, **kwargs)


def BooleanFilter(*args, **kwargs) -> Filter:
    return Filter(bool, *args, **kwargs)


def TextFilter(*args, lookup_expr: str = "icontains", **kwargs) -> Filter:
    return Filter(str, *args, lookup_expr=lookup_expr, **kwargs)


def ChoiceFilter(choices: type[models.TextChoices], *args, many: bool = False, **kwargs) -> Filter:
    """A TextChoices parameter (Pydantic validates it as the enum it is)."""
    return Filter(choices, *args, many=many, **kwargs)


class FilterSet(django_filters.FilterSet):
    """Base filter set; `errors_as_pydantic()` gives FastAPI's 422 entries for the query."""

    def errors_as_pydantic(self) -> list[dict]:
        if self.is_valid():
            return []
        out: list[dict] = []
        for name, errors in self.form.errors.as_data().items():
            for err in errors:
                if err.code == _PYDANTIC:
                    for entry in err.params["errors"]:
                        out.append({**entry, "loc": ["query", name, *entry["loc"]]})
                else:
                    out.append(
                        {"type": "value_error", "loc": ["query", name], "msg": f"Value error, {' '.join(err.messages)}",
                         "input": self.data.get(name), "ctx": {"error": {}}}
                    )
        return out


class FilterBackend(DjangoFilterBackend):
    """Applies the filter set the view validated during the request phase. The view says which
    filter set an action has (`get_filterset_class()`: list actions only, none for a history), and
    drf-spectacular documents the parameters of that one, so the document lists no parameter an
    action would ignore."""

    def get_filterset_class(self, view, queryset=None):
        if hasattr(view, "get_filterset_class"):
            return view.get_filterset_class()
        return super().get_filterset_class(view, queryset)

    def filter_queryset(self, request, queryset, view):
        filterset = getattr(view, "filterset", None)
        if filterset is None:
            return queryset
        filterset.queryset = queryset
        return filterset.qs

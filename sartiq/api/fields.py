"""Serializer fields that accept what Pydantic accepts (and no more)."""
from __future__ import annotations

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string, not a number turned into one (Pydantic's `str` rejects 123)."""

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

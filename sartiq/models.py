"""Abstract base models and the JSON column shared by every app."""
from __future__ import annotations

import json
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

from sartiq.json_values import check_stored


class TimestampedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimestampedModel):
    """A resource with an owner and an optional organization (contract §3).

    Child resources (a look, a shot) have no tenant fields of their own: they name the path to the
    resource that has them in `tenant_path` (e.g. "shooting").
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    tenant_path = ""

    class Meta:
        abstract = True


class _StoredJSONEncoder(json.JSONEncoder):
    """Refuses a value a later read could not render, whatever writes it (API, admin, workers,
    bulk writes): see sartiq/json_values.py."""

    def encode(self, o):
        check_stored(o)
        return super().encode(o)


class JSONFormField(forms.JSONField):
    """The admin's field of a JSON column. The column's check refuses what cannot be stored (its
    `validate`), so the form shows what was typed with plain JSON, a refused value included (the
    column's encoder would raise while the page is drawn again); and a document nested deeper than
    Python decodes is invalid JSON, as Django's field says, not a RecursionError."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


class JSONField(models.JSONField):
    """Every JSON column of the project: what it stores can always be read back and rendered
    (finite numbers within ±(2^53 − 1), bounded nesting). Forms (the admin) report a value that
    breaks this; any other write is refused with a ValueError before it reaches the database."""

    def validate(self, value, model_instance):
        try:
            check_stored(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid")
        super().validate(value, model_instance)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("encoder", _StoredJSONEncoder)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": JSONFormField, "encoder": None, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("encoder") is _StoredJSONEncoder:
            del kwargs["encoder"]
        return name, path, args, kwargs

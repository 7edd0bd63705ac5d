"""Abstract base models shared by every app."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


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

"""Reads of the integrations app that decide where a tenant's images go."""
from __future__ import annotations

from django.db import models

from integrations.models import ExternalProductMapping


def of_tenant(queryset: models.QuerySet, tenant, path: str = "") -> models.QuerySet:
    """The rows of `queryset` (tenant fields at `path`) of exactly `tenant`'s tenant: its
    organization's, or for a personal `tenant` its owner's personal ones. Unlike the visibility
    rule, public rows and the caller's other organizations do not count."""
    prefix = f"{path}__" if path else ""
    if tenant.organization_id is not None:
        return queryset.filter(**{f"{prefix}organization_id": tenant.organization_id})
    return queryset.filter(**{f"{prefix}organization__isnull": True, f"{prefix}owner_id": tenant.owner_id})


def look_mappings(look) -> models.QuerySet:
    """The look's product's mappings to integrations of the look's tenant (its shooting's), oldest
    first: what exports and downloads of the look use. Another tenant's mapping of the same
    (public) product never counts."""
    if not look.product_id:
        return ExternalProductMapping.objects.none()
    mappings = ExternalProductMapping.objects.select_related("integration").filter(product_id=look.product_id)
    return of_tenant(mappings, look.shooting, "integration").order_by("created_at", "id")

"""Reads of the integrations app: where a tenant's images go, and the pushes a worker or a callback acts on."""
from __future__ import annotations

import uuid

from django.db import models

from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from sartiq.errors import NotFound


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


def same_tenant(a, b) -> bool:
    """Whether two tenant rows have the same tenant (organization, or owner when personal)."""
    return a.organization_id == b.organization_id and (a.organization_id is not None or a.owner_id == b.owner_id)


def push_target_problem(push: ExternalImagePush) -> str | None:
    """Why the push must not go to its integration (pushes recorded before it was disabled, or
    before security issue #10 when a public product's mapping of another tenant received exports)."""
    if not push.integration.enabled:
        return "The integration is disabled"
    if not same_tenant(push.integration, push.revision.shot.shooting_look.shooting):
        return "The integration belongs to another tenant"
    return None


def push_for_callback(integration: ExternalIntegration, reference: str | None, idempotency_key: str | None):
    query = ExternalImagePush.objects.filter(integration=integration)
    if reference:
        query = query.filter(external_reference=reference)
    elif idempotency_key:
        try:
            query = query.filter(idempotency_key=uuid.UUID(str(idempotency_key)))
        except ValueError:
            raise NotFound("Push")
    else:
        raise NotFound("Push")
    push = query.first()
    if push is None:
        raise NotFound("Push")
    return push

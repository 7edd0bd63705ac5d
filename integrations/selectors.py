"""Reads of the integrations app: where a tenant's images go, the pushes a worker or a callback
acts on, and the reads the endpoints show with their pushes.

A revision's push records and aggregate push status, and a product's export counts, are part of
what the shot, revision, look, shooting, outfit and product endpoints show. Those reads are
composed here, on top, from the selectors of shots, outfits and shootings (which take the nested
querysets as arguments), so that no app below reads pushes: the views ask these.
"""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Count, F, IntegerField, Min, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from integrations.choices import PUSH_STATUS_PRIORITY
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from outfits import selectors as outfit_selectors
from sartiq.accounts import tenancy
from sartiq.errors import NotFound
from shootings import selectors as shooting_selectors
from shots import selectors as shot_selectors
from shots.selectors import rank_of

PUSH_RANK = {str(status): rank for rank, status in enumerate(PUSH_STATUS_PRIORITY)}


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


# --- what the endpoints show, with the pushes ---------------------------------------------------
def push_rank(revision_ref) -> Subquery:
    """The aggregate push status of a revision as a rank in PUSH_STATUS_PRIORITY (NULL: no pushes)."""
    pushes = (
        ExternalImagePush.objects.filter(revision=revision_ref)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(rank=Min(rank_of(F("push_status"), PUSH_RANK)))
        .values("rank")[:1]
    )
    return Subquery(pushes, output_field=IntegerField())


def revisions():
    """Revisions with their images, push records, owner and aggregate push status."""
    return shot_selectors.revisions().annotate(push_status_rank=push_rank(OuterRef("pk"))).prefetch_related(
        Prefetch("push_records", ExternalImagePush.objects.order_by("created_at", "id"), to_attr="push_record_list"),
    )


def shots():
    """Shots as ShotPublic shows them: shot type, status, revisions with their pushes."""
    return shot_selectors.shots(revisions())


def shot_summaries():
    """Shots as ShotSummary shows them: no revisions, the current revision's push status."""
    return shot_selectors.shot_summaries().annotate(push_status_rank=push_rank(OuterRef("current_revision_id")))


def products_for(user):
    """ProductPublic's computed fields, from what `user` may see: the latest look's status and
    shots (`shootings.selectors.products_for`); exports count the pushes of the product's
    revisions; `integration_name` is the first integration it is mapped to."""
    pushes = tenancy.visible(ExternalImagePush.objects.all(), user).filter(
        revision__shot__shooting_look__product=OuterRef("pk")
    ).order_by().annotate(group=Value(1)).values("group")
    return shooting_selectors.products_for(user, shot_summaries()).annotate(
        exports_total=Coalesce(Subquery(pushes.annotate(n=Count("pk")).values("n")[:1]), 0),
        # A conditional count, not a WHERE on the status: the plan then always starts from the
        # product's looks instead of from every completed push.
        exports_completed=Coalesce(
            Subquery(pushes.annotate(n=Count("pk", filter=Q(push_status="COMPLETED"))).values("n")[:1]), 0
        ),
        # Of the integrations the user may see: another tenant's mapping of a public product is theirs.
        integration_name=Subquery(
            tenancy.visible(ExternalProductMapping.objects.all(), user).filter(product=OuterRef("pk"))
            .order_by("created_at", "id").values("integration__name")[:1]
        ),
    )


def outfits(user):
    """Outfits with their products as the catalog shows them to `user`, in order, and media."""
    return outfit_selectors.outfits(products_for(user))


def looks(user):
    """Looks as ShootingLookPublic shows them to `user`."""
    return shooting_selectors.looks(shots(), outfits(user))


def look_summaries():
    """Looks as ShootingLookSummary shows them."""
    return shooting_selectors.look_summaries(shot_summaries())


def shooting_details(user):
    """A shooting with its looks as `user` sees them, as model instances for the serializers. The
    endpoint builds the same document from rows (`shootings/api/documents.py`); the tests compare."""
    return shooting_selectors.shooting_details(looks(user))


def push_counts_by_status() -> dict[str, int]:
    """Pushes per status, every tenant's (the `sartiq_pushes` metric)."""
    return dict(ExternalImagePush.objects.order_by().values_list("push_status").annotate(rows=Count("id")))

"""Shooting and look querysets with their computed statuses (contract §3).

- look `shot_status_rank`: MIN over its shots' ranks (NULL: no shots), an SQL annotation.
- look `summary_rank`: DRAFT for a draft look, else its shot status, else WITHOUT_STATUS.
- shooting `shot_status_rank`: MIN over all its shots; `status_rank`: MIN over its looks'
  summary ranks (NULL: no looks). Columns of the shooting, maintained by PostgreSQL in the
  transaction that changes anything under it (sartiq/read_versions.py), so that a list of
  shootings reads them instead of computing them per row.

The reads the endpoints show also carry pushes (a revision's push records and push status, a
product's exports): `integrations.selectors` composes them from these, passing the nested
querysets (shots, outfits, looks) in.
"""
from __future__ import annotations

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.datastructures import MultiValueDict

from outfits.choices import OutfitGenerationStatus
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts import tenancy
from sartiq.api.pagination import parse_skip_limit
from sartiq.catalog import selectors as catalog
from sartiq.errors import ValidationErrors
from sartiq.read_versions import GLOBAL_VERSION_SQL, OUTFIT_PRODUCTS_DIGEST_SQL
from shootings.choices import ShootingLookComputedStatus as Computed
from shootings.choices import ShootingLookStatus
from shootings.models import Shooting, ShootingLook
from shootings.product_filters import ProductFilterSet
from shots import selectors as shot_selectors
from shots.choices import STATUS_ORDER
from shots.selectors import RANK, min_shot_rank

SHOT_STATUS_VALUES = {str(s) for s in STATUS_ORDER} - {"WITHOUT_STATUS", "DRAFT", "READY"}


def look_summary_rank():
    return Case(
        When(status=ShootingLookStatus.DRAFT, then=Value(RANK["DRAFT"])),
        When(shot_status_rank__isnull=True, then=Value(RANK["WITHOUT_STATUS"])),
        default=F("shot_status_rank"),
        output_field=IntegerField(),
    )


def with_look_statuses(queryset):
    return queryset.annotate(shot_status_rank=min_shot_rank(shooting_look=OuterRef("pk"))).annotate(
        summary_rank=look_summary_rank()
    )


# --- products as the catalog shows them (their looks and shots) ---------------------------------
def products_for(user, shot_queryset):
    """ProductPublic's computed fields of the looks, from what `user` may see (exports and
    `integration_name`: `integrations.selectors.products_for`).

    A product's `shot_status` is the status of its latest look the user can see
    (`shot_status_shooting_look_id`), `shots` that look's shots (from `shot_queryset`).
    """
    visible_looks = tenancy.visible(ShootingLook.objects.all(), user)
    latest = visible_looks.filter(product=OuterRef("pk")).order_by("-created_at", "-id")
    latest_looks = visible_looks.filter(
        pk=Subquery(visible_looks.filter(product=OuterRef("product")).order_by("-created_at", "-id").values("pk")[:1])
    )
    return catalog.products().annotate(
        shot_status_shooting_look_id=Subquery(latest.values("pk")[:1]),
        latest_look_status=Subquery(latest.values("status")[:1]),
        shot_status_rank=Subquery(
            with_look_statuses(latest).values("shot_status_rank")[:1], output_field=IntegerField()
        ),
    ).prefetch_related(
        Prefetch("looks", latest_looks.prefetch_related(
            Prefetch("shots", shot_queryset, to_attr="shot_list")),
                 to_attr="latest_looks")
    )


def products_matching(user, organization_id, filters: dict) -> list:
    """The products `GET /products/` answers `user` for these filters in the tenant of
    `organization_id`: its query parameters as values (lists for the repeated ones), skip and limit
    included. Filters that do not validate are ValidationErrors located at the filter's name."""
    query = MultiValueDict()
    for key, value in filters.items():
        for item in value if isinstance(value, list) else [value]:
            query.appendlist(key, str(item).lower() if isinstance(item, bool) else str(item))
    scoped = tenancy.scope(products_for(user, shot_selectors.shot_summaries()), user, organization_id)
    filterset = ProductFilterSet(query, queryset=scoped)
    (skip, limit), page_errors = parse_skip_limit(query)
    errors = filterset.errors_as_pydantic() + page_errors
    if errors:  # located in the query string by the filter set: relative to the filters here
        raise ValidationErrors([{**e, "loc": e["loc"][1:]} for e in errors])
    return list(filterset.qs[skip : skip + limit])


# --- looks --------------------------------------------------------------------------------------
def looks(shot_queryset, outfit_queryset):
    """Looks as ShootingLookPublic shows them, with the shots of `shot_queryset` and the outfits of
    `outfit_queryset` (`integrations.selectors.looks` gives them as the caller sees them)."""
    return (
        with_look_statuses(ShootingLook.objects.select_related("subject", "product", "assignee", "shooting"))
        .prefetch_related(
            Prefetch("set_design", catalog.set_designs()),
            Prefetch("pose_presets", catalog.pose_presets(), to_attr="pose_preset_list"),
            Prefetch("shots", shot_queryset, to_attr="shot_list"),
            Prefetch("outfits", outfit_queryset, to_attr="outfit_list"),
        )
        .order_by("created_at", "id")
    )


def look_summaries(shot_queryset):
    """Looks as ShootingLookSummary shows them: no revisions, images or proposals' products; the
    shots of `shot_queryset` (`integrations.selectors.look_summaries`)."""
    pending = Outfit.objects.filter(shooting_look=OuterRef("pk"), generation_status=OutfitGenerationStatus.PENDING)
    completed = Outfit.objects.filter(shooting_look=OuterRef("pk"), generation_status=OutfitGenerationStatus.COMPLETED)
    failed = Outfit.objects.filter(shooting_look=OuterRef("pk"), generation_status=OutfitGenerationStatus.FAILED)
    products = (
        OutfitProduct.objects.filter(outfit=OuterRef("outfit_id")).order_by().annotate(group=Value(1))
        .values("group").annotate(n=Count("pk")).values("n")[:1]
    )
    return (
        with_look_statuses(ShootingLook.objects.select_related("product", "assignee", "shooting"))
        .annotate(
            outfit_generation_status=Case(
                When(Exists(pending), then=Value(OutfitGenerationStatus.PENDING)),
                When(Exists(completed), then=Value(OutfitGenerationStatus.COMPLETED)),
                When(Exists(failed), then=Value(OutfitGenerationStatus.FAILED)),
                default=None,
            ),
            outfit_products_count=Coalesce(Subquery(products, output_field=IntegerField()), 0),
        )
        .prefetch_related(Prefetch("shots", shot_queryset, to_attr="shot_list"))
        .order_by("created_at", "id")
    )


def filter_looks_by_status(queryset, statuses):
    """`shot_statuses`: a shot status matches the look's shot_status, DRAFT/READY its own status,
    WITHOUT_STATUS a look without shots; values are ORed."""
    values = {str(s) for s in statuses}
    query = Q(shot_status_rank__in=[RANK[s] for s in values & SHOT_STATUS_VALUES])
    if look_statuses := values & {Computed.DRAFT, Computed.READY}:
        query |= Q(status__in=look_statuses)
    if Computed.WITHOUT_STATUS in values:
        query |= Q(shot_status_rank__isnull=True)
    return queryset.filter(query)


# --- shootings ----------------------------------------------------------------------------------
def shooting_rows():
    """Shootings newest first; the list reads their columns (`sartiq.api.rows`)."""
    return Shooting.objects.order_by("-created_at", "-id")


def with_global_version(queryset):
    """`catalog_version`: the global version (`sartiq.read_versions`) the ETags digest."""
    return queryset.annotate(catalog_version=RawSQL(GLOBAL_VERSION_SQL, ()))


def global_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(GLOBAL_VERSION_SQL)
        return cursor.fetchone()[0]


def shootings():
    """Shootings as ShootingPublic shows them (no looks; the statuses are the maintained columns)."""
    return shooting_rows().prefetch_related(Prefetch("default_guidelines", catalog.guidelines()))


def shooting_details(look_queryset):
    """A shooting with the looks of `look_queryset` (`integrations.selectors.shooting_details`)."""
    return shootings().prefetch_related(Prefetch("looks", look_queryset))


# --- read versions (ETags: sartiq/api/conditional.py, sartiq/read_versions.py) ----------------------
def shooting_versions(*, products: bool):
    """Shootings with what a read of one shows besides its own version: the global version and, for
    the reads that show outfits' products (detail, looks), a digest of those products' versions.
    Only the columns the access check reads."""
    queryset = with_global_version(Shooting.objects.only("id", "owner_id", "organization_id", "version"))
    if products:
        queryset = queryset.annotate(products_digest=RawSQL(OUTFIT_PRODUCTS_DIGEST_SQL, ()))
    return queryset


def read_version(shooting) -> list:
    """The versions a read of one shooting (of `shooting_versions`) is a function of."""
    return [str(shooting.pk), shooting.version, shooting.catalog_version, getattr(shooting, "products_digest", None)]


def filter_shootings_by_status(queryset, statuses):
    """`statuses`: a shot status matches the shooting's shot_status, DRAFT/READY any of its looks'
    status, WITHOUT_STATUS a shooting without looks or without shots; values are ORed. The shot
    statuses read the maintained column; "any look DRAFT/READY" is no function of the two ranks (a
    look without shots ranks below DRAFT, a READY look ranks as its shots), so it stays an EXISTS
    on the (shooting, status) index of the looks."""
    values = {str(s) for s in statuses}
    query = Q(shot_status_rank__in=[RANK[s] for s in values & SHOT_STATUS_VALUES])
    for look_status in values & {Computed.DRAFT, Computed.READY}:
        query |= Q(Exists(ShootingLook.objects.filter(shooting=OuterRef("pk"), status=look_status)))
    if Computed.WITHOUT_STATUS in values:
        query |= Q(shot_status_rank__isnull=True)
    return queryset.filter(query)


def summary(shootings_queryset) -> dict:
    """Totals and the breakdown of looks by summary status, in two queries."""
    looks_qs = with_look_statuses(ShootingLook.objects.filter(shooting__in=shootings_queryset.values("pk")))
    totals = looks_qs.aggregate(
        total_shooting_looks=Count("pk"), total_products=Count("product_id", distinct=True)
    )
    breakdown = looks_qs.order_by().values("summary_rank").annotate(count=Count("pk")).order_by("summary_rank")
    return {
        **totals,
        "status_breakdown": [
            {"status": str(STATUS_ORDER[row["summary_rank"]]), "count": row["count"]} for row in breakdown
        ],
    }


def draft_summary(shooting) -> dict:
    pending = Outfit.objects.filter(shooting_look=OuterRef("pk"), generation_status=OutfitGenerationStatus.PENDING)
    return ShootingLook.objects.filter(shooting=shooting, status=ShootingLookStatus.DRAFT).aggregate(
        total_draft_looks=Count("pk"),
        generating_count=Count("pk", filter=Q(Exists(pending))),
    )

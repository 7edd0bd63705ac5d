"""Shot and revision querysets, and the SQL of the status rules (contract §3).

Large reverse relations are prefetched into lists (`Prefetch(..., to_attr="<relation>_list")`):
Django then attaches plain lists instead of building a queryset per parent object, which is
most of the cost of loading a shooting with hundreds of looks. Serializers read those lists.

Statuses are compared by rank (`STATUS_ORDER`): SQL computes ranks with CASE and MIN, the
serializer turns a rank back into its name. A shot's status is its current revision's
`shot_status`, PENDING without one.

What the endpoints show of a revision's pushes (push records, aggregate push status) is added on
top by `integrations.selectors` (revisions, shots, shot_summaries), which the views ask.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, F, IntegerField, Min, Prefetch, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from sartiq.accounts import tenancy
from sartiq.accounts.models import Organization
from sartiq.catalog.choices import ViewAngle
from sartiq.catalog.models import SubjectBaseImage
from sartiq.errors import NotFound
from sartiq.read_versions import GLOBAL_VERSION_SQL
from shots.choices import STATUS_ORDER, ShotStatus
from shots.engines import effective
from shots.models import ExportConfiguration, Generation, Prediction, Shot, ShotRevision, ShotRevisionImage

RANK = {str(status): rank for rank, status in enumerate(STATUS_ORDER)}


def rank_of(expression, ranks: dict[str, int] = RANK) -> Case:
    """The rank of a status expression (NULL for an unknown value)."""
    return Case(*[When(Exact(expression, Value(name)), then=Value(rank)) for name, rank in ranks.items()],
                output_field=IntegerField())


def status_of_rank(rank: int | None, order=STATUS_ORDER) -> str | None:
    return None if rank is None else str(order[rank])


def shot_status_expression(prefix: str = ""):
    """A shot's status: its current revision's, PENDING without one."""
    return Coalesce(F(f"{prefix}current_revision__shot_status"), Value(ShotStatus.PENDING))


def shot_rank_expression(prefix: str = ""):
    return rank_of(shot_status_expression(prefix))


def min_shot_rank(**shot_filter) -> Subquery:
    """MIN rank over the shots matching `shot_filter` (an OuterRef), NULL when there are none."""
    shots = (
        Shot.objects.filter(**shot_filter)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(rank=Min(shot_rank_expression()))
        .values("rank")[:1]
    )
    return Subquery(shots, output_field=IntegerField())


def revisions():
    """Revisions with their images and owner (`integrations.selectors.revisions` adds the pushes)."""
    return (
        ShotRevision.objects.select_related("owner")
        .prefetch_related(
            Prefetch("images", ShotRevisionImage.objects.select_related("image_media", "sketch_image_media"),
                     to_attr="image_list"),
        )
        .order_by("version")
    )


def shots(revision_queryset):
    """Shots as ShotPublic shows them: shot type, status, and the revisions of `revision_queryset`
    (`integrations.selectors.shots` gives them with their pushes)."""
    return (
        Shot.objects.select_related("shot_type__reference_image")
        .annotate(status=shot_status_expression())
        .prefetch_related(Prefetch("revisions", revision_queryset, to_attr="revision_list"))
        .order_by("created_at", "id")
    )


def shot_summaries():
    """Shots as ShotSummary shows them: no revisions (`integrations.selectors.shot_summaries` adds
    the current revision's push status)."""
    return (
        Shot.objects.select_related("shot_type__reference_image")
        .annotate(status=shot_status_expression())
        .order_by("created_at", "id")
    )


def generations():
    return (
        Generation.objects.select_related("shot__shooting_look")
        .prefetch_related(Prefetch("predictions", Prediction.objects.select_related("media"), to_attr="prediction_list"))
        .order_by("created_at", "id")
    )


@dataclass
class OrganizationEngineView:
    """What GET /organizations/{id}/engine shows: the override as set (null without one; never a
    secret, only whether one is stored) and what new generations run on."""

    organization_id: uuid.UUID
    engine: str | None
    model: str | None
    has_api_key: bool
    has_webhook_secret: bool
    effective_engine: str
    effective_model: str
    updated_at: datetime | None


def organization_of(user, organization_id) -> Organization:
    """The organization with its engine override, for one of its members: 404 when it does not
    exist, 403 for others (the tenancy rule). One query, and the caller's memberships."""
    organization = Organization.objects.select_related("image_engine").filter(pk=organization_id).first()
    if organization is None:
        raise NotFound("Organization")
    tenancy.require_member(user, organization.pk)
    return organization


def organization_engine_view(organization: Organization) -> OrganizationEngineView:
    override = getattr(organization, "image_engine", None)
    engine, model = effective(override)
    return OrganizationEngineView(
        organization_id=organization.pk, engine=override.engine if override else None,
        model=override.model if override else None, has_api_key=bool(override and override.api_key),
        has_webhook_secret=bool(override and override.webhook_secret), effective_engine=engine,
        effective_model=model, updated_at=override.updated_at if override else None)


def shot_versions():
    """Shots with what ShotPublic shows besides the shot's tree: the global version (the tree's is
    its shooting's `version`, on the shooting the access check joins)."""
    return Shot.objects.annotate(catalog_version=RawSQL(GLOBAL_VERSION_SQL, ()))


# --- for the services -----------------------------------------------------------------------------
def generatable_shots(look, shot_type_id=None) -> list[Shot]:
    """The look's shots a generation can start from: not a BACK view, and the subject has a base
    image for the shot type (`generation_blockers` says why the others cannot)."""
    generatable, _ = generation_blockers(look, shot_type_id)
    return generatable


def generation_blockers(look, shot_type_id=None) -> tuple[list[Shot], list[tuple[Shot, str]]]:
    """The look's shots (of one shot type) split into those a generation can start from and the
    others, each with what stands in the way: `no_subject` (the look has none), `back_view` (the
    engines render front and side views from a base image) or `no_base_image` (the subject has
    none for the shot type)."""
    shots = Shot.objects.filter(shooting_look=look, shot_type__isnull=False).select_related("shot_type")
    if shot_type_id is not None:
        shots = shots.filter(shot_type_id=shot_type_id)
    with_base = set(
        SubjectBaseImage.objects.filter(subject_id=look.subject_id).values_list("shot_type_id", flat=True)
    ) if look.subject_id else set()
    generatable, blocked = [], []
    for shot in shots:
        shot.shooting_look = look  # its look is this one: no query per shot for it (or its subject)
        if shot.shot_type.view_angle == ViewAngle.BACK:
            blocked.append((shot, "back_view"))
        elif look.subject_id is None:
            blocked.append((shot, "no_subject"))
        elif shot.shot_type_id not in with_base:
            blocked.append((shot, "no_base_image"))
        else:
            generatable.append(shot)
    return generatable, blocked


def revision_for_quality(revision_id) -> ShotRevision | None:
    """A revision with what its quality checks compare it with (shots/checking.py): its
    images' media, its shot's look (asked size, presets, product and packshot) and the shooting's
    guidelines."""
    look = "shot__shooting_look__"
    return (ShotRevision.objects.select_related(
        f"{look}shooting__default_guidelines", f"{look}product__cover_image_media__owner",
        f"{look}resolution_preset", f"{look}background_preset", f"{look}set_design__background_preset")
        .prefetch_related(Prefetch("images", ShotRevisionImage.objects.select_related("image_media__owner"),
                                   to_attr="image_list"))
        .filter(pk=revision_id).first())


def earlier_revision_images(revision, limit: int) -> list[ShotRevisionImage]:
    """The stored images of the shot's `limit` latest revisions before `revision` (by version)."""
    earlier = ShotRevision.objects.filter(shot_id=revision.shot_id, version__lt=revision.version).order_by(
        "-version").values("pk")[:limit]
    return list(ShotRevisionImage.objects.filter(shot_revision__in=earlier, image_media__isnull=False)
                .select_related("image_media__owner").order_by("-shot_revision__version", "position"))


def export_configuration_for(user):
    """The user's export configuration; the default (JPEG, DEFAULT adapter) until they set one."""
    return ExportConfiguration.objects.filter(user=user).first() or ExportConfiguration(user=user)


def generation_counts_by_status() -> dict[str, int]:
    """Generations per status, every tenant's (the `sartiq_generations` metric)."""
    return dict(Generation.objects.order_by().values_list("status").annotate(rows=Count("id")))

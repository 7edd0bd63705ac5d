"""Catalog querysets with every join and prefetch their serializers need (constant query counts).

Nested selectors are reused: guidelines prefetch subjects with `subjects()`, set designs with
`set_designs()`, so a nested object costs the same queries wherever it appears.
"""
from __future__ import annotations

from django.db.models import CharField, IntegerField, Prefetch, UUIDField, Value

from sartiq.catalog import models


def shot_types():
    return models.ShotType.objects.select_related("reference_image").order_by("name", "id")


def pose_presets():
    return models.PosePreset.objects.select_related("pose_image_media").order_by("name", "id")


def styles():
    return models.Style.objects.order_by("name", "id")


def resolution_presets():
    return models.ResolutionPreset.objects.order_by("name", "id")


def background_presets():
    return models.BackgroundPreset.objects.order_by("name", "id")


def subjects():
    return (
        models.Subject.objects.select_related("cover_image_media", "portrait_image_media", "measurements")
        .prefetch_related(
            Prefetch("base_images", models.SubjectBaseImage.objects.select_related("shot_type", "image_media")),
            "data_images_media",
            "portfolio_images_media",
        )
        .order_by("name", "id")
    )


def set_designs():
    return models.SetDesign.objects.prefetch_related(
        Prefetch("base_images", models.SetBaseImage.objects.select_related("image_media")),
        Prefetch("reference_images", models.SetReferenceImage.objects.select_related("image_media")),
        Prefetch("subject_portraits", models.SubjectPortrait.objects.select_related("image_media")),
    ).order_by("name", "id")


def guidelines():
    return models.ShootingGuidelines.objects.prefetch_related(
        Prefetch("set_design", set_designs()),
        Prefetch("shot_types", shot_types()),
        Prefetch("subjects", subjects()),
        Prefetch("pose_presets", pose_presets()),
    ).order_by("name", "id")


def products():
    """Products with their media. The shot and export figures are annotated by `with_activity`."""
    return (
        models.Product.objects.select_related("cover_image_media", "back_image_media")
        .prefetch_related("reference_images_media")
        .order_by("name", "id")
    )


def with_activity(queryset):
    """Annotate the computed ProductPublic fields.

    They summarise the product's looks, shots and exports, which the shootings, shots and
    integrations apps own; until a product has any, they are null (and `shots` empty).
    """
    return queryset.annotate(
        shot_status=Value(None, output_field=CharField()),
        shot_status_shooting_look_id=Value(None, output_field=UUIDField()),
        integration_name=Value(None, output_field=CharField()),
        exports_completed=Value(None, output_field=IntegerField()),
        exports_total=Value(None, output_field=IntegerField()),
    )

"""Catalog querysets with every join and prefetch their serializers need (constant query counts).

Nested selectors are reused: guidelines prefetch subjects with `subjects()`, set designs with
`set_designs()`, so a nested object costs the same queries wherever it appears.
"""
from __future__ import annotations

from django.db.models import Prefetch

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
    """Products with their media (`shootings.selectors.products_for` adds the computed fields)."""
    return (
        models.Product.objects.select_related("cover_image_media", "back_image_media")
        .prefetch_related("reference_images_media")
        .order_by("name", "id")
    )

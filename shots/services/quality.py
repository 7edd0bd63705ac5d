"""A revision's automatic quality checks (shots/quality, docs/quality.md), written here.

A revision created with stored images is PENDING (`revision_create`), and its check is enqueued
after commit (`shots.check_revision_quality`, and again by the sweeper should the message be lost).
`revision_quality_check` reads the revision and what it is compared with, runs the checks outside
any transaction (seconds of image work hold no lock), then stores the result under the shot's lock
only if the revision is still PENDING: a duplicate message, or two workers at once, store it once.
In the same transaction it records `revision.quality_checked` and, when the shooting's guidelines
allow it and a generated revision FAILED, starts another generation for the shot.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sartiq.catalog.quality import effective_thresholds
from sartiq.errors import NotFound
from sartiq.events.services import record
from sartiq.locking import lock
from sartiq.media.references import media_bytes
from shots import quality
from shots.choices import QualityStatus
from shots.events import of_shot
from shots.models import Generation, Shot, ShotRevision
from shots.selectors import earlier_revision_images, revision_for_quality
from shots.services.generations import shot_quality_regenerate

logger = logging.getLogger(__name__)

# The earlier revisions a new one is compared with for duplicates (the latest, by version).
EARLIER_REVISIONS = 10


def revision_quality_check(*, revision_id) -> str:
    """Check a PENDING revision and store the result; returns its status, or "" when there was
    nothing to do (the revision is gone, or was checked already)."""
    revision = revision_for_quality(revision_id)
    if revision is None or revision.quality_status != QualityStatus.PENDING:
        return ""
    look = revision.shot.shooting_look
    shooting = look.shooting
    generation = Generation.objects.filter(revision=revision).select_related("requested_by").first()
    context = _context(revision, look, generated=generation is not None)
    images = [_image(image.image_media, shooting) for image in revision.image_list if image.image_media_id]
    found = quality.assess(images, context)
    with transaction.atomic():
        try:
            shot = lock(Shot, revision.shot_id)  # the tree first (sartiq/locking.py), then the revision
        except NotFound:
            return ""
        if not ShotRevision.objects.filter(pk=revision.pk, quality_status=QualityStatus.PENDING).update(
                quality=found, quality_status=found["status"], updated_at=timezone.now()):
            return ""  # deleted meanwhile, or checked by another worker
        data = {"version": revision.version, "status": found["status"],
                "failed": [check["name"] for check in found["checks"] if not check["passed"]]}
        guidelines = shooting.default_guidelines
        limit = guidelines.quality_auto_regenerate if guidelines is not None else 0
        if found["status"] == QualityStatus.FAILED and generation is not None and limit:
            data["regeneration"] = _regenerate(shot, revision, generation, limit)
        record("revision.quality_checked", of_shot(shot, revision_id=revision.pk), data)
    return found["status"]


def _regenerate(shot, revision, generation, limit: int) -> dict:
    """Another generation for a FAILED generated revision, unless someone has moved on from it."""
    if shot.current_revision_id != revision.pk:
        return {"skipped": "the revision is no longer the shot's current one"}
    started = shot_quality_regenerate(shot=shot, requested_by=generation.requested_by, limit=limit)
    if isinstance(started, str):
        return {"skipped": started}
    return {"generation_id": str(started.pk), "number": shot.quality_regenerations, "max": limit}


def revisions_quality_stale(older_than_seconds: int = 300, limit: int = 500):
    """Ids of revisions PENDING for a while (their check's message was lost), for the sweeper."""
    before = timezone.now() - timedelta(seconds=older_than_seconds)
    return ShotRevision.objects.filter(quality_status=QualityStatus.PENDING, created_at__lt=before).order_by(
        "created_at").values_list("pk", flat=True)[:limit]


def _context(revision, look, *, generated: bool) -> quality.Context:
    guidelines = look.shooting.default_guidelines
    if look.width and look.height:
        asked = (look.width, look.height)
    elif look.resolution_preset_id:
        asked = (look.resolution_preset.width, look.resolution_preset.height)
    else:
        asked = None
    preset = look.background_preset or (look.set_design.background_preset if look.set_design else None)
    earlier = [_image(image.image_media, look.shooting)
               for image in earlier_revision_images(revision, EARLIER_REVISIONS)]
    return quality.Context(
        thresholds=effective_thresholds(guidelines.quality_thresholds if guidelines is not None else None),
        garment=_packshot(look), asked=asked,
        minimum=quality.expected_size(*asked, settings.GENERATION_MAX_SIZE) if asked else None,
        background=preset.color if preset is not None else None,
        previous=tuple(image.phash for image in earlier if image is not None), generated=generated,
    )


def _packshot(look) -> list[quality.Colour] | None:
    """The dominant colours of the look's product's cover image (None: none stored or readable)."""
    product = look.product
    if product is None:
        return None
    data = media_bytes(product.cover_image_media, audience=look.shooting, via=product)
    if data is None:
        return None
    try:
        return quality.packshot_colours_of(data)
    except quality.Undecodable:
        logger.warning("packshot of product %s could not be read for the quality checks", product.pk)
        return None


def _image(media, shooting) -> quality.QualityImage | None:
    """A stored image decoded for the checks (None: missing, not the shooting's, or undecodable)."""
    data = media_bytes(media, audience=shooting)
    if data is None:
        return None
    try:
        return quality.QualityImage.from_bytes(data)
    except quality.Undecodable:
        return None

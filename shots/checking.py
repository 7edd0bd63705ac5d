"""Running a revision's quality checks in a worker: the `shots.check_revision_quality` task calls
`revision_quality_check` (docs/quality.md).

It reads the revision and what its images are compared with (the look's asked size and background
preset, the product's packshot, the shooting's guidelines, the shot's earlier revisions), decodes
the stored images within the media limits, runs the checks (shots/quality) outside any
transaction, and hands the result to `revision_quality_record` (shots/services/quality.py), which
stores it only on a revision still PENDING. Imported by the task alone: the image science it loads
stays out of the web processes.
"""
from __future__ import annotations

import logging

from sartiq.catalog.quality import effective_thresholds
from sartiq.media.references import media_bytes
from shots import quality
from shots.choices import QualityStatus
from shots.generation import asked_size, rendered_size
from shots.models import Generation
from shots.selectors import earlier_revision_images, revision_for_quality
from shots.services.quality import revision_quality_record

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
    generation = Generation.objects.filter(revision=revision).select_related("requested_by").first()
    context = _context(revision, look, generated=generation is not None)
    images = [_image(image.image_media, look.shooting) for image in revision.image_list if image.image_media_id]
    return revision_quality_record(revision=revision, found=quality.assess(images, context), generation=generation)


def _context(revision, look, *, generated: bool) -> quality.Context:
    guidelines = look.shooting.default_guidelines
    asked = asked_size(look)
    preset = look.background_preset or (look.set_design.background_preset if look.set_design else None)
    earlier = [_image(image.image_media, look.shooting)
               for image in earlier_revision_images(revision, EARLIER_REVISIONS)]
    return quality.Context(
        thresholds=effective_thresholds(guidelines.quality_thresholds if guidelines is not None else None),
        garment=_packshot(look), asked=asked,
        minimum=rendered_size(*asked) if asked else None,
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

"""A revision's automatic quality checks (docs/quality.md): the writes.

A revision created with stored images is PENDING (`revision_create`'s `quality_pending`), and
its check is enqueued after commit (`shots.check_revision_quality`, and again by the sweeper should
the message be lost). The worker (shots/checking.py) runs the checks outside any transaction, then
`revision_quality_record` stores the result under the shot's lock only if the revision is still
PENDING: a duplicate message, or two workers at once, store it once. In the same transaction it
records `revision.quality_checked` and, when the shooting's guidelines allow it and a generated
revision FAILED, starts another generation for the shot.

No image science is imported here: the web processes that create revisions never load numpy,
SciPy or scikit-image (shots/quality is the worker's).
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sartiq.errors import NotFound
from sartiq.events.services import record
from sartiq.locking import lock
from shots.choices import QualityStatus
from shots.events import of_shot
from shots.models import Shot, ShotRevision
from shots.services.generations import shot_quality_regenerate


@transaction.atomic
def revision_quality_record(*, revision, found: dict, generation) -> str:
    """Store the checks' result `found` (`{"status", "checks"}`) on `revision` if it is still
    PENDING, with its event, and regenerate a FAILED one where the guidelines say so
    (`generation`: the generation that created the revision, None for an upload). Returns the
    status stored, or "" when there was nothing to do (deleted, or checked meanwhile)."""
    try:
        shot = lock(Shot, revision.shot_id)  # the tree first (sartiq/locking.py), then the revision
    except NotFound:
        return ""
    if not ShotRevision.objects.filter(pk=revision.pk, quality_status=QualityStatus.PENDING).update(
            quality=found, quality_status=found["status"], updated_at=timezone.now()):
        return ""
    data = {"version": revision.version, "status": found["status"],
            "failed": [check["name"] for check in found["checks"] if not check["passed"]]}
    guidelines = shot.shooting_look.shooting.default_guidelines
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

"""The event log's view of shots (docs/events.md): what an event about a shot or a generation names,
and the shot's status before and after a change, for `shot.status_changed`."""
from __future__ import annotations

from sartiq.events.services import Subject, of_shooting, record
from shots.choices import ShotStatus
from shots.models import Generation, ShotRevision

# An error as an event shows it (the generation keeps it whole).
ERROR_MAX = 500


def of_shot(shot, **ids) -> Subject:
    """A subject under `shot`, read with its look and shooting (a shot locked by `sartiq.locking.lock`
    carries its locked look and shooting: no query)."""
    look = shot.shooting_look
    return of_shooting(look.shooting, look_id=look.pk, shot_id=shot.pk, **ids)


def status_of(revision_id) -> str:
    """A shot's status when `revision_id` is its current revision (none: PENDING)."""
    if revision_id is None:
        return ShotStatus.PENDING
    return ShotRevision.objects.filter(pk=revision_id).values_list("shot_status", flat=True).first() or ShotStatus.PENDING


def status_change(shot, before: str, after: str, cause: str) -> list:
    """The `shot.status_changed` entry for `record_each` when the status moved, else nothing."""
    if before == after:
        return []
    return [("shot.status_changed", of_shot(shot), {"from": before, "to": after, "cause": cause})]


def record_for_generation(type: str, generation_id, data: dict | None = None, **only_if) -> None:
    """Record `type` about a generation a worker knows by id only (one query for its subject);
    nothing when the generation is gone or does not match `only_if` (`attempts=1`)."""
    row = Generation.objects.filter(pk=generation_id, **only_if).values(
        "shot_id", "shot__shooting_look_id", "shot__shooting_look__shooting_id",
        "shot__shooting_look__shooting__owner_id", "shot__shooting_look__shooting__organization_id").first()
    if row is None:
        return
    record(type, Subject(owner_id=row["shot__shooting_look__shooting__owner_id"],
                         organization_id=row["shot__shooting_look__shooting__organization_id"],
                         shooting_id=row["shot__shooting_look__shooting_id"], look_id=row["shot__shooting_look_id"],
                         shot_id=row["shot_id"], generation_id=generation_id), data)

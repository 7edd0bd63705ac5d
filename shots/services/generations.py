"""Generations requested for shots: recorded PENDING here, run by the workers after commit
(shots/generation.py)."""
from __future__ import annotations

import uuid

from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.catalog.models import ShotType
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.locking import lock, relock
from shots.choices import GenerationKind, GenerationStatus
from shots.models import Generation, Shot
from shots.selectors import generatable_shots
from shots.tasks import run_generation


def generations_request(*, shots, user, kind=GenerationKind.SHOT, count: int = 1) -> list[Generation]:
    """Record `count` PENDING generations per shot in one insert; the workers run them after
    commit. Whoever polls `/generations/{id}` sees them at once."""
    generations = [Generation(id=uuid.uuid4(), shot_id=shot.pk, kind=kind, requested_by=user)
                   for shot in shots for _ in range(count)]
    Generation.objects.bulk_create(generations)
    ids = [generation.pk for generation in generations]
    transaction.on_commit(lambda: [run_generation.delay(str(pk)) for pk in ids])
    return generations


def base_image_generations_request(*, shots, user) -> list[dict]:
    """One base-image generation per shot (look creation with `generate_base_images`)."""
    generations = generations_request(shots=shots, user=user, kind=GenerationKind.BASE_IMAGE)
    look_of = {shot.pk: shot.shooting_look_id for shot in shots}
    return [{"generation_id": g.pk, "look_id": look_of[g.shot_id], "shot_id": g.shot_id} for g in generations]


@transaction.atomic
def shot_generations_start(*, user, shot, count: int) -> list[Generation]:
    """`count` generations for one shot (POST /shots/{id}/generate); 400 when it cannot be generated."""
    shot = lock(Shot, shot.pk)  # a delete of the shot waits, or wins and this is a 404
    tenancy.check_change(user, shot)
    if shot.shot_type_id is None:
        raise BusinessRuleError("The shot has no shot type")
    if shot not in generatable_shots(shot.shooting_look, shot.shot_type_id):
        raise BusinessRuleError("The shot cannot be generated: back view, or no subject base image for its shot type")
    return generations_request(shots=[shot], user=user, count=count)


@transaction.atomic
def look_generations_start(*, user, look, count: int, shot_type_id=None) -> list[uuid.UUID]:
    """Start `count` generations for each generatable shot of the look (or of one shot type)."""
    look = relock(look)  # two shots of one shot type at once: the second sees the first
    tenancy.check_change(user, look)
    if shot_type_id is not None:
        if not ShotType.objects.filter(pk=shot_type_id).exists():
            raise NotFound("Shot type")
        if not Shot.objects.filter(shooting_look=look, shot_type_id=shot_type_id).exists():
            raise BusinessRuleError("The look has no shot of this shot type")
    shots = generatable_shots(look, shot_type_id)
    return [g.pk for g in generations_request(shots=shots, user=user, count=count)]


def shot_quality_regenerate(*, shot: Shot, requested_by, limit: int) -> Generation | str:
    """After a generated revision FAILED its quality checks (shots/services/quality.py), one more
    generation for the shot, when the shooting's guidelines allow `limit` per shot and some are
    left: it spends none of the client's rework (`quality_regenerations` counts it instead). `shot`
    is locked by the caller. Returns the generation, or why there is none."""
    if shot.quality_regenerations >= limit:
        return f"the guidelines' {limit} automatic regeneration{'s' if limit != 1 else ''} are spent"
    if Generation.objects.filter(shot=shot, kind=GenerationKind.SHOT,
                                 status__in=[GenerationStatus.PENDING, GenerationStatus.RUNNING]).exists():
        return "a generation of the shot is already under way"
    if shot not in generatable_shots(shot.shooting_look, shot.shot_type_id):
        return "the shot cannot be generated any more"
    shot.quality_regenerations += 1
    shot.save(update_fields=["quality_regenerations", "updated_at"])
    (generation,) = generations_request(shots=[shot], user=requested_by)
    return generation

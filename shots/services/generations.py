"""Generations requested for shots: recorded PENDING here, run by the workers after commit
(shots/generation.py)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.catalog.models import ShotType
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.locking import lock, relock
from shots.choices import GenerationKind, GenerationStatus
from shots.models import Generation, Shot
from shots.selectors import generation_blockers
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


def blocker_text(shot, reason: str) -> str:
    """Why a shot cannot be generated (`shots.selectors.generation_blockers`), and what to do instead."""
    look, shot_type = shot.shooting_look, shot.shot_type
    upload = f"upload the image as a revision (POST /api/v1/shots/{shot.pk}/revision)"
    if reason == "back_view":
        return (f"its shot type {shot_type.name!r} is a back view, which the image engines do not render: "
                f"{upload}")
    if reason == "no_subject":
        return (f"its look has no subject: give the look one (PUT /api/v1/shootings/{look.shooting_id}/looks/"
                f"{look.pk} with subject_id), or {upload}")
    subject = look.subject
    return (f"the subject {subject.name!r} has no base image for the shot type {shot_type.name!r}: add one "
            f"(PATCH /api/v1/subjects/{subject.pk} with base_images: the list replaces the subject's, so send "
            f"the ones it has and one for shot_type_id {shot_type.pk}), or {upload}")


def _blocker(shot) -> str | None:
    """Why `shot` cannot be generated (a reason of `generation_blockers`, or `no_shot_type`); None when it can."""
    if shot.shot_type_id is None:
        return "no_shot_type"
    _, blocked = generation_blockers(shot.shooting_look, shot.shot_type_id)
    return next((why for other, why in blocked if other.pk == shot.pk), None)


@transaction.atomic
def shot_generations_start(*, user, shot, count: int) -> list[Generation]:
    """`count` generations for one shot (POST /shots/{id}/generate); 400 saying why when it cannot
    be generated, and what to do instead."""
    shot = lock(Shot, shot.pk)  # a delete of the shot waits, or wins and this is a 404
    tenancy.check_change(user, shot)
    if shot.shot_type_id is None:
        raise BusinessRuleError("The shot has no shot type")
    reason = _blocker(shot)
    if reason is not None:
        raise BusinessRuleError(f"The shot cannot be generated: {blocker_text(shot, reason)}")
    return generations_request(shots=[shot], user=user, count=count)


@dataclass
class LookGenerations:
    generation_ids: list[uuid.UUID]
    skipped: list[str]  # per shot that cannot be generated: why, and what to do instead

    def message(self) -> str:
        started = f"Started {len(self.generation_ids)} generation(s)"
        if not self.skipped:
            return started
        return f"{started}; skipped {len(self.skipped)} shot(s): " + "; ".join(self.skipped)


@transaction.atomic
def look_generations_start(*, user, look, count: int, shot_type_id=None) -> LookGenerations:
    """Start `count` generations for each generatable shot of the look (or of one shot type); the
    others are skipped, each with its reason."""
    look = relock(look)  # two shots of one shot type at once: the second sees the first
    tenancy.check_change(user, look)
    if shot_type_id is not None:
        if not ShotType.objects.filter(pk=shot_type_id).exists():
            raise NotFound("Shot type")
        if not Shot.objects.filter(shooting_look=look, shot_type_id=shot_type_id).exists():
            raise BusinessRuleError("The look has no shot of this shot type")
    shots, blocked = generation_blockers(look, shot_type_id)
    generations = generations_request(shots=shots, user=user, count=count)
    return LookGenerations([g.pk for g in generations],
                           [f"{shot.shot_type.name!r}: {blocker_text(shot, why)}" for shot, why in blocked])


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
    why = _blocker(shot)
    if why is not None:
        return f"the shot cannot be generated any more ({why})"
    shot.quality_regenerations += 1
    shot.save(update_fields=["quality_regenerations", "updated_at"])
    (generation,) = generations_request(shots=[shot], user=requested_by)
    return generation

"""Writes for shots, revisions and generations. The status machine (approve, reject,
set-current, restore) lives here too, so that shot and revision always move together."""
from __future__ import annotations

import uuid

from django.db import transaction

from sartiq.media.models import MediaResource
from sartiq.media.services import media_release
from shots.choices import GenerationKind
from shots.models import Generation, Shot, ShotRevisionImage


def shots_create_for_looks(*, looks, shot_types) -> list[Shot]:
    """One shot per shot type for each look, in one insert."""
    shots = [Shot(id=uuid.uuid4(), shooting_look_id=look.pk, shot_type_id=shot_type.pk)
             for look in looks for shot_type in shot_types]
    Shot.objects.bulk_create(shots)
    return shots


@transaction.atomic
def shots_match_shot_types(*, look, shot_types) -> None:
    """Add and remove the look's shots so that it has exactly one per given shot type."""
    wanted = {shot_type.pk: shot_type for shot_type in shot_types}
    existing = {shot.shot_type_id: shot for shot in Shot.objects.filter(shooting_look=look, shot_type__isnull=False)}
    removed = [shot.pk for type_id, shot in existing.items() if type_id not in wanted]
    if removed:
        release_revision_media(revision_filter={"shot__in": removed})
        Shot.objects.filter(pk__in=removed).delete()
    shots_create_for_looks(looks=[look], shot_types=[st for type_id, st in wanted.items() if type_id not in existing])


def release_revision_media(*, revision_filter: dict) -> None:
    """Before revisions are deleted: drop the stored images only they use (files go after commit)."""
    prefixed = {f"shot_revision__{key}": value for key, value in revision_filter.items()}
    images = ShotRevisionImage.objects.filter(**prefixed)
    media_ids = set(images.values_list("image_media_id", flat=True)) | set(
        images.values_list("sketch_image_media_id", flat=True)
    )
    media_ids.discard(None)
    if not media_ids:
        return
    shared = set(
        ShotRevisionImage.objects.exclude(pk__in=images.values("pk"))
        .filter(image_media_id__in=media_ids).values_list("image_media_id", flat=True)
    ) | set(
        ShotRevisionImage.objects.exclude(pk__in=images.values("pk"))
        .filter(sketch_image_media_id__in=media_ids).values_list("sketch_image_media_id", flat=True)
    )
    media_release(media=MediaResource.objects.filter(pk__in=media_ids - shared))


def generations_request(*, shots, user, kind=GenerationKind.SHOT, count: int = 1) -> list[Generation]:
    """Record `count` PENDING generations per shot in one insert; the workers run them after
    commit. Whoever polls `/generations/{id}` sees them at once."""
    from shots.tasks import run_generation

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


def generatable_shots(look, shot_type_id=None) -> list[Shot]:
    """The look's shots a generation can start from: not a BACK view, and the subject has a base
    image for the shot type."""
    from sartiq.catalog.choices import ViewAngle
    from sartiq.catalog.models import SubjectBaseImage

    shots = Shot.objects.filter(shooting_look=look, shot_type__isnull=False).select_related("shot_type")
    if shot_type_id is not None:
        shots = shots.filter(shot_type_id=shot_type_id)
    with_base = set(
        SubjectBaseImage.objects.filter(subject_id=look.subject_id).values_list("shot_type_id", flat=True)
    ) if look.subject_id else set()
    return [shot for shot in shots if shot.shot_type.view_angle != ViewAngle.BACK and shot.shot_type_id in with_base]


@transaction.atomic
def look_generations_start(*, user, look, count: int, shot_type_id=None) -> list[uuid.UUID]:
    """Start `count` generations for each generatable shot of the look (or of one shot type)."""
    from sartiq.accounts import tenancy
    from sartiq.catalog.models import ShotType
    from sartiq.errors import BusinessRuleError, NotFound

    tenancy.check_change(user, look)
    if shot_type_id is not None:
        if not ShotType.objects.filter(pk=shot_type_id).exists():
            raise NotFound("Shot type")
        if not Shot.objects.filter(shooting_look=look, shot_type_id=shot_type_id).exists():
            raise BusinessRuleError("The look has no shot of this shot type")
    shots = generatable_shots(look, shot_type_id)
    return [g.pk for g in generations_request(shots=shots, user=user, count=count)]

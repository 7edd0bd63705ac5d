"""Writes for shots, revisions and generations, and the status machine (contract §3).

A shot's status is its current revision's `shot_status`, so every operation that changes either
(revision creation, set-current, restore, delete, approve, reject) runs here, in a transaction,
with the shot row locked (`select_for_update`): two requests on one shot are serialized, and a
revision's `version` is never given twice, not even after a deletion (`Shot.last_revision_version`
only grows; the unique constraint is the backstop).
"""
from __future__ import annotations

import base64
import binascii
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from integrations.choices import IntegrationType, PushStatus
from integrations.models import ExternalImagePush
from integrations.selectors import look_mappings
from sartiq.accounts import tenancy
from sartiq.catalog.choices import ViewAngle
from sartiq.catalog.models import ShotType, SubjectBaseImage
from sartiq.errors import BusinessRuleError, Conflict, InvalidInput, NotFound
from sartiq.locking import lock, relock
from sartiq.media.models import MediaResource
from sartiq.media.references import MediaReferences
from sartiq.media.services import media_create_from_bytes, media_release, storage_key_of
from shots import uploads
from shots.choices import REVIEWABLE, GenerationKind, MetadataAdapter, RevisionSource, ShotStatus
from shots.exporting import export_revision
from shots.models import ExportConfiguration, Generation, Prediction, Shot, ShotRevision, ShotRevisionImage
from shots.tasks import run_generation


# --- shots ----------------------------------------------------------------------------------------
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
        with media_released_after(shots=Shot.objects.filter(pk__in=removed)):
            Shot.objects.filter(pk__in=removed).update(current_revision=None)
            Shot.objects.filter(pk__in=removed).delete()
    shots_create_for_looks(looks=[look], shot_types=[st for type_id, st in wanted.items() if type_id not in existing])


def _revision_of(shot, revision_id, field: str) -> uuid.UUID | None:
    """`revision_id` (from the body's `field`) must be a revision of this shot: 404 unknown, 400 another's."""
    if revision_id is None:
        return None
    revision = ShotRevision.objects.filter(pk=revision_id).only("shot_id").first()
    if revision is None:
        raise NotFound("Revision")
    if revision.shot_id != shot.pk:
        raise BusinessRuleError(f"{field} is not a revision of this shot")
    return revision_id


def _check_shot_type_free(look_id, shot_type_id, exclude_shot=None) -> None:
    taken = Shot.objects.filter(shooting_look_id=look_id, shot_type_id=shot_type_id)
    if exclude_shot is not None:
        taken = taken.exclude(pk=exclude_shot)
    if taken.exists():
        raise BusinessRuleError("The look already has a shot of this shot type")


@transaction.atomic
def shot_create(*, user, look, shot_type_id=None) -> Shot:
    look = relock(look)  # two shots of one shot type at once: the second sees the first
    tenancy.check_change(user, look)
    if shot_type_id is not None:
        tenancy.get_usable(ShotType.objects, shot_type_id, user, look.shooting.organization_id, "Shot type")
        _check_shot_type_free(look.pk, shot_type_id)
    return Shot.objects.create(shooting_look=look, shot_type_id=shot_type_id)


def _locked(shot) -> Shot:
    """The shot locked, after its shooting and look (the tree's lock order: sartiq/locking.py)."""
    return lock(Shot, shot.pk)


@transaction.atomic
def shot_update(*, user, shot, data: dict) -> Shot:
    """ShotUpdate: the current revision must be one of the shot's; counters are not negative."""
    shot = _locked(shot)
    tenancy.check_change(user, shot)
    if "current_revision_id" in data:
        shot.current_revision_id = _revision_of(shot, data["current_revision_id"], "current_revision_id")
    if "shot_type_id" in data:
        shot_type_id = data["shot_type_id"]
        if shot_type_id is not None:
            tenancy.get_usable(ShotType.objects, shot_type_id, user, shot.shooting_look.shooting.organization_id,
                               "Shot type")
            _check_shot_type_free(shot.shooting_look_id, shot_type_id, exclude_shot=shot.pk)
        shot.shot_type_id = shot_type_id
    for counter in ("rework_available", "rework_used"):
        if counter in data:
            if data[counter] is None:
                raise InvalidInput(f"{counter} cannot be null", (counter,))
            setattr(shot, counter, data[counter])
    shot.save()
    return shot


@transaction.atomic
def shot_delete(*, user, shot) -> None:
    shot = lock(Shot, shot.pk, delete=True)
    tenancy.check_change(user, shot)
    with media_released_after(shots=Shot.objects.filter(pk=shot.pk)):
        Shot.objects.filter(pk=shot.pk).update(current_revision=None)
        shot.delete()


def _current(shot) -> ShotRevision | None:
    return ShotRevision.objects.select_for_update().filter(pk=shot.current_revision_id).first()


@transaction.atomic
def shot_approve(*, user, shot) -> Shot:
    """PROPOSAL, REVIEW or POST_PROD → APPROVED (on the current revision, and so the shot)."""
    shot = _locked(shot)
    tenancy.check_change(user, shot)
    revision = _current(shot)
    status = revision.shot_status if revision else ShotStatus.PENDING
    if status not in REVIEWABLE:
        raise BusinessRuleError(f"A shot in status {status} cannot be approved")
    revision.shot_status = ShotStatus.APPROVED
    revision.save(update_fields=["shot_status", "updated_at"])
    return shot


@transaction.atomic
def shot_reject(*, user, shot, notes: str | None = None) -> Shot:
    """PROPOSAL or REVIEW → REJECTED, POST_PROD → POST_PROD_REJECTED, using one rework (409 when
    none is left). Notes are added to the current revision's."""
    shot = _locked(shot)
    tenancy.check_change(user, shot)
    revision = _current(shot)
    status = revision.shot_status if revision else ShotStatus.PENDING
    if status not in REVIEWABLE:
        raise BusinessRuleError(f"A shot in status {status} cannot be rejected")
    if shot.rework_available <= 0:
        raise Conflict("No rework left for this shot")
    shot.rework_available -= 1
    shot.rework_used += 1
    shot.save(update_fields=["rework_available", "rework_used", "updated_at"])
    revision.shot_status = ShotStatus.POST_PROD_REJECTED if status == ShotStatus.POST_PROD else ShotStatus.REJECTED
    if notes:
        revision.notes = f"{revision.notes}\n{notes}" if revision.notes else notes
    revision.save(update_fields=["shot_status", "notes", "updated_at"])
    return shot


# --- revisions ------------------------------------------------------------------------------------
@dataclass
class _Image:
    """One image of a revision request, resolved and checked but not yet written."""

    index: int
    data: dict
    media: MediaResource | None = None
    sketch_media: MediaResource | None = None
    image_bytes: bytes | None = None
    sketch_bytes: bytes | None = None
    image_upload: str | None = None  # key of a direct upload of this shot, registered by _store
    sketch_upload: str | None = None


def _decode(value: str, field: tuple) -> bytes:
    """Base64 image data, raw or as a data URL."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("Invalid base64 image data", field)
    if not data:
        raise InvalidInput("Empty image data", field)
    return data


def _stored(references: MediaReferences, shot, url: str, field: tuple) -> tuple[MediaResource | None, str | None]:
    """An image URL must be in the project's storage: a media resource the shot's audience may use
    (checked as every media reference is), or a direct upload made for this shot and not yet
    registered. Anything else is refused, never fetched. Returns (media, upload key)."""
    key = storage_key_of(url)
    if key is None:
        raise InvalidInput(f"{field[-1]} must point to the project's storage (use the upload URL flow)", field)
    media = references.by_key(key, field)
    if media is not None:
        return media, None
    uploads.check_pending(shot=shot, key=key, field=field)
    return None, key


def _resolve_image(references: MediaReferences, shot, index: int, data: dict) -> _Image:
    field = ("images", index)
    image = _Image(index, data)
    source = data.get("source_type") or RevisionSource.UPLOAD
    if data.get("image_data"):
        image.image_bytes = _decode(data["image_data"], (*field, "image_data"))
    elif data.get("image_url"):
        image.media, image.image_upload = _stored(references, shot, data["image_url"], (*field, "image_url"))
    elif source == RevisionSource.PREDICTION and data.get("prediction_id"):
        # A prediction of this shot's own generations: its media is the shot's.
        prediction = Prediction.objects.select_related("media", "generation").filter(pk=data["prediction_id"]).first()
        if prediction is None or prediction.generation.shot_id != shot.pk:
            raise InvalidInput("prediction_id is not a prediction of this shot", (*field, "prediction_id"))
        image.media = prediction.media
    else:
        raise InvalidInput("Each image needs image_data, image_url or (for a prediction) prediction_id", field)
    if data.get("sketch_image_data"):
        image.sketch_bytes = _decode(data["sketch_image_data"], (*field, "sketch_image_data"))
    elif data.get("sketch_image_url"):
        image.sketch_media, image.sketch_upload = _stored(references, shot, data["sketch_image_url"],
                                                          (*field, "sketch_image_url"))
    return image


def _store(user, org, shot, image: _Image, written: list) -> None:
    """Write the image's files (decoded data, registered uploads, each under a fresh key of its
    own media resource); `written` collects what to remove if the transaction does not commit."""
    field = ("images", image.index)
    if image.image_bytes is not None:
        image.media = media_create_from_bytes(owner=user, organization_id=org, data=image.image_bytes,
                                              field=(*field, "image_data"))
        written.append(image.media.file.name)
    elif image.image_upload is not None:
        image.media = uploads.upload_register(shot=shot, key=image.image_upload, owner=user, organization_id=org,
                                              field=(*field, "image_url"), written=written)
    if image.sketch_bytes is not None:
        image.sketch_media = media_create_from_bytes(owner=user, organization_id=org, data=image.sketch_bytes,
                                                     field=(*field, "sketch_image_data"))
        written.append(image.sketch_media.file.name)
    elif image.sketch_upload is not None:
        image.sketch_media = uploads.upload_register(shot=shot, key=image.sketch_upload, owner=user,
                                                     organization_id=org, field=(*field, "sketch_image_url"),
                                                     written=written)


# `previous_revision_id` not given: the new revision follows the current one.
FOLLOW_CURRENT = object()


def revision_create(*, user, shot, shot_status: str, images: list[dict], notes: str | None = None,
                    previous_revision_id=FOLLOW_CURRENT, owner=None) -> ShotRevision:
    """A new revision at the end of the shot's chain, which becomes current (and sets the shot's
    status). `previous_revision_id` must be a revision of this shot (None: starts a chain); by
    default it is the current one. Files written for it are removed again if anything fails.
    `user=None` is the system (a worker storing a generation's result): no permission check, and
    `owner` owns the revision and its files."""
    written: list[str] = []
    try:
        with transaction.atomic():
            return _revision_create(user, shot, shot_status, images, notes, previous_revision_id, owner, written)
    except Exception:
        storage = MediaResource._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise


def _revision_create(user, shot, shot_status, images, notes, previous_revision_id, owner, written):
    shot = _locked(shot)
    if user is not None:
        tenancy.check_change(user, shot)
    if previous_revision_id is FOLLOW_CURRENT:
        previous_revision_id = shot.current_revision_id
    else:
        previous_revision_id = _revision_of(shot, previous_revision_id, "previous_revision_id")
    org = shot.shooting_look.shooting.organization_id
    references = MediaReferences(user, org)
    resolved = [_resolve_image(references, shot, i, data) for i, data in enumerate(images)]
    author = owner or user
    for image in resolved:
        _store(author, org, shot, image, written)
    revision = ShotRevision.objects.create(shot=shot, version=_next_version(shot), shot_status=shot_status,
                                           notes=notes, owner=author, previous_revision_id=previous_revision_id)
    ShotRevisionImage.objects.bulk_create([
        ShotRevisionImage(
            shot_revision=revision, position=image.index,
            source_type=image.data.get("source_type") or RevisionSource.UPLOAD,
            prediction_id=image.data.get("prediction_id"), refine_id=image.data.get("refine_id"),
            # As the client gave them; shown as the media's current URL (sartiq.media.references.shown_url).
            image_url=image.data.get("image_url"), sketch_image_url=image.data.get("sketch_image_url"),
            image_media=image.media, sketch_image_media=image.sketch_media,
            notes=image.data.get("notes"), autogenerated=bool(image.data.get("autogenerated")),
        )
        for image in resolved
    ])
    shot.current_revision = revision
    shot.save(update_fields=["current_revision", "last_revision_version", "updated_at"])
    return revision


def _next_version(shot: Shot) -> int:
    """The shot's next revision version (the shot is locked): above every version it ever gave,
    so a deleted version is never given again. Revisions written around this service (fixtures,
    imports) are counted too."""
    existing = ShotRevision.objects.filter(shot=shot).aggregate(v=Max("version"))["v"] or 0
    shot.last_revision_version = max(shot.last_revision_version, existing) + 1
    return shot.last_revision_version


def _lock_revision(revision) -> tuple[ShotRevision, Shot]:
    shot = lock(Shot, revision.shot_id)
    current = ShotRevision.objects.filter(pk=revision.pk).first()
    if current is None:  # deleted while this request waited
        raise NotFound("Revision")
    return current, shot


@transaction.atomic
def revision_set_current(*, user, revision) -> ShotRevision:
    revision, shot = _lock_revision(revision)
    tenancy.check_change(user, revision)
    shot.current_revision = revision
    shot.save(update_fields=["current_revision", "updated_at"])
    return revision


@transaction.atomic
def revision_delete(*, user, revision) -> None:
    """Delete a revision and the files only it uses. 409 while another revision follows it;
    deleting the current revision makes its previous one current."""
    revision, shot = _lock_revision(revision)
    tenancy.check_change(user, revision)
    if ShotRevision.objects.filter(previous_revision=revision).exists():
        raise Conflict("Revision is referenced by another revision as its previous revision")
    if shot.current_revision_id == revision.pk:
        shot.current_revision_id = revision.previous_revision_id
        shot.save(update_fields=["current_revision", "updated_at"])
    with media_released_after(revisions=ShotRevision.objects.filter(pk=revision.pk)):
        revision.delete()


def _descendants(revision) -> list[uuid.UUID]:
    """Every revision that follows `revision` in its shot's chain, directly or not."""
    children: dict = {}
    for pk, previous in ShotRevision.objects.filter(shot_id=revision.shot_id).values_list("pk", "previous_revision_id"):
        children.setdefault(previous, []).append(pk)
    found, todo = [], list(children.get(revision.pk, []))
    while todo:
        pk = todo.pop()
        found.append(pk)
        todo.extend(children.get(pk, []))
    return found


@transaction.atomic
def revision_restore(*, user, revision) -> ShotRevision:
    """Make `revision` current again and delete every revision after it in the chain, in one
    transaction. A no-op when it is already current. 409 when a later revision was exported."""
    revision, shot = _lock_revision(revision)
    tenancy.check_change(user, revision)
    if shot.current_revision_id == revision.pk:
        return revision
    later = _descendants(revision)
    if ExternalImagePush.objects.filter(revision_id__in=later).exclude(push_status=PushStatus.FAILED).exists():
        raise Conflict("A later revision has been exported; it cannot be deleted")
    shot.current_revision = revision
    shot.save(update_fields=["current_revision", "updated_at"])
    with media_released_after(revisions=ShotRevision.objects.filter(pk__in=later)):
        ShotRevision.objects.filter(pk__in=later).delete()
    return revision


@contextmanager
def media_released_after(*, revisions=None, shots=None):
    """Around the deletion of revisions (or of whole shots): collect the media their images (and the
    shots' predictions) use, and after the block release those nothing references any more
    (`media_release` checks every reference to a media resource, and keeps protected ones)."""
    media_ids = set()
    if revisions is not None:
        images = ShotRevisionImage.objects.filter(shot_revision__in=revisions)
    else:
        images = ShotRevisionImage.objects.filter(shot_revision__shot__in=shots)
        media_ids |= set(Prediction.objects.filter(generation__shot__in=shots, media__isnull=False)
                         .values_list("media_id", flat=True))
    for media_id, sketch_id in images.values_list("image_media_id", "sketch_image_media_id"):
        media_ids |= {media_id, sketch_id}
    yield
    media_release(media_ids=media_ids - {None})


# --- generations ----------------------------------------------------------------------------------
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


def generatable_shots(look, shot_type_id=None) -> list[Shot]:
    """The look's shots a generation can start from: not a BACK view, and the subject has a base
    image for the shot type."""
    shots = Shot.objects.filter(shooting_look=look, shot_type__isnull=False).select_related("shot_type")
    if shot_type_id is not None:
        shots = shots.filter(shot_type_id=shot_type_id)
    with_base = set(
        SubjectBaseImage.objects.filter(subject_id=look.subject_id).values_list("shot_type_id", flat=True)
    ) if look.subject_id else set()
    return [shot for shot in shots if shot.shot_type.view_angle != ViewAngle.BACK and shot.shot_type_id in with_base]


@transaction.atomic
def shot_generations_start(*, user, shot, count: int) -> list[Generation]:
    """`count` generations for one shot (POST /shots/{id}/generate); 400 when it cannot be generated."""
    shot = _locked(shot)  # a delete of the shot waits, or wins and this is a 404
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


# --- downloads and export configuration -----------------------------------------------------------
def export_configuration_for(user):
    """The user's export configuration; the default (JPEG, DEFAULT adapter) until they set one."""
    return ExportConfiguration.objects.filter(user=user).first() or ExportConfiguration(user=user)


@transaction.atomic
def export_configuration_update(*, user, data: dict):
    configuration, _ = ExportConfiguration.objects.select_for_update().get_or_create(user=user)
    for name, value in data.items():
        setattr(configuration, name, value)
    configuration.save()
    return configuration


def shot_download(*, user, shot) -> tuple[bytes, str, str]:
    """The shot's current image rendered in the user's export configuration."""
    tenancy.check_view(user, shot)
    revision = ShotRevision.objects.select_related("shot__shot_type", "shot__shooting_look__product",
                                                   "shot__shooting_look__shooting").filter(
        pk=shot.current_revision_id).first()
    if revision is None:
        raise BusinessRuleError("The shot has no current revision")
    configuration = export_configuration_for(user)
    mapping = None
    if configuration.adapter == MetadataAdapter.OVS:  # named by an OVS mapping of the look's own tenant
        mapping = look_mappings(revision.shot.shooting_look).filter(
            integration__integration_type=IntegrationType.OVS).first()
    rendered = export_revision(revision, export_format=configuration.format, quality=configuration.quality,
                               adapter=configuration.adapter, copyright=configuration.copyright, mapping=mapping)
    if rendered is None:
        raise BusinessRuleError("The current revision has no image")
    return rendered

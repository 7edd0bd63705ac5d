"""Running one generation in a worker (the `shots.run_generation` task calls `generation_run`).

Exactly one result, whatever happens to the messages and workers:
1. **Claim**: one UPDATE moves the row to RUNNING with a fresh `claim_token` and a lease, if it is
   PENDING or RUNNING with an expired lease (its worker died). Otherwise the message is a
   duplicate: if another worker holds a live lease, the task looks again when it ends (so a
   generation whose worker was killed is taken over, never lost); if it is finished, cancelled or
   gone, there is nothing to do.
2. **Work**: the provider reports progress, which also renews the lease; a renewal that finds the
   token gone (cancelled, or taken over after a lost lease) stops the work.
3. **Complete**: the outputs are stored and the revision created in one transaction that flips
   RUNNING → COMPLETED only for this token. A late worker can never write a second result.
Transient provider errors hand the row back (PENDING) for the task to retry with backoff;
permanent ones fail it with the reason.
"""
from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from sartiq.accounts import tenancy
from sartiq.catalog.models import PosePreset, SubjectBaseImage
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.locking import lock
from sartiq.media.models import MediaResource
from sartiq.media.references import media_bytes
from sartiq.media.services import media_create_from_bytes
from sartiq.work import Outcome, claim, lease_end, release, stale
from shots.choices import GenerationKind, GenerationStatus, RevisionSource, ShotStatus
from shots.models import Generation, Prediction, Shot
from shots.providers import (
    GenerationRequest,
    PermanentProviderError,
    TransientProviderError,
    get_provider,
    stable_seed,
)
from shots.services import revision_create

logger = logging.getLogger(__name__)


class Fenced(Exception):
    """This worker no longer holds the generation (cancelled, or taken over)."""


# --- claim, lease, release ------------------------------------------------------------------------
def generation_claim(generation_id) -> uuid.UUID | Outcome:
    return claim(
        Generation.objects.filter(pk=generation_id),
        claimable=lambda now: Q(status=GenerationStatus.PENDING) | Q(status=GenerationStatus.RUNNING,
                                                                      lease_until__lt=now),
        held=Q(status=GenerationStatus.RUNNING),
        status=GenerationStatus.RUNNING, attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), timezone.now()), error=None,
    )


def _held(generation_id, token):
    return Generation.objects.filter(pk=generation_id, claim_token=token, status=GenerationStatus.RUNNING)


def _renew(generation_id, token, progress: int | None = None) -> None:
    values = {"lease_until": lease_end(), "updated_at": timezone.now()}
    if progress is not None:
        values["progress"] = max(0, min(99, progress))
    if not _held(generation_id, token).update(**values):
        raise Fenced()


def _fail(generation_id, token, reason: str) -> None:
    release(_held(generation_id, token), status=GenerationStatus.FAILED, error=reason[:2000],
            finished_at=timezone.now())


def _release(generation_id, token, reason: str) -> None:
    """Hand the row back (PENDING) after a transient error, for the retry to claim again."""
    release(_held(generation_id, token), status=GenerationStatus.PENDING, error=reason[:2000])


def generation_give_up(generation_id, reason: str) -> None:
    """After the last retry: a PENDING generation fails with the last transient error."""
    Generation.objects.filter(pk=generation_id, status=GenerationStatus.PENDING).update(
        status=GenerationStatus.FAILED, error=reason[:2000], finished_at=timezone.now(), updated_at=timezone.now())


# --- inputs ---------------------------------------------------------------------------------------
def _stored_bytes(media: MediaResource | None, shooting, via=None) -> bytes | None:
    """Bytes of a stored input the shooting may read (`sartiq.media.references.media_bytes`):
    only a media resource, never a file named by a URL field; anything else is left out."""
    return media_bytes(media, audience=shooting, via=via)


def _size(look) -> tuple[int, int]:
    if look.width and look.height:
        width, height = look.width, look.height
    elif look.resolution_preset_id:
        width, height = look.resolution_preset.width, look.resolution_preset.height
    else:
        width, height = 800, 1000
    scale = min(1.0, settings.GENERATION_MAX_SIZE / max(width, height))
    return max(64, int(width * scale)), max(64, int(height * scale))


def build_request(generation: Generation) -> GenerationRequest:
    """The prompt and inputs of a generation, from its shot, look, subject, outfit and set."""
    shot = generation.shot
    look = shot.shooting_look
    subject, product, shot_type = look.subject, look.product, shot.shot_type
    outfit = look.outfit
    outfit_products = [link.product for link in outfit.outfit_product_links.select_related("product")] if outfit else []
    pose = shot.pose_preset or (
        PosePreset.objects.filter(pk__in=look.pose_presets.values("pk"), shot_type=shot_type).first()
        if shot_type else None)
    background = look.background_preset or (look.set_design.background_preset if look.set_design else None)
    if generation.kind == GenerationKind.BASE_IMAGE:
        parts = [subject and subject.lora_trigger, subject and str(subject), subject and subject.positive_prompt,
                 shot_type and (shot_type.prompt or f"{shot_type.framing} {shot_type.view_angle} view"),
                 "neutral studio, plain clothes, reference photo"]
    else:
        parts = [
            subject and subject.lora_trigger, subject and str(subject), subject and subject.positive_prompt,
            product and f"wearing {product.name}" + (f" in {product.colour}" if product.colour else ""),
            outfit_products and "with " + ", ".join(p.name for p in outfit_products),
            outfit and outfit.outfit_instruction,
            shot_type and (shot_type.prompt or f"{shot_type.framing.lower().replace('_', ' ')} "
                                               f"{shot_type.view_angle.lower()} shot"),
            shot_type and shot_type.shot_type_prompt_instruction, pose and pose.prompt,
            look.set_design and (look.set_design.description or look.set_design.name),
            background and (background.prompt or background.name), look.style and look.style.prompt, look.instructions,
        ]
    negative = [subject and subject.negative_prompt, look.style and look.style.negative_prompt]
    base = None
    shooting = look.shooting
    if subject is not None and shot_type is not None and generation.kind == GenerationKind.SHOT:
        base_image = SubjectBaseImage.objects.select_related("image_media__owner").filter(
            subject=subject, shot_type=shot_type).first()
        if base_image is not None:
            base = _stored_bytes(base_image.image_media, shooting, subject)
    elif subject is not None:
        base = _stored_bytes(subject.portrait_image_media, shooting, subject) or _stored_bytes(
            subject.cover_image_media, shooting, subject)
    products = [] if generation.kind == GenerationKind.BASE_IMAGE else [product, *outfit_products]
    references = []
    if look.set_design is not None and generation.kind == GenerationKind.SHOT:
        for reference in look.set_design.reference_images.select_related("image_media__owner").filter(
                shot_type=shot_type):
            references.append(_stored_bytes(reference.image_media, shooting, look.set_design))
    width, height = _size(look)
    return GenerationRequest(
        prompt=", ".join(str(p) for p in parts if p), negative_prompt=", ".join(str(p) for p in negative if p),
        width=width, height=height, count=int(generation.params.get("num_outputs", 1)),
        seed=stable_seed(generation.pk), base_image=base,
        product_images=[b for b in (_stored_bytes(p.cover_image_media, shooting, p) for p in products if p) if b],
        reference_images=[r for r in references if r], background=background.color if background else None,
    )


# --- the run --------------------------------------------------------------------------------------
def generation_run(*, generation_id) -> Outcome:
    token = generation_claim(generation_id)
    if isinstance(token, Outcome):
        return token
    try:
        # Not `.get()`: its `LIMIT 21` made PostgreSQL plan this 17-table join for ~60 ms instead of
        # ~11 ms (a fifth of a local generation, measured by `make bench`'s worker part).
        found = list(Generation.objects.select_related(
            "shot__shot_type", "shot__pose_preset", "shot__shooting_look__shooting",
            "shot__shooting_look__subject__portrait_image_media", "shot__shooting_look__subject__cover_image_media",
            "shot__shooting_look__product__cover_image_media", "shot__shooting_look__outfit",
            "shot__shooting_look__set_design__background_preset", "shot__shooting_look__style",
            "shot__shooting_look__background_preset", "shot__shooting_look__resolution_preset",
        ).filter(pk=generation_id))
        if not found:
            raise Generation.DoesNotExist()
        generation = found[0]
        request = build_request(generation)
        _held(generation_id, token).update(
            prompt=request.prompt, negative_prompt=request.negative_prompt, provider=get_provider().name)
        outputs = get_provider().generate(request, progress=lambda value: _renew(generation_id, token, value))
        _complete(generation, token, outputs)
        return Outcome("completed")
    except Fenced:
        logger.info("generation %s: claim lost (cancelled or taken over); stopping", generation_id)
        return Outcome("skipped")
    except TransientProviderError as exc:
        _release(generation_id, token, str(exc))
        return Outcome("transient", error=str(exc))
    except PermanentProviderError as exc:
        _fail(generation_id, token, str(exc))
        return Outcome("failed", error=str(exc))
    except Generation.DoesNotExist:
        return Outcome("skipped")
    except Exception as exc:  # a bug or a broken input: fail visibly rather than retry forever
        logger.exception("generation %s failed", generation_id)
        _fail(generation_id, token, f"Internal error: {exc.__class__.__name__}: {exc}")
        return Outcome("failed", error=str(exc))


def _complete(generation: Generation, token, outputs) -> None:
    """Store the outputs and the result, only if this worker still holds the generation."""
    look = generation.shot.shooting_look
    owner = generation.requested_by or look.shooting.owner
    written = []
    try:
        with transaction.atomic():
            # The shot's tree first, then the generation (sartiq/locking.py): a look update
            # deleting the shot holds the tree and deletes the generation, in that order.
            try:
                lock(Shot, generation.shot_id)
            except NotFound:  # the shot was deleted meanwhile (and the generation with it)
                raise Fenced()
            locked = Generation.objects.select_for_update().filter(pk=generation.pk).first()
            if locked is None or locked.claim_token != token or locked.status != GenerationStatus.RUNNING:
                raise Fenced()
            predictions = []
            for index, output in enumerate(outputs):
                media = media_create_from_bytes(owner=owner, organization_id=look.shooting.organization_id,
                                                data=output.data, alt_text=f"Generation {generation.pk} #{index}")
                written.append(media.file.name)
                predictions.append(Prediction.objects.create(generation=locked, index=index, media=media,
                                                             seed=output.seed))
            revision = None
            if generation.kind == GenerationKind.BASE_IMAGE:
                _store_base_image(generation, predictions[0].media)
            else:
                revision = revision_create(
                    user=None, owner=owner, shot=generation.shot, shot_status=ShotStatus.PROPOSAL,
                    images=[{"source_type": RevisionSource.PREDICTION, "prediction_id": p.pk, "autogenerated": True}
                            for p in predictions],
                    notes=f"Generated ({generation.pk})",
                )
            locked.status = GenerationStatus.COMPLETED
            locked.progress = 100
            locked.revision = revision
            locked.finished_at = timezone.now()
            locked.claim_token = None
            locked.lease_until = None
            locked.save()
    except Exception:
        for name in written:
            default_storage.delete(name)
        raise


def _store_base_image(generation: Generation, media: MediaResource) -> None:
    """A base-image generation gives the look's subject its base image for the shot type, when
    whoever asked for it may change the subject: a public subject, or one of another audience, is
    not rewritten by a tenant's generation (the image stays a prediction of the shot)."""
    look, shot_type = generation.shot.shooting_look, generation.shot.shot_type
    if look.subject_id is None or shot_type is None:
        return
    requester = generation.requested_by or look.shooting.owner
    if not tenancy.can_change(requester, look.subject):
        return
    SubjectBaseImage.objects.update_or_create(
        subject_id=look.subject_id, shot_type=shot_type,
        defaults={"image_url": "", "image_media": media},  # shown as the media's URL
    )


def generation_cancel(*, user, generation) -> Generation:
    """PENDING or RUNNING → CANCELLED; a running worker notices at its next progress report."""
    tenancy.check_change(user, generation)
    if not release(Generation.objects.filter(pk=generation.pk, status__in=[GenerationStatus.PENDING,
                                                                           GenerationStatus.RUNNING]),
                   status=GenerationStatus.CANCELLED, finished_at=timezone.now()):
        raise BusinessRuleError(f"The generation is already {generation.status.lower()}")
    generation.refresh_from_db()
    return generation


def generations_stale():
    return stale(Generation.objects.all(), waiting=Q(status=GenerationStatus.PENDING),
                 running=Q(status=GenerationStatus.RUNNING))

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
Transient provider errors hand the row back (PENDING) for the task to retry with backoff; a 429
hands it back for after its `Retry-After`, not counted as a failure; permanent errors fail it.

A remote engine (shots/providers/) runs a job: the worker submits it once (the job id is recorded
under the claim, so a retry resumes the job instead of paying for another), then polls its status,
renewing the lease, until it ends. With a webhook (PUBLIC_BASE_URL), the worker does not wait: it
hands the claim back (RUNNING without a token: "awaiting") and looks again after
IMAGE_PROVIDER_WEBHOOK_FALLBACK, should no webhook come. A webhook (`generation_webhook`) finishes
the job through the same claim, so a webhook and a poll arriving together produce one revision.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from sartiq import outbound
from sartiq.accounts import tenancy
from sartiq.catalog.models import PosePreset, SubjectBaseImage
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.events.services import record
from sartiq.locking import lock, lock_tree
from sartiq.media.models import MediaResource
from sartiq.media.references import media_bytes
from sartiq.media.services import media_create_from_bytes
from sartiq.work import Outcome, claim, lease_end, release, stale
from shots.choices import GenerationKind, GenerationStatus, RevisionSource, ShotStatus
from shots.engines import engine_for, engine_of
from shots.events import ERROR_MAX, of_shot, record_for_generation
from shots.models import Generation, Prediction, ProviderWebhookMessage, Shot
from shots.providers import (
    CANCELED,
    PROVIDERS,
    SUCCEEDED,
    GenerationRequest,
    JobState,
    PermanentProviderError,
    RateLimited,
    RemoteProvider,
    TransientProviderError,
    WebhookRefused,
    get_provider,
    stable_seed,
    webhook_token_valid,
    webhook_url,
)
from shots.services import revision_create
from shots.tasks import cancel_provider_job

logger = logging.getLogger(__name__)


class Fenced(Exception):
    """This worker no longer holds the generation (cancelled, or taken over)."""


# --- claim, lease, release ------------------------------------------------------------------------
@transaction.atomic  # the first claim and its event (docs/events.md)
def generation_claim(generation_id) -> uuid.UUID | Outcome:
    token = claim(
        Generation.objects.filter(pk=generation_id),
        # PENDING; RUNNING with a lease that ended (its worker died); or RUNNING awaiting its
        # engine's webhook (no token: no worker holds it).
        claimable=lambda now: (Q(status=GenerationStatus.PENDING) | Q(status=GenerationStatus.RUNNING,
                                                                       lease_until__lt=now)
                               | Q(status=GenerationStatus.RUNNING, claim_token__isnull=True)),
        held=Q(status=GenerationStatus.RUNNING),
        status=GenerationStatus.RUNNING, attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), timezone.now()), error=None,
    )
    if not isinstance(token, Outcome):
        record_for_generation("generation.started", generation_id, attempts=1)
    return token


def _held(generation_id, token):
    return Generation.objects.filter(pk=generation_id, claim_token=token, status=GenerationStatus.RUNNING)


def _renew(generation_id, token, progress: int | None = None) -> None:
    values = {"lease_until": lease_end(), "updated_at": timezone.now()}
    if progress is not None:
        values["progress"] = max(0, min(99, progress))
    if not _held(generation_id, token).update(**values):
        raise Fenced()


@transaction.atomic  # the failure and its event
def _fail(generation_id, token, reason: str, **metrics) -> None:
    if release(_held(generation_id, token), status=GenerationStatus.FAILED, error=reason[:2000],
               finished_at=timezone.now(), **metrics):
        record_for_generation("generation.failed", generation_id, {"error": reason[:ERROR_MAX]})


def _release(generation_id, token, reason: str, not_before: float | None = None) -> None:
    """Hand the row back (PENDING) after a transient error, for the retry to claim again (a job
    already submitted is resumed, not submitted again). `not_before` (seconds: an engine's
    Retry-After) keeps the sweeper from sending it again sooner."""
    until = timezone.now() + timedelta(seconds=not_before) if not_before else None
    release(_held(generation_id, token), status=GenerationStatus.PENDING, error=reason[:2000], lease_until=until)


def _await(generation_id, token, seconds: float) -> Outcome:
    """Hand the claim back while the engine works: RUNNING without a token, claimable by the
    webhook at once and by the fallback poll (or the sweeper) after `seconds`."""
    with transaction.atomic():
        rows = _held(generation_id, token)
        lock_tree(rows)
        if not rows.update(claim_token=None, lease_until=timezone.now() + timedelta(seconds=seconds),
                           updated_at=timezone.now()):
            raise Fenced()
    return Outcome("awaiting", retry_in=seconds)


@transaction.atomic  # the failure and its event
def generation_give_up(generation_id, reason: str) -> None:
    """After the last retry: a PENDING generation fails with the last transient error."""
    if Generation.objects.filter(pk=generation_id, status=GenerationStatus.PENDING).update(
            status=GenerationStatus.FAILED, error=reason[:2000], finished_at=timezone.now(),
            updated_at=timezone.now()):
        record_for_generation("generation.failed", generation_id, {"error": reason[:ERROR_MAX]})


# --- inputs ---------------------------------------------------------------------------------------
def _stored_bytes(media: MediaResource | None, shooting, via=None) -> bytes | None:
    """Bytes of a stored input the shooting may read (`sartiq.media.references.media_bytes`):
    only a media resource, never a file named by a URL field; anything else is left out."""
    return media_bytes(media, audience=shooting, via=via)


def asked_size(look) -> tuple[int, int] | None:
    """The size the look asks for: its own, else its resolution preset's (None: nothing asked)."""
    if look.width and look.height:
        return look.width, look.height
    if look.resolution_preset_id:
        return look.resolution_preset.width, look.resolution_preset.height
    return None


def rendered_size(width: int, height: int, max_side: int | None = None) -> tuple[int, int]:
    """What a generation renders for `width` x `height`: within `max_side` (GENERATION_MAX_SIZE),
    64 px at least."""
    scale = min(1.0, (max_side or settings.GENERATION_MAX_SIZE) / max(width, height))
    return max(64, int(width * scale)), max(64, int(height * scale))


def _size(look) -> tuple[int, int]:
    return rendered_size(*(asked_size(look) or (800, 1000)))


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
        product_category=product.category if product else None, product_name=product.name if product else None,
        product_description=(product.description or None) if product else None,
    )


# --- the run --------------------------------------------------------------------------------------
def _load(generation_id) -> Generation:
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
    return found[0]


def generation_run(*, generation_id) -> Outcome:
    token = generation_claim(generation_id)
    if isinstance(token, Outcome):
        return token
    return _with_claim(generation_id, token, lambda generation: _run(generation, token))


def _with_claim(generation_id, token, work) -> Outcome:
    """`work(generation)` under a claim, its errors turned into the claim's release."""
    try:
        return work(_load(generation_id))
    except Fenced:
        logger.info("generation %s: claim lost (cancelled or taken over); stopping", generation_id)
        return Outcome("skipped")
    except RateLimited as exc:  # not a failure: the same attempt again after the engine's delay
        _release(generation_id, token, str(exc), not_before=exc.retry_after)
        return Outcome("rate_limited", retry_in=exc.retry_after, error=str(exc))
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


def _run(generation: Generation, token) -> Outcome:
    generation_id = generation.pk
    resumed = bool(generation.provider_job_id)
    provider = get_provider(engine_of(generation) if resumed else engine_for(generation.shot.shooting_look.shooting))
    if not isinstance(provider, RemoteProvider):  # a synchronous engine (local)
        request = build_request(generation)
        _held(generation_id, token).update(prompt=request.prompt, negative_prompt=request.negative_prompt,
                                           provider=provider.name, model="")
        outputs = provider.generate(request, progress=lambda value: _renew(generation_id, token, value))
        _complete(generation, token, outputs)
        return Outcome("completed")
    hook = webhook_url(provider.engine, generation_id) if provider.webhooks_enabled() else None
    state = None
    if not resumed:
        request = build_request(generation)
        if not _held(generation_id, token).update(prompt=request.prompt, negative_prompt=request.negative_prompt,
                                                  provider=provider.engine, model=provider.model,
                                                  provider_account=provider.config.account):
            raise Fenced()
        state = provider.submit(request, job_key=str(generation_id), webhook_url=hook)
        now = timezone.now()
        # The model again: an engine may choose it per request (FASHN: try-on or product-to-model).
        if not _held(generation_id, token).update(provider_job_id=state.job_id[:255], model=provider.model[:255],
                                                  submitted_at=now, updated_at=now):
            _cancel_quietly(provider, state.job_id)  # cancelled while submitting: stop the engine too
            raise Fenced()
        generation.provider_job_id, generation.submitted_at = state.job_id[:255], now
    deadline = (generation.submitted_at or timezone.now()) + timedelta(seconds=settings.IMAGE_PROVIDER_MAX_WAIT)
    while True:
        if state is None and provider.pollable:
            try:
                state = provider.status(generation.provider_job_id)
            except (RateLimited, TransientProviderError):
                # Not counted as failures, but bounded: past its deadline the job ends here.
                if timezone.now() < deadline:
                    raise
        if state is not None:
            _renew(generation_id, token, state.progress)
            if state.terminal:
                return _settle(generation, token, provider, state)
        remaining = (deadline - timezone.now()).total_seconds()
        if remaining <= 0:
            _cancel_quietly(provider, generation.provider_job_id)
            reason = f"{provider.who} did not finish within {settings.IMAGE_PROVIDER_MAX_WAIT:.0f}s"
            _fail(generation_id, token, reason)
            return Outcome("failed", error=reason)
        if hook or not provider.pollable:
            return _await(generation_id, token, min(settings.IMAGE_PROVIDER_WEBHOOK_FALLBACK, remaining + 1))
        time.sleep(min(settings.IMAGE_PROVIDER_POLL_INTERVAL, remaining))
        state = None


def _settle(generation: Generation, token, provider: RemoteProvider, state: JobState) -> Outcome:
    """A job's end: its outputs become the revision, or its failure the generation's error."""
    metrics = {"compute_seconds": state.compute_seconds, "cost": state.cost, "cost_unit": state.cost_unit[:16]}
    if state.status == SUCCEEDED:
        _complete(generation, token, provider.outputs(state), **metrics)
        return Outcome("completed")
    if state.status == CANCELED:
        reason = f"{provider.who} cancelled the job"
    else:
        reason = f"{provider.who} failed: " + (outbound.clean(state.error) if isinstance(state.error, str)
                                                and state.error.strip() else "no reason given")
    _fail(generation.pk, token, reason, **metrics)
    return Outcome("failed", error=reason)


def _cancel_quietly(provider: RemoteProvider, job_id: str) -> None:
    try:
        provider.cancel(job_id)
    except Exception:  # best effort: the job ends at the engine anyway
        logger.warning("could not cancel job %s at %s", job_id, provider.engine, exc_info=True)


def _complete(generation: Generation, token, outputs, **metrics) -> None:
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
            for name, value in metrics.items():
                setattr(locked, name, value)
            locked.save()
            record("generation.completed",
                   of_shot(generation.shot, generation_id=generation.pk, revision_id=revision and revision.pk),
                   {"revision_id": revision and str(revision.pk), "outputs": len(predictions)})
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


@transaction.atomic  # the cancellation and its event
def generation_cancel(*, user, generation) -> Generation:
    """PENDING or RUNNING → CANCELLED; a running worker notices at its next progress report."""
    tenancy.check_change(user, generation)
    if not release(Generation.objects.filter(pk=generation.pk, status__in=[GenerationStatus.PENDING,
                                                                           GenerationStatus.RUNNING]),
                   status=GenerationStatus.CANCELLED, finished_at=timezone.now()):
        raise BusinessRuleError(f"The generation is already {generation.status.lower()}")
    record_for_generation("generation.canceled", generation.pk)
    generation.refresh_from_db()
    if generation.provider_job_id and generation.provider not in ("", "local"):
        transaction.on_commit(lambda: cancel_provider_job.delay(str(generation.pk)))
    return generation


def generation_cancel_job(generation_id) -> bool:
    """Cancel the engine's job of a CANCELLED generation (the `shots.cancel_provider_job` task)."""
    generation = Generation.objects.filter(pk=generation_id, status=GenerationStatus.CANCELLED).exclude(
        provider_job_id=None).first()
    if generation is None or generation.provider in ("", "local"):
        return False
    get_provider(engine_of(generation)).cancel(generation.provider_job_id)
    return True


def generations_stale():
    return stale(Generation.objects.all(), waiting=Q(status=GenerationStatus.PENDING),
                 running=Q(status=GenerationStatus.RUNNING))


# --- webhooks in ------------------------------------------------------------------------------------
@dataclass
class WebhookResult:
    status: int  # the HTTP status to answer the engine (a 5xx makes it send again)
    detail: str
    changed: bool = False
    requeue: bool = False  # the generation went back to PENDING: send its task again


def generation_webhook(*, engine: str, generation_id: str, token: str, body: bytes, headers) -> WebhookResult:
    """An engine reports a job of ours (POST /api/v1/providers/{engine}/webhook?generation=&token=).

    The URL's token proves we made the URL for this engine and generation (`webhook_url`); an
    engine that signs its webhooks (Replicate: Standard Webhooks) is verified too, and its message
    ids are recorded so a replay changes nothing. A state that does not end the job only moves
    progress. A job's end is settled through the generation's claim, exactly as a poll would: if a
    worker holds the claim, the engine is asked to send again (503) and the worker's own poll
    sees the end; a finished or cancelled generation changes nothing."""
    if engine not in PROVIDERS or engine == "local" or not webhook_token_valid(engine, generation_id, token):
        raise WebhookRefused("Invalid webhook: unknown URL token")
    generation = Generation.objects.filter(pk=generation_id, provider=engine).first()
    if generation is None:
        return WebhookResult(200, "No such generation: nothing to do")
    provider = get_provider(engine_of(generation))
    message_id = provider.verify_webhook(body, headers)
    state = provider.parse_webhook(body)
    if generation.provider_job_id is None:
        return WebhookResult(503, "The job is not recorded yet: send again")
    if state is not None and state.job_id != generation.provider_job_id:
        return WebhookResult(200, "Not the generation's current job: ignored")
    if message_id is not None:
        try:
            with transaction.atomic():
                ProviderWebhookMessage.objects.create(engine=engine, message_id=message_id[:255],
                                                      timestamp=timezone.now())
        except IntegrityError:
            return WebhookResult(200, "Message already received")
    if state is not None and not state.terminal:
        if state.progress is not None:
            Generation.objects.filter(pk=generation.pk, status=GenerationStatus.RUNNING).update(
                progress=max(0, min(99, state.progress)), updated_at=timezone.now())
        return WebhookResult(200, "Progress noted")
    claimed = generation_claim(generation.pk)
    if isinstance(claimed, Outcome):
        if claimed.state == "busy":
            _forget(engine, message_id)
            return WebhookResult(503, "A worker is finishing the generation: send again")
        return WebhookResult(200, "The generation is already finished")

    def settle(generation):
        found = state if state is not None else provider.status(generation.provider_job_id)
        if not found.terminal:
            return _await(generation.pk, claimed, settings.IMAGE_PROVIDER_WEBHOOK_FALLBACK)
        return _settle(generation, claimed, provider, found)

    outcome = _with_claim(generation.pk, claimed, settle)
    if outcome.state in ("transient", "rate_limited"):
        _forget(engine, message_id)
        return WebhookResult(503, "The result could not be fetched yet: send again", requeue=True)
    return WebhookResult(200, f"Generation {outcome.state}", changed=outcome.state in ("completed", "failed"))


def _forget(engine: str, message_id: str | None) -> None:
    """A message that changed nothing may be sent again (its retry is not a replay)."""
    if message_id is not None:
        ProviderWebhookMessage.objects.filter(engine=engine, message_id=message_id[:255]).delete()


def provider_webhook_messages_prune() -> int:
    """Forget message ids well past the Standard Webhooks tolerance (they are refused as stale)."""
    deleted, _ = ProviderWebhookMessage.objects.filter(timestamp__lt=timezone.now() - timedelta(minutes=10)).delete()
    return deleted


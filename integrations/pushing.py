"""Pushing one image to a retailer in a worker (the `integrations.push_image` task), and its
confirmation by the periodic poll or a callback.

The same discipline as generations (shots/generation.py) and proposals (outfits/styling.py): a
PENDING push is claimed with a token and a lease in one UPDATE, every write is fenced by the
token, so a push redelivered, retried or swept is uploaded by one worker at a time, always with
the same idempotency key: the retailer files it once.
"""
from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations import clients, selectors
from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalProductMapping, PushAttempt
from sartiq import outbound
from sartiq.errors import BusinessRuleError
from sartiq.events.services import Subject, of_shooting, record, record_each
from sartiq.locking import lock_tree
from sartiq.work import Outcome, claim, release, stale
from shots.choices import ExportFormat, MetadataAdapter
from shots.exporting import export_revision

# An error as an event shows it (the push keeps it whole).
ERROR_MAX = 500


def _of_push(push: ExternalImagePush) -> Subject:
    """The subject of an event about `push`, read with its revision, shot, look and shooting."""
    shot = push.revision.shot
    return of_shooting(shot.shooting_look.shooting, look_id=shot.shooting_look_id, shot_id=shot.pk,
                       revision_id=push.revision_id, push_id=push.pk)


def record_about_push(type: str, push_id, data: dict) -> None:
    """Record `type` about a push known by id (one query for its subject)."""
    row = ExternalImagePush.objects.filter(pk=push_id).values(
        "integration_id", "revision_id", "revision__shot_id", "revision__shot__shooting_look_id",
        "revision__shot__shooting_look__shooting_id", "revision__shot__shooting_look__shooting__owner_id",
        "revision__shot__shooting_look__shooting__organization_id").first()
    if row is None:
        return
    shooting = "revision__shot__shooting_look__shooting"
    record(type, Subject(owner_id=row[f"{shooting}__owner_id"], organization_id=row[f"{shooting}__organization_id"],
                         shooting_id=row[f"{shooting}_id"], look_id=row["revision__shot__shooting_look_id"],
                         shot_id=row["revision__shot_id"], revision_id=row["revision_id"], push_id=push_id),
           {"integration_id": str(row["integration_id"]), **data})


def push_claim(push_id) -> uuid.UUID | Outcome:
    return claim(
        ExternalImagePush.objects.filter(pk=push_id),
        claimable=lambda now: Q(push_status=PushStatus.PENDING) | Q(push_status=PushStatus.IN_PROGRESS,
                                                                    lease_until__lt=now),
        held=Q(push_status=PushStatus.IN_PROGRESS),
        push_status=PushStatus.IN_PROGRESS, attempts=F("attempts") + 1,
    )


def _held(push_id, token):
    return ExternalImagePush.objects.filter(pk=push_id, claim_token=token, push_status=PushStatus.IN_PROGRESS)


def _payload(push: ExternalImagePush) -> clients.PushPayload:
    """The image rendered with the OVS adapter (metadata and naming), and the filing fields."""
    revision = push.revision
    shot, look = revision.shot, revision.shot.shooting_look
    mapping = ExternalProductMapping.objects.filter(product_id=look.product_id, integration=push.integration).first()
    try:
        rendered = export_revision(revision, export_format=ExportFormat.JPEG, quality=92, adapter=MetadataAdapter.OVS,
                                   copyright=look.shooting.brand and f"(c) {look.shooting.brand}", mapping=mapping)
    except BusinessRuleError as exc:
        raise clients.PermanentPushError(str(exc))
    if rendered is None:
        raise clients.PermanentPushError("The revision has no stored image")
    data, filename, content_type = rendered
    product = look.product
    return clients.PushPayload(
        idempotency_key=str(push.idempotency_key), image=data, filename=filename, content_type=content_type,
        fields={"external_id": mapping and mapping.external_id, "style_code": mapping and mapping.style_code,
                "colour_code": mapping and mapping.colour_code, "sku": product and product.sku,
                "shot_type": shot.shot_type and shot.shot_type.name, "revision": revision.version},
    )


def push_run(*, push_id) -> Outcome:
    token = push_claim(push_id)
    if isinstance(token, Outcome):
        return token
    push = ExternalImagePush.objects.select_related(
        "integration", "revision__shot__shot_type", "revision__shot__shooting_look__product",
        "revision__shot__shooting_look__shooting").get(pk=push_id)
    attempt = PushAttempt(push=push, started_at=timezone.now())
    try:
        if problem := selectors.push_target_problem(push):
            raise clients.PermanentPushError(problem)
        result = clients.client_for(push.integration).upload(_payload(push))
    except clients.TransientPushError as exc:
        _log(attempt, exc.http_status, str(exc), exc.excerpt)
        release(_held(push_id, token), push_status=PushStatus.PENDING, error_message=str(exc)[:2000])
        return Outcome("transient", error=str(exc))
    except (clients.PermanentPushError, BusinessRuleError) as exc:
        _log(attempt, getattr(exc, "http_status", None), str(exc), getattr(exc, "excerpt", ""))
        with transaction.atomic():  # the failure and its event
            if release(_held(push_id, token), push_status=PushStatus.FAILED, error_message=str(exc)[:2000]):
                record("push.failed", _of_push(push), {"integration_id": str(push.integration_id),
                                                       "error": str(exc)[:ERROR_MAX]})
        return Outcome("failed", error=str(exc))
    _log(attempt, result.http_status, None, result.excerpt)
    now = timezone.now()
    state = PushStatus.COMPLETED if result.confirmed else PushStatus.AWAITING_CONFIRMATION
    with transaction.atomic():  # the upload's end and its events
        if not release(_held(push_id, token), push_status=state, external_reference=result.reference, pushed_at=now,
                       completed_at=now if result.confirmed else None, error_message=None):
            return Outcome("skipped")  # taken over meanwhile; the retailer deduplicates by idempotency key
        data = {"integration_id": str(push.integration_id)}
        # A retailer that files the image at once confirms it in its answer: both events.
        record_each([("push.completed", _of_push(push), {**data, "status": state}),
                     *([("push.confirmed", _of_push(push), data)] if result.confirmed else [])])
    return Outcome("completed" if result.confirmed else "awaiting")


@transaction.atomic
def push_give_up(push_id, reason: str) -> None:
    pushes = ExternalImagePush.objects.filter(pk=push_id, push_status=PushStatus.PENDING)
    lock_tree(pushes)  # the shooting before the push, as every writer of the tree (sartiq/locking.py)
    if pushes.update(push_status=PushStatus.FAILED, error_message=reason[:2000], updated_at=timezone.now()):
        record_about_push("push.failed", push_id, {"error": reason[:ERROR_MAX]})


def _log(attempt: PushAttempt, http_status, error, excerpt) -> None:
    attempt.finished_at, attempt.http_status, attempt.error = timezone.now(), http_status, error
    attempt.response_excerpt = excerpt or ""
    attempt.save()


# --- confirmation ---------------------------------------------------------------------------------
def push_confirm(*, push: ExternalImagePush, confirmed: bool, message: str | None = None) -> bool:
    """AWAITING_CONFIRMATION → COMPLETED (or FAILED when the retailer rejected the image).
    Returns whether anything changed (a repeated confirmation changes nothing). Its event's actor
    is the retailer for a callback (`acting`), the system for the periodic poll."""
    now = timezone.now()
    values = ({"push_status": PushStatus.COMPLETED, "completed_at": now, "error_message": None} if confirmed
              else {"push_status": PushStatus.FAILED,
                    "error_message": f"Rejected by the retailer: {outbound.clean(message or '')}"})
    pushes = ExternalImagePush.objects.filter(pk=push.pk, push_status=PushStatus.AWAITING_CONFIRMATION)
    with transaction.atomic():
        lock_tree(pushes)
        changed = bool(pushes.update(updated_at=now, **values))
        if changed and confirmed:
            record_about_push("push.confirmed", push.pk, {})
        elif changed:
            record_about_push("push.failed", push.pk, {"error": values["error_message"][:ERROR_MAX]})
        return changed


def push_poll(*, push_id) -> str:
    """Ask the retailer about a push awaiting confirmation (the periodic poll)."""
    push = ExternalImagePush.objects.select_related("integration").filter(
        pk=push_id, push_status=PushStatus.AWAITING_CONFIRMATION).first()
    if push is None or not push.external_reference:
        return "skipped"
    attempt = PushAttempt(push=push, started_at=timezone.now())
    try:
        status = clients.client_for(push.integration).status(push.external_reference)
    except clients.PushError as exc:
        _log(attempt, exc.http_status, str(exc), exc.excerpt)
        return "error"
    _log(attempt, status.http_status, None, status.excerpt)
    if status.state == "pending":
        return "pending"
    push_confirm(push=push, confirmed=status.state == "confirmed", message=status.message)
    return status.state


def pushes_awaiting():
    return ExternalImagePush.objects.filter(push_status=PushStatus.AWAITING_CONFIRMATION).values_list("pk", flat=True)


def pushes_stale():
    return stale(ExternalImagePush.objects.all(), waiting=Q(push_status=PushStatus.PENDING),
                 running=Q(push_status=PushStatus.IN_PROGRESS))

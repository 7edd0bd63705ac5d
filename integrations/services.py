"""Exports to retailers: push records, the push itself, confirmations, re-pushes.

A push moves PENDING → IN_PROGRESS → AWAITING_CONFIRMATION → COMPLETED, or FAILED. Workers claim
pushes as they claim generations (docs/async.md): a token and a lease in one UPDATE, every write
fenced by the token, so a push redelivered, retried or swept is uploaded by one worker at a time,
and always with the same idempotency key, so the retailer files it once.

A look's images go only to integrations of the look's own tenant (`selectors.look_mappings`);
integrations and mappings are changed by the organization's admins and owners (members read
them); confirmation callbacks are Standard Webhooks messages, each applied once.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from standardwebhooks import Webhook, WebhookVerificationError
from standardwebhooks.webhooks import EmptyWebhookSecretError

from integrations import clients, selectors
from integrations.choices import PUSH_ACTIVE_OR_DONE, PushStatus
from integrations.models import (CallbackMessage, ExternalImagePush, ExternalIntegration, ExternalProductMapping,
                                 PushAttempt)
from integrations.secrets import check_callback_secret, check_credentials, new_callback_secret, reveal, seal
from sartiq import outbound
from sartiq.accounts import tenancy
from sartiq.catalog.models import Product
from sartiq.errors import BusinessRuleError, DomainError, InvalidInput, NotFound, PermissionDenied
from sartiq.work import Outcome, claim, release, stale
from shootings.locking import lock_look, lock_shot, lock_shots
from integrations.tasks import push_image
from shots.choices import ExportFormat, MetadataAdapter, ShotStatus
from shots.exporting import export_revision
from shots.models import ShotRevision

logger = logging.getLogger(__name__)


# --- integrations and mappings --------------------------------------------------------------------
INTEGRATION_FIELDS = ("name", "integration_type", "endpoint_url", "enabled", "settings")
MAPPING_FIELDS = ("external_id", "style_code", "colour_code", "extra")


def can_manage(user, obj) -> bool:
    """Integrations and their mappings are the tenant's configuration (and hold its retailer token):
    in an organization its admins and owners change them, members only read them; a personal one
    is its owner's. `obj` is an integration or a mapping."""
    if not tenancy.can_change(user, obj):
        return False
    organization_id = tenancy.tenant_of(obj).organization_id
    return organization_id is None or tenancy.is_admin_of(user, organization_id)


def _require_manager(user, obj) -> None:
    if not can_manage(user, obj):
        raise PermissionDenied()


def _checked(check, value, name: str) -> None:
    """A check of secrets.py as the service's 422 (never repeating the value: it is a secret)."""
    try:
        check(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), (name,))


def integration_check(*, user, data: dict, instance: ExternalIntegration | None = None,
                      organization_id=None) -> None:
    """Everything that refuses a create (`instance` None) or an update, before anything is written;
    the admin's form asks it too."""
    if instance is None:
        tenancy.require_member(user, organization_id)
        if organization_id is not None and not tenancy.is_admin_of(user, organization_id):
            raise PermissionDenied()
    else:
        _require_manager(user, instance)
    _checked(check_credentials, data.get("credentials"), "credentials")
    _checked(check_callback_secret, data.get("callback_secret"), "callback_secret")
    # The stored token goes only to the address it was given for: a new address needs it again.
    if (instance is not None and instance.credentials and "credentials" not in data
            and data.get("endpoint_url", instance.endpoint_url) != instance.endpoint_url):
        raise InvalidInput("Changing endpoint_url requires the credentials again", ("credentials",))


@transaction.atomic
def integration_create(*, user, organization_id, data: dict) -> ExternalIntegration:
    integration_check(user=user, data=data, organization_id=organization_id)
    integration = ExternalIntegration(owner=user, organization_id=organization_id,
                                      **{k: data[k] for k in INTEGRATION_FIELDS if k in data})
    integration.credentials = seal(data.get("credentials"))
    integration.callback_secret = seal(data.get("callback_secret") or new_callback_secret())
    integration.save()
    return integration


@transaction.atomic
def integration_update(*, user, instance: ExternalIntegration, data: dict) -> ExternalIntegration:
    integration_check(user=user, data=data, instance=instance)
    for name in INTEGRATION_FIELDS:
        if name in data:
            setattr(instance, name, data[name])
    if "credentials" in data:
        instance.credentials = seal(data["credentials"])
    if data.get("callback_secret"):
        instance.callback_secret = seal(data["callback_secret"])
    instance.save()
    return instance


@transaction.atomic
def integration_delete(*, user, instance: ExternalIntegration) -> None:
    _require_manager(user, instance)
    instance.delete()


def _same_tenant(a, b) -> bool:
    return a.organization_id == b.organization_id and (a.organization_id is not None or a.owner_id == b.owner_id)


def mapping_check(*, user, data: dict, instance: ExternalProductMapping | None = None):
    """Refusals of a mapping create (`instance` None: returns its integration and product) or update.

    The product must be usable by the integration's audience: public, or of the integration's own
    tenant (for everyone, superusers included: a mapping shows its product to the integration's
    readers). A mapping only ever affects exports of its integration's tenant (selectors.look_mappings).
    """
    if instance is not None:
        _require_manager(user, instance)
        return None
    integration = tenancy.get_visible(ExternalIntegration.objects.all(), data["integration_id"], user,
                                      "Integration", change=True)
    _require_manager(user, integration)
    product = tenancy.get_usable(Product.objects, data["product_id"], user, integration.organization_id, "Product")
    if not product.public and not _same_tenant(product, integration):
        raise BusinessRuleError("Product belongs to another organization")
    return integration, product


@transaction.atomic
def mapping_create(*, user, organization_id, data: dict) -> ExternalProductMapping:
    integration, product = mapping_check(user=user, data=data)
    already = BusinessRuleError("The product is already mapped for this integration")
    if ExternalProductMapping.objects.filter(product=product, integration=integration).exists():
        raise already
    try:
        with transaction.atomic():  # the same mapping created at the same moment
            return ExternalProductMapping.objects.create(product=product, integration=integration,
                                                         **{k: data[k] for k in MAPPING_FIELDS if k in data})
    except IntegrityError:
        raise already


@transaction.atomic
def mapping_update(*, user, instance: ExternalProductMapping, data: dict) -> ExternalProductMapping:
    mapping_check(user=user, data=data, instance=instance)
    for name in MAPPING_FIELDS:
        if name in data:
            setattr(instance, name, data[name])
    instance.save()
    return instance


@transaction.atomic
def mapping_delete(*, user, instance: ExternalProductMapping) -> None:
    mapping_check(user=user, data={}, instance=instance)
    instance.delete()


# --- exports --------------------------------------------------------------------------------------
@dataclass
class ExportCount:
    created: int = 0
    skipped: int = 0


def _export(revision: ShotRevision, integrations) -> tuple[ExportCount, list[uuid.UUID]]:
    """One push per integration for the revision; completed or in-flight pushes are skipped,
    failed ones are started again. The caller holds the look's and the shot's locks."""
    count, to_push, new = ExportCount(), [], []
    existing = {p.integration_id: p for p in ExternalImagePush.objects.select_for_update().filter(revision=revision)}
    for integration in integrations:
        push = existing.get(integration.pk)
        if push is not None and push.push_status in PUSH_ACTIVE_OR_DONE:
            count.skipped += 1
        elif push is None:
            new.append(ExternalImagePush(id=uuid.uuid4(), revision=revision, integration=integration))
        else:
            ExternalImagePush.objects.filter(pk=push.pk).update(push_status=PushStatus.PENDING, error_message=None,
                                                               updated_at=timezone.now())
            count.created += 1
            to_push.append(push.pk)
    if new:
        # The locks make a conflict impossible among exports; should a push appear by another way,
        # it is counted as skipped rather than failing the request (INSERT ... ON CONFLICT DO NOTHING).
        ExternalImagePush.objects.bulk_create(new, ignore_conflicts=True)
        inserted = set(ExternalImagePush.objects.filter(pk__in=[p.pk for p in new]).values_list("pk", flat=True))
        count.created += len(inserted)
        count.skipped += len(new) - len(inserted)
        to_push += [p.pk for p in new if p.pk in inserted]
    return count, to_push


def _enqueue(push_ids) -> None:
    ids = [str(pk) for pk in push_ids]
    if ids:
        transaction.on_commit(lambda: [push_image.delay(pk) for pk in ids])


def _mapped_integrations(look) -> list[ExternalIntegration]:
    """The enabled integrations of the look's own tenant that map its product (never another
    tenant's, even for a public product)."""
    integrations = [m.integration for m in selectors.look_mappings(look).filter(integration__enabled=True)]
    if not integrations:
        raise BusinessRuleError("The product has no mapping to an external integration")
    return integrations


# Exports lock the tree top-down as every writer of it does (shootings/locking.py): the shooting
# and the look, so that exports of one look (by a revision or by the whole look) run one after the
# other (a revision and its look exported at once inserted the same push twice, or deadlocked),
# then the shot(s), so that an approval, rejection, restore or deletion waits for the export or
# the export for it, then the pushes.
@transaction.atomic
def revision_export(*, user, revision: ShotRevision) -> ExportCount:
    """Export an APPROVED revision to every integration its product is mapped to."""
    shot = lock_shot(revision.shot_id)
    look = shot.shooting_look
    revision = ShotRevision.objects.select_related("shot__shooting_look__shooting").filter(pk=revision.pk).first()
    if revision is None:  # deleted while this request waited
        raise NotFound("Revision")
    tenancy.check_change(user, revision)
    if revision.shot_status != ShotStatus.APPROVED:
        raise BusinessRuleError(f"Only an APPROVED revision can be exported (this one is {revision.shot_status})")
    count, push_ids = _export(revision, _mapped_integrations(look))
    _enqueue(push_ids)
    return count


@dataclass
class LookExportCount(ExportCount):
    processed: int = 0
    revisions_skipped: int = 0


@transaction.atomic
def look_export(*, user, look) -> LookExportCount:
    """Export the current revision of every APPROVED shot of the look; others are skipped."""
    look = lock_look(look.pk)
    tenancy.check_change(user, look)
    integrations = _mapped_integrations(look)
    total, push_ids = LookExportCount(), []
    shots = sorted(lock_shots(look), key=lambda shot: (shot.created_at, shot.pk))
    for shot in shots:
        revision = shot.current_revision
        if revision is None or revision.shot_status != ShotStatus.APPROVED:
            total.revisions_skipped += 1
            continue
        count, ids = _export(revision, integrations)
        total.processed += 1
        total.created += count.created
        total.skipped += count.skipped
        push_ids += ids
    _enqueue(push_ids)
    return total


@transaction.atomic
def push_retry(*, user, push: ExternalImagePush) -> ExternalImagePush:
    """A manual re-push of a FAILED push (same idempotency key: the retailer files it once)."""
    tenancy.check_change(user, push)
    problem = _target_problem(push)
    if problem:
        raise BusinessRuleError(problem)
    if not ExternalImagePush.objects.filter(pk=push.pk, push_status=PushStatus.FAILED).update(
            push_status=PushStatus.PENDING, error_message=None, updated_at=timezone.now()):
        raise BusinessRuleError(f"Only a FAILED push can be pushed again (this one is {push.push_status})")
    _enqueue([push.pk])
    push.refresh_from_db()
    return push


def _target_problem(push: ExternalImagePush) -> str | None:
    """Why the push must not go to its integration (pushes recorded before it was disabled, or
    before security issue #10 when a public product's mapping of another tenant received exports)."""
    if not push.integration.enabled:
        return "The integration is disabled"
    if not _same_tenant(push.integration, push.revision.shot.shooting_look.shooting):
        return "The integration belongs to another tenant"
    return None


# --- the push (in a worker) -----------------------------------------------------------------------
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
        if problem := _target_problem(push):
            raise clients.PermanentPushError(problem)
        result = clients.client_for(push.integration).upload(_payload(push))
    except clients.TransientPushError as exc:
        _log(attempt, exc.http_status, str(exc), exc.excerpt)
        release(_held(push_id, token), push_status=PushStatus.PENDING, error_message=str(exc)[:2000])
        return Outcome("transient", error=str(exc))
    except (clients.PermanentPushError, BusinessRuleError) as exc:
        _log(attempt, getattr(exc, "http_status", None), str(exc), getattr(exc, "excerpt", ""))
        release(_held(push_id, token), push_status=PushStatus.FAILED, error_message=str(exc)[:2000])
        return Outcome("failed", error=str(exc))
    _log(attempt, result.http_status, None, result.excerpt)
    now = timezone.now()
    state = PushStatus.COMPLETED if result.confirmed else PushStatus.AWAITING_CONFIRMATION
    if not release(_held(push_id, token), push_status=state, external_reference=result.reference, pushed_at=now,
                   completed_at=now if result.confirmed else None, error_message=None):
        return Outcome("skipped")  # taken over meanwhile; the retailer deduplicates by idempotency key
    return Outcome("completed" if result.confirmed else "awaiting")


def push_give_up(push_id, reason: str) -> None:
    ExternalImagePush.objects.filter(pk=push_id, push_status=PushStatus.PENDING).update(
        push_status=PushStatus.FAILED, error_message=reason[:2000], updated_at=timezone.now())


def _log(attempt: PushAttempt, http_status, error, excerpt) -> None:
    attempt.finished_at, attempt.http_status, attempt.error = timezone.now(), http_status, error
    attempt.response_excerpt = excerpt or ""
    attempt.save()


# --- confirmation ---------------------------------------------------------------------------------
def push_confirm(*, push: ExternalImagePush, confirmed: bool, message: str | None = None) -> bool:
    """AWAITING_CONFIRMATION → COMPLETED (or FAILED when the retailer rejected the image).
    Returns whether anything changed (a repeated confirmation changes nothing)."""
    now = timezone.now()
    values = ({"push_status": PushStatus.COMPLETED, "completed_at": now, "error_message": None} if confirmed
              else {"push_status": PushStatus.FAILED,
                    "error_message": f"Rejected by the retailer: {outbound.clean(message or '')}"})
    return bool(ExternalImagePush.objects.filter(pk=push.pk, push_status=PushStatus.AWAITING_CONFIRMATION)
                .update(updated_at=now, **values))


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


def push_for_callback(integration: ExternalIntegration, reference: str | None, idempotency_key: str | None):
    query = ExternalImagePush.objects.filter(integration=integration)
    if reference:
        query = query.filter(external_reference=reference)
    elif idempotency_key:
        try:
            query = query.filter(idempotency_key=uuid.UUID(str(idempotency_key)))
        except ValueError:
            raise NotFound("Push")
    else:
        raise NotFound("Push")
    push = query.first()
    if push is None:
        raise NotFound("Push")
    return push


# --- confirmation callbacks (Standard Webhooks) ----------------------------------------------------
# The tolerance standardwebhooks applies to `webhook-timestamp` (fixed by the package).
CALLBACK_TOLERANCE = timedelta(minutes=5)


class CallbackRefused(DomainError):
    status_code = 401


def callback_verify(integration_id, body: bytes, headers) -> tuple[ExternalIntegration, str, datetime]:
    """The integration and the message's id and timestamp, once `webhook-id`, `webhook-timestamp`
    and `webhook-signature` prove the integration's callback secret signed this body within the
    tolerance; CallbackRefused otherwise. An unknown integration (or one without a usable secret)
    is checked against a random secret, so it is refused exactly as a wrong signature is: the
    answer tells nothing about which integrations exist."""
    integration = ExternalIntegration.objects.filter(pk=integration_id).first() if _is_uuid(integration_id) else None
    webhook = None
    if integration is not None and integration.callback_secret:
        try:
            webhook = Webhook(reveal(integration.callback_secret))
        except (DomainError, ValueError, EmptyWebhookSecretError):
            webhook = None
    wanted = {name: headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    try:
        (webhook or Webhook(new_callback_secret())).verify(body, {k: v for k, v in wanted.items() if v},
                                                           json_parse=False)
    except WebhookVerificationError as exc:
        raise CallbackRefused(f"Invalid webhook: {exc}")
    except ValueError:  # a malformed signature list, or a body that is not UTF-8
        raise CallbackRefused("Invalid webhook: malformed headers or body")
    if webhook is None:  # unreachable: a random secret matches no signature
        raise CallbackRefused("Invalid webhook: No matching signature found")
    if len(wanted["webhook-id"]) > CallbackMessage._meta.get_field("message_id").max_length:
        raise BusinessRuleError("webhook-id is too long")
    return integration, wanted["webhook-id"], datetime.fromtimestamp(float(wanted["webhook-timestamp"]),
                                                                      tz=dt_timezone.utc)


@transaction.atomic
def callback_apply(*, integration: ExternalIntegration, message_id: str, timestamp: datetime, reference=None,
                   idempotency_key=None, published: bool, message: str | None = None):
    """Apply a verified callback once: `(push, changed)`, or None when this message id was received
    before (a retry or a replay: nothing changes). The id is recorded with the change, in one
    transaction, so a message that changed nothing (unknown push) may be sent again."""
    try:
        with transaction.atomic():
            CallbackMessage.objects.create(integration=integration, message_id=message_id, timestamp=timestamp)
    except IntegrityError:
        return None
    push = push_for_callback(integration, reference, idempotency_key)
    changed = push_confirm(push=push, confirmed=published, message=message)
    push.refresh_from_db()
    return push, changed


def callback_messages_prune() -> int:
    """Forget message ids whose timestamps are well past the tolerance (they are refused as stale)."""
    deleted, _ = CallbackMessage.objects.filter(timestamp__lt=timezone.now() - 2 * CALLBACK_TOLERANCE).delete()
    return deleted


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False

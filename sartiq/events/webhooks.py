"""Webhook endpoints and their deliveries, as tenants manage them (the API): who may, what is valid,
the signing secret shown once, rotation, a manual retry and a test message. The sending is
sartiq/events/delivery.py's. docs/events.md, "Webhooks".
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sartiq.accounts import tenancy
from sartiq.errors import Conflict, NotFound, PermissionDenied
from sartiq.events import actors, delivery
from sartiq.events.catalogue import TEST_EVENT
from sartiq.events.choices import DeliveryStatus
from sartiq.events.models import Event, WebhookDelivery, WebhookEndpoint
from sartiq.events.payloads import webhook_payload
from sartiq.locking import lock_rows
from sartiq.secrets import new_webhook_secret, seal
from sartiq.services import model_update

ENDPOINT_FIELDS = ("url", "events", "description", "enabled")


def can_manage(user, endpoint: WebhookEndpoint) -> bool:
    """An endpoint receives the tenant's events and holds a secret: in an organization its admins and
    owners manage it, members only read it (never its secret); a personal one is its owner's."""
    if not tenancy.can_change(user, endpoint):
        return False
    return endpoint.organization_id is None or tenancy.is_admin_of(user, endpoint.organization_id)


def _require_manager(user, endpoint: WebhookEndpoint) -> None:
    if not can_manage(user, endpoint):
        raise PermissionDenied()


def _locked(endpoint: WebhookEndpoint, *, delete: bool = False) -> WebhookEndpoint:
    """The endpoint read again under its lock: the workers' claims and results lock it first too."""
    row = lock_rows(WebhookEndpoint.objects.filter(pk=endpoint.pk), delete=delete).first()
    if row is None:
        raise NotFound("Webhook endpoint")
    return row


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpoint:
    endpoint.revealed_secret = secret  # for this one answer (creation, rotation); stored only sealed
    return endpoint


@transaction.atomic
def endpoint_create(*, user, organization_id, data: dict) -> WebhookEndpoint:
    """A new endpoint with a new secret (`revealed_secret`, shown once)."""
    tenancy.require_member(user, organization_id)
    if organization_id is not None and not tenancy.is_admin_of(user, organization_id):
        raise PermissionDenied()
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint(owner=user, organization_id=organization_id, secret=seal(secret),
                               **{name: data[name] for name in ENDPOINT_FIELDS if name in data})
    if not endpoint.enabled:
        endpoint.disabled_reason = "Disabled by a user"
    endpoint.save()
    return _with_secret(endpoint, secret)


@transaction.atomic
def endpoint_update(*, user, instance: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Change the URL, the subscriptions, the description; enabling starts afresh (no reason, no
    failure clock), disabling stops new deliveries (waiting ones fail when their turn comes)."""
    _require_manager(user, instance)
    endpoint = _locked(instance)
    was_enabled = endpoint.enabled
    model_update(endpoint, data, ENDPOINT_FIELDS)
    if endpoint.enabled and not was_enabled:
        endpoint.disabled_reason, endpoint.failing_since = "", None
    elif was_enabled and not endpoint.enabled:
        endpoint.disabled_reason = "Disabled by a user"
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_delete(*, user, instance: WebhookEndpoint) -> None:
    _require_manager(user, instance)
    # Locked first, as a worker recording an attempt does: deleting the deliveries before the
    # endpoint would take their rows before the endpoint's, the other way round.
    _locked(instance, delete=True).delete()


@transaction.atomic
def endpoint_rotate_secret(*, user, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret (`revealed_secret`, shown once); the current one keeps signing beside it for
    WEBHOOK_SECRET_GRACE, so receivers can switch without losing a message. A rotation within the
    grace period ends the grace of the secret before."""
    _require_manager(user, endpoint)
    endpoint = _locked(endpoint)
    secret = new_webhook_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(seconds=settings.WEBHOOK_SECRET_GRACE)
    endpoint.secret = seal(secret)
    endpoint.save()
    return _with_secret(endpoint, secret)


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict("The webhook endpoint is disabled: enable it first"
                       + (f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else ""))


@transaction.atomic
def delivery_retry(*, user, endpoint: WebhookEndpoint, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery again now, with a fresh retry schedule (a failed one, or one waiting for its
    next attempt; a succeeded one is sent again: the receiver dedupes by `webhook-id`)."""
    _require_manager(user, endpoint)
    endpoint = _locked(endpoint)
    found = lock_rows(WebhookDelivery.objects.filter(pk=delivery_id, endpoint=endpoint), delete=False).first()
    if found is None:
        raise NotFound("Delivery")
    _require_enabled(endpoint)
    if found.status == DeliveryStatus.SENDING:
        raise Conflict("The delivery is being sent: wait for its attempt to finish")
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=found.pk).update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now,
                                                        last_error="", updated_at=now)
    transaction.on_commit(lambda: delivery.enqueue([found.pk]))
    found.refresh_from_db()
    return found


@transaction.atomic
def endpoint_test(*, user, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` message to this endpoint only (never recorded in the log, nor sent to others),
    delivered, signed and retried as any event."""
    _require_manager(user, endpoint)
    endpoint = _locked(endpoint)
    _require_enabled(endpoint)
    now = timezone.now()
    actor = actors.current()
    # Shaped as every event (the payload of an unsaved one): receivers parse it as they parse the rest.
    message = Event(uid=uuid.uuid4(), type=TEST_EVENT, occurred_at=now, actor_type=actor.type, actor_id=actor.id,
                    actor_name=actor.name[:255], owner_id=endpoint.owner_id, organization_id=endpoint.organization_id,
                    data={"webhook_endpoint_id": str(endpoint.pk),
                          "message": "A test event, sent on request to this endpoint only"})
    test = WebhookDelivery.objects.create(endpoint=endpoint, message_id=message.uid, event_type=TEST_EVENT,
                                          payload=webhook_payload(message), next_attempt_at=now)
    transaction.on_commit(lambda: delivery.enqueue([test.pk]))
    return test

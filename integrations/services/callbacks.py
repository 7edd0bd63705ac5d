"""Retailers' confirmation callbacks (Standard Webhooks): verified, then applied once per message id."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError
from standardwebhooks.webhooks import EmptyWebhookSecretError

from integrations import selectors
from integrations.models import CallbackMessage, ExternalIntegration
from integrations.pushing import push_confirm
from integrations.secrets import new_callback_secret, reveal
from sartiq.errors import BusinessRuleError, DomainError
from sartiq.events.actors import RETAILER, Actor, acting

# The tolerance standardwebhooks applies to `webhook-timestamp` (fixed by the package).
CALLBACK_TOLERANCE = timedelta(minutes=5)


class CallbackRefused(DomainError):
    status_code = 401


def callback_verify(integration_id, body: bytes, headers) -> tuple[ExternalIntegration, str, datetime]:
    """The integration and the message's id and timestamp, once `webhook-id`, `webhook-timestamp`
    and `webhook-signature` prove the integration's callback secret (or, during its grace, the one
    before the last change) signed this body within the tolerance; CallbackRefused otherwise. An unknown integration (or one without a usable secret)
    is checked against a random secret, so it is refused exactly as a wrong signature is: the
    answer tells nothing about which integrations exist."""
    integration = ExternalIntegration.objects.filter(pk=integration_id).first() if _is_uuid(integration_id) else None
    webhooks = [webhook for sealed in _accepted_secrets(integration) if (webhook := _webhook(sealed)) is not None]
    wanted = {name: headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    sent = {k: v for k, v in wanted.items() if v}
    for webhook in webhooks or [Webhook(new_callback_secret())]:
        try:
            webhook.verify(body, sent, json_parse=False)
            break
        except WebhookVerificationError as exc:
            refusal = CallbackRefused(f"Invalid webhook: {exc}")
            if str(exc) != "No matching signature found":
                raise refusal from None  # missing headers, a stale timestamp: whatever the secret
        except ValueError:  # a malformed signature list, or a body that is not UTF-8
            raise CallbackRefused("Invalid webhook: malformed headers or body") from None
    else:  # no secret signed it
        raise refusal
    if not webhooks:  # unreachable: a random secret matches no signature
        raise CallbackRefused("Invalid webhook: No matching signature found")
    if len(wanted["webhook-id"]) > CallbackMessage._meta.get_field("message_id").max_length:
        raise BusinessRuleError("webhook-id is too long")
    return integration, wanted["webhook-id"], datetime.fromtimestamp(float(wanted["webhook-timestamp"]),
                                                                      tz=dt_timezone.utc)


def _accepted_secrets(integration: ExternalIntegration | None) -> list[str]:
    """The sealed secrets a callback may be signed with: the current one, and the one before a
    rotation until its grace ends."""
    if integration is None:
        return []
    secrets = [integration.callback_secret] if integration.callback_secret else []
    expires = integration.previous_callback_secret_expires_at
    if integration.previous_callback_secret and expires is not None and expires > timezone.now():
        secrets.append(integration.previous_callback_secret)
    return secrets


def _webhook(sealed: str) -> Webhook | None:
    try:
        return Webhook(reveal(sealed))
    except (DomainError, ValueError, EmptyWebhookSecretError):
        return None


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
    push = selectors.push_for_callback(integration, reference, idempotency_key)
    with acting(Actor(RETAILER, name=str(integration.pk))):  # the retailer's doing (docs/events.md)
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

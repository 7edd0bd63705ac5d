"""Retailer integrations, product mappings and image pushes."""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models.deletion import CASCADE, ProtectedError

from integrations.choices import IntegrationType, PushStatus
from sartiq.models import JSONField, TenantModel, TimestampedModel
from shots.models import ShotRevision


class ExternalIntegration(TenantModel):
    """A retailer system that receives approved images (OVS first)."""

    name = models.CharField(max_length=255)
    integration_type = models.CharField(max_length=16, choices=IntegrationType.choices, default=IntegrationType.OVS)
    endpoint_url = models.CharField(max_length=2000, blank=True, default="")
    # The tenant's token at the retailer, encrypted (integrations/secrets.py); never returned.
    credentials = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    settings = JSONField(default=dict, blank=True)
    # The Standard Webhooks secret (whsec_...) signing the retailer's confirmation callbacks;
    # encrypted like the credentials. Empty: no callback is accepted. Shown once, in the answer of
    # the integration's creation and of each rotation.
    callback_secret = models.TextField(blank=True, default="")
    # After the secret changed, the one before is still accepted until then (WEBHOOK_SECRET_GRACE),
    # while the retailer is given the new one.
    previous_callback_secret = models.TextField(blank=True, default="", editable=False)
    previous_callback_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.integration_type})"


class ExternalProductMapping(TimestampedModel):
    """Which item of the retailer's system a product is (style code + colour for OVS)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="external_mappings")
    integration = models.ForeignKey(ExternalIntegration, on_delete=models.CASCADE, related_name="product_mappings")
    external_id = models.CharField(max_length=255, blank=True, default="")
    style_code = models.CharField(max_length=255, null=True, blank=True)
    colour_code = models.CharField(max_length=64, null=True, blank=True)
    extra = JSONField(default=dict, blank=True)

    tenant_path = "integration"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "integration"], name="integrations_mapping_unique")]


def keep_exported_revision(collector, field, sub_objs, using):
    """`on_delete` of a push's revision: an export keeps its revision. Deleting revisions
    themselves (a restore deleting the later ones, a revision's delete) is refused with
    ProtectedError while one of them has a push that did not fail (the revision services answer
    409); a failed push goes with its revision. Deleting a whole shot, look, shooting or owner
    takes the revisions and their pushes along, as CASCADE does."""
    origin = collector.origin
    origin_model = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    if issubclass(origin_model, ShotRevision):
        kept = sub_objs.exclude(push_status=PushStatus.FAILED)
        if kept.exists():
            raise ProtectedError("An exported revision is kept", set(kept))
    CASCADE(collector, field, sub_objs, using)


class ExternalImagePush(TimestampedModel):
    """One revision's image pushed to one integration, tracked until the retailer confirms."""

    revision = models.ForeignKey(ShotRevision, on_delete=keep_exported_revision, related_name="push_records")
    integration = models.ForeignKey(ExternalIntegration, on_delete=models.CASCADE, related_name="pushes")
    push_status = models.CharField(max_length=24, choices=PushStatus.choices, default=PushStatus.PENDING)
    pushed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_reference = models.CharField(max_length=255, null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The worker pushing it: token fencing every write, lease until when it is presumed alive.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)

    tenant_path = "revision__shot__shooting_look__shooting"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["revision", "integration"], name="integrations_push_unique")]
        indexes = [models.Index(fields=["push_status", "updated_at"], name="integrations_push_status")]


class PushAttempt(TimestampedModel):
    """One call to the retailer for a push: when, what came back."""

    push = models.ForeignKey(ExternalImagePush, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]


class CallbackMessage(models.Model):
    """A confirmation callback already received (its Standard Webhooks `webhook-id`), so that a
    replayed message changes nothing. Kept while its signed timestamp is within the tolerance;
    older ones are refused as stale anyway and pruned (`integrations.prune_callback_messages`)."""

    integration = models.ForeignKey(ExternalIntegration, on_delete=models.CASCADE, related_name="callback_messages")
    message_id = models.CharField(max_length=255)
    timestamp = models.DateTimeField()  # the signed `webhook-timestamp`
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["integration", "message_id"],
                                               name="integrations_callback_message_unique")]
        indexes = [models.Index(fields=["timestamp"], name="integrations_callback_ts")]

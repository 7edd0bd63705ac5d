"""The event log: one row per state change, written by the service that makes the change, in its
transaction (an outbox: docs/events.md). Events outlive what they name: the ids are plain
columns (no foreign keys), so the history of a deleted shot stays readable by its tenant.

Webhooks (docs/events.md, "Webhooks"): a tenant's `WebhookEndpoint`s receive the events they
subscribe to, one `WebhookDelivery` per event and endpoint, each try a `WebhookAttempt`.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from sartiq.events.choices import DeliveryStatus
from sartiq.models import JSONField, TenantModel, TimestampedModel


class CurrentTransactionId(models.Func):
    """The writing transaction's id (PostgreSQL's 64-bit xid8, as a bigint): the feed's order.

    Ids from a sequence are handed out at insert but become visible at commit, in another order:
    a reader could pass event 11 before event 10 commits and never see it. Transaction ids
    compared with the oldest transaction still running (`pg_snapshot_xmin`) say which events can
    no longer be joined by an earlier one (sartiq/events/selectors.py)."""

    template = "pg_current_xact_id()::text::bigint"
    output_field = models.BigIntegerField()


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    transaction_id = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # Who: a user (API), staff (the admin), the system (workers), an image engine, a retailer.
    actor_type = models.CharField(max_length=16)
    actor_id = models.UUIDField(null=True, blank=True)  # the user, for user and staff
    actor_name = models.CharField(max_length=255, blank=True, default="")  # the engine, the integration
    # The tenant, as the shooting's: who may read the event (sartiq/accounts/tenancy.py).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.DO_NOTHING,
                                     db_constraint=False, related_name="+")
    shooting_id = models.UUIDField(null=True, blank=True)
    look_id = models.UUIDField(null=True, blank=True)
    shot_id = models.UUIDField(null=True, blank=True)
    revision_id = models.UUIDField(null=True, blank=True)
    generation_id = models.UUIDField(null=True, blank=True)
    push_id = models.UUIDField(null=True, blank=True)
    data = JSONField(default=dict, blank=True)
    # Deliveries to webhook endpoints were created (sartiq/events/delivery.py): set once, by the
    # fan-out that claims the event, so a repeated message creates none twice; the sweeper looks
    # for events still unset (a lost message).
    fanned_out = models.BooleanField(default=False, db_default=False, editable=False)

    tenant_path = ""

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["transaction_id", "id"], name="events_feed_order"),
            models.Index(fields=["shot_id", "-id"], name="events_shot_history"),
            models.Index(fields=["shooting_id", "-id"], name="events_shooting_history"),
            models.Index(fields=["organization", "transaction_id", "id"], name="events_org_feed"),
            models.Index(fields=["occurred_at"], condition=Q(fanned_out=False), name="events_not_fanned_out"),
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class WebhookEndpoint(TenantModel):
    """Where a tenant receives its events: an organization's (managed by its admins and owners) or a
    user's personal one. The signing secret is stored sealed (sartiq/secrets.py) and shown once, at
    creation or rotation; after a rotation the previous one still signs until it expires."""

    url = models.CharField(max_length=2000)
    events = JSONField(default=list)  # types, prefixes (`shot.*`) or `*`: sartiq/events/catalogue.py
    description = models.CharField(max_length=500, blank=True, default="")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    secret = models.TextField(editable=False)
    previous_secret = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The first failed attempt since the last success: the endpoint is disabled when this is older
    # than WEBHOOK_DISABLE_AFTER.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "enabled"], name="events_webhook_org"),
                   models.Index(fields=["owner", "enabled"], name="events_webhook_owner")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TimestampedModel):
    """One event (or a test message) to one endpoint, tried until it succeeds, fails for good or
    runs out of attempts. Claimed by a worker as every other piece of work (sartiq/work.py)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message_id = models.UUIDField()  # `webhook-id`: the event's uid (a test message's own)
    event_type = models.CharField(max_length=64)
    payload = JSONField(null=True, blank=True)  # the body of a test message (an event's is rendered from it)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # since it was (re)queued: the backoff's step
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_path = "endpoint"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], condition=Q(event__isnull=False),
                                               name="events_one_delivery_per_endpoint_and_event")]
        indexes = [models.Index(fields=["endpoint", "-created_at", "-id"], name="events_delivery_list"),
                   models.Index(fields=["next_attempt_at"], condition=Q(status__in=["PENDING", "SENDING"]),
                                name="events_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One request to the endpoint: when, how long, its answer (status and a short cleaned
    excerpt) or the error that stopped it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.IntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")

    tenant_path = "delivery__endpoint"

    class Meta:
        ordering = ["started_at", "id"]

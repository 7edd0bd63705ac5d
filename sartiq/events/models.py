"""The event log: one row per state change, written by the service that makes the change, in its
transaction (an outbox: docs/events.md). Events outlive what they name: the ids are plain
columns (no foreign keys), so the history of a deleted shot stays readable by its tenant.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from sartiq.models import JSONField


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

    tenant_path = ""

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["transaction_id", "id"], name="events_feed_order"),
            models.Index(fields=["shot_id", "-id"], name="events_shot_history"),
            models.Index(fields=["shooting_id", "-id"], name="events_shooting_history"),
            models.Index(fields=["organization", "transaction_id", "id"], name="events_org_feed"),
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

"""An event as clients see it, in the API (the feed, histories) and in webhook bodies (docs/events.md):
one serializer for both, so a webhook carries exactly what the feed shows. The webhook worker
renders with it (sartiq/events/delivery.py), which domain code may do; the API re-exports it
(sartiq/events/api/serializers.py)."""
from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import serializers

from sartiq.events.actors import ACTOR_TYPES, STAFF
from sartiq.events.models import Event


class EventActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ACTOR_TYPES, help_text="Who caused the change")
    id = serializers.UUIDField(allow_null=True, help_text="The user (for `user` and `staff`)")
    name = serializers.CharField(help_text="The user's e-mail, the engine or the integration")


class EventPublicSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uid", read_only=True, help_text="The event's id (a webhook's `webhook-id`)")
    actor = serializers.SerializerMethodField()
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True, help_text="What changed (from/to status, note, error...)")

    class Meta:
        model = Event
        fields = ["id", "type", "occurred_at", "actor", "organization_id", "shooting_id", "look_id", "shot_id",
                  "revision_id", "generation_id", "push_id", "data"]
        read_only_fields = fields

    def get_actor(self, event) -> EventActorSerializer:
        # A studio reviewer acting in the admin is "staff" to clients: their e-mail stays in the
        # admin's own history (clients see their own members' names, not the studio's staff).
        name = "" if event.actor_type == STAFF else event.actor_name
        return {"type": event.actor_type, "id": None if event.actor_type == STAFF else event.actor_id, "name": name}


def webhook_payload(event: Event) -> dict:
    """The body of a webhook (Standard Webhooks' convention: `type`, `timestamp`, `data`), `data`
    being the event as the feed shows it; plain JSON values only."""
    data = EventPublicSerializer(event).data
    return json.loads(json.dumps({"type": event.type, "timestamp": data["occurred_at"], "data": data},
                                 cls=DjangoJSONEncoder))

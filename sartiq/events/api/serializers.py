"""Events as the API shows them (docs/events.md)."""
from __future__ import annotations

from rest_framework import serializers

from sartiq.events.actors import ACTOR_TYPES
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
        return {"type": event.actor_type, "id": event.actor_id, "name": event.actor_name}


class EventFeedSerializer(serializers.Serializer):
    data = EventPublicSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `after` to read on; null: no event yet")
    has_more = serializers.BooleanField(help_text="More events are ready now (read again with `next_cursor`)")

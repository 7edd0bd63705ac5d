"""Events as the API shows them (docs/events.md)."""
from __future__ import annotations

from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer
from sartiq.events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# The event's shape lives beside the model: webhook bodies are rendered with it too.
from sartiq.events.payloads import EventActorSerializer, EventPublicSerializer  # noqa: F401


class EventFeedSerializer(serializers.Serializer):
    data = EventPublicSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `after` to read on; null: no event yet")
    has_more = serializers.BooleanField(help_text="More events are ready now (read again with `next_cursor`)")


# --- webhook endpoints ------------------------------------------------------------------------------
class WebhookEndpointPublicSerializer(ReadSerializer):
    """An endpoint without its secret (shown once: WebhookEndpointWithSecret)."""

    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    events = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text="Event types, prefixes (`shot.*`) or `*`")
    disabled_reason = serializers.CharField(read_only=True, help_text="Why it was disabled (automatically: after "
                                                                      "failing for a day)")
    failing_since = serializers.DateTimeField(read_only=True, allow_null=True,
                                              help_text="Every delivery has failed since then")
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="After a rotation, the previous secret signs too until then")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "enabled", "disabled_reason", "failing_since",
                  "previous_secret_expires_at", "owner_id", "organization_id", "created_at", "updated_at"]


class WebhookEndpointWithSecretSerializer(WebhookEndpointPublicSerializer):
    """The answer of a creation and a rotation: the only time the secret is shown."""

    secret = serializers.CharField(source="revealed_secret", read_only=True,
                                   help_text="The signing secret (Standard Webhooks, `whsec_...`): keep it, it is "
                                             "not shown again")

    class Meta(WebhookEndpointPublicSerializer.Meta):
        fields = [*WebhookEndpointPublicSerializer.Meta.fields, "secret"]


class WebhookAttemptPublicSerializer(ReadSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["started_at", "duration_ms", "status_code", "response_excerpt", "error"]


class WebhookDeliveryPublicSerializer(ReadSerializer):
    message_id = serializers.UUIDField(read_only=True, help_text="The `webhook-id` header: the event's `id` "
                                                                 "(a test message's own)")
    attempt_log = WebhookAttemptPublicSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "message_id", "event_type", "status", "attempts", "next_attempt_at", "last_status_code",
                  "last_error", "delivered_at", "created_at", "updated_at", "attempt_log"]

from rest_framework import serializers

from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from sartiq.api.serializers import ReadSerializer


class ExternalImagePushPublicSerializer(ReadSerializer):
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = ExternalImagePush
        fields = ["id", "created_at", "updated_at", "integration_id", "push_status", "pushed_at", "completed_at",
                  "error_message"]


class PushAttemptPublicSerializer(ReadSerializer):
    class Meta:
        model = PushAttempt
        fields = ["id", "started_at", "finished_at", "http_status", "error", "response_excerpt"]


class ExternalImagePushDetailSerializer(ExternalImagePushPublicSerializer):
    """A push with its history, for staff and support."""

    revision_id = serializers.UUIDField(read_only=True)
    attempt_log = PushAttemptPublicSerializer(many=True, read_only=True)

    class Meta(ExternalImagePushPublicSerializer.Meta):
        fields = [*ExternalImagePushPublicSerializer.Meta.fields, "revision_id", "attempts", "external_reference",
                  "attempt_log"]


class ExternalIntegrationPublicSerializer(ReadSerializer):
    """Secrets are not returned: only whether they are set (the callback secret is shown once:
    ExternalIntegrationWithSecret)."""

    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    has_credentials = serializers.SerializerMethodField()
    has_callback_secret = serializers.SerializerMethodField()
    previous_callback_secret_expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="After the callback secret changed, callbacks signed with the one before are accepted until then")

    class Meta:
        model = ExternalIntegration
        fields = ["id", "name", "integration_type", "endpoint_url", "enabled", "settings", "has_credentials",
                  "has_callback_secret", "previous_callback_secret_expires_at", "owner_id", "organization_id",
                  "created_at", "updated_at"]

    def get_has_credentials(self, integration) -> bool:
        return bool(integration.credentials)

    def get_has_callback_secret(self, integration) -> bool:
        return bool(integration.callback_secret)


class ExternalIntegrationWithSecretSerializer(ExternalIntegrationPublicSerializer):
    """The answer of a creation and of a rotation of the callback secret: the only times it is shown."""

    callback_secret = serializers.CharField(
        source="revealed_callback_secret", read_only=True, allow_null=True,
        help_text="The Standard Webhooks secret (`whsec_...`) the retailer signs its confirmation callbacks "
                  "with (`POST /api/v1/integrations/{id}/callback`), made by the server: give it to the "
                  "retailer, it is not shown again (rotate it for a new one). Null when the request gave its own")

    class Meta(ExternalIntegrationPublicSerializer.Meta):
        fields = [*ExternalIntegrationPublicSerializer.Meta.fields, "callback_secret"]


class ExternalProductMappingPublicSerializer(ReadSerializer):
    product_id = serializers.UUIDField(read_only=True)
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = ExternalProductMapping
        fields = ["id", "product_id", "integration_id", "external_id", "style_code", "colour_code", "extra",
                  "created_at", "updated_at"]


class ExportRevisionResponseSerializer(serializers.Serializer):
    revision_id = serializers.UUIDField()
    exports_created = serializers.IntegerField()
    exports_skipped = serializers.IntegerField()
    message = serializers.CharField()


class ExportLookResponseSerializer(serializers.Serializer):
    look_id = serializers.UUIDField()
    revisions_processed = serializers.IntegerField()
    revisions_skipped = serializers.IntegerField()
    exports_created = serializers.IntegerField()
    exports_skipped = serializers.IntegerField()
    message = serializers.CharField()

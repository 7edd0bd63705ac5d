from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from integrations.choices import IntegrationType
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from integrations.secrets import describe
from sartiq import outbound
from sartiq.api.fields import StrictCharField, optional


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
    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    has_credentials = serializers.SerializerMethodField()
    credentials_reference = serializers.SerializerMethodField(
        help_text="The env:NAME reference when credentials are one; secrets are never returned")

    class Meta:
        model = ExternalIntegration
        fields = ["id", "name", "integration_type", "endpoint_url", "enabled", "settings", "has_credentials",
                  "credentials_reference", "owner_id", "organization_id", "created_at", "updated_at"]

    def get_has_credentials(self, integration) -> bool:
        return describe(integration.credentials)["set"]

    def get_credentials_reference(self, integration) -> str | None:
        return describe(integration.credentials)["reference"]


class ExternalIntegrationCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=255)
    integration_type = serializers.ChoiceField(IntegrationType.choices)
    endpoint_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="",
                                        help_text="https; http and internal addresses only for hosts the operator "
                                                  "lists in OUTBOUND_ALLOWED_HOSTS")
    credentials = optional(max_length=5000, help_text="A token, or env:NAME to read it from the server's environment")
    callback_secret = optional(max_length=500, help_text="Signs confirmation callbacks; generated when omitted")
    enabled = serializers.BooleanField(required=False, default=True)
    settings = serializers.DictField(required=False, default=dict)

    def validate_endpoint_url(self, url: str) -> str:
        """Early feedback on an endpoint the server may not call (http, user info, an internal IP
        literal); the outbound client checks the address again when it connects."""
        if url:
            try:
                outbound.check_url(url)
            except outbound.OutboundRefused as exc:
                raise serializers.ValidationError(str(exc))
        return url


class ExternalProductMappingPublicSerializer(ReadSerializer):
    product_id = serializers.UUIDField(read_only=True)
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = ExternalProductMapping
        fields = ["id", "product_id", "integration_id", "external_id", "style_code", "colour_code", "extra",
                  "created_at", "updated_at"]


class ExternalProductMappingCreateSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    integration_id = serializers.UUIDField()
    external_id = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    style_code = optional(max_length=255)
    colour_code = optional(max_length=64)
    extra = serializers.DictField(required=False, default=dict)


class ExternalProductMappingUpdateSerializer(serializers.Serializer):
    external_id = StrictCharField(max_length=255, required=False, allow_blank=True)
    style_code = optional(max_length=255)
    colour_code = optional(max_length=64)
    extra = serializers.DictField(required=False)


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

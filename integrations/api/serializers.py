from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer, update_serializer

from integrations.choices import IntegrationType
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from integrations.secrets import check_callback_secret, check_credentials
from sartiq import outbound
from sartiq.api.fields import InputSerializer, JSONObjectField, StrictCharField, optional


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
    """Secrets are never returned: only whether they are set."""

    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)
    has_credentials = serializers.SerializerMethodField()
    has_callback_secret = serializers.SerializerMethodField()

    class Meta:
        model = ExternalIntegration
        null_means = ("credentials", "callback_secret")  # none; a new callback secret
        fields = ["id", "name", "integration_type", "endpoint_url", "enabled", "settings", "has_credentials",
                  "has_callback_secret", "owner_id", "organization_id", "created_at", "updated_at"]

    def get_has_credentials(self, integration) -> bool:
        return bool(integration.credentials)

    def get_has_callback_secret(self, integration) -> bool:
        return bool(integration.callback_secret)


def _valid(check):
    """A check of integrations.secrets as a serializer validator (reported as Pydantic's value_error)."""
    def validator(value):
        try:
            check(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))
    return validator


# A secret's input is never repeated in a 422 (sartiq.api.validation.mask_secrets).
SECRET = {"input_type": "password"}


class ExternalIntegrationCreateSerializer(InputSerializer):
    class Meta:
        model = ExternalIntegration
        null_means = ("credentials", "callback_secret")  # none; a new callback secret

    name = StrictCharField(max_length=255)
    integration_type = serializers.ChoiceField(IntegrationType.choices)
    endpoint_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="",
                                        help_text="https; http and internal addresses only for hosts the operator "
                                                  "lists in OUTBOUND_ALLOWED_HOSTS")
    credentials = optional(max_length=5000, style=SECRET, validators=[_valid(check_credentials)],
                           help_text="The retailer's token (sent as a Bearer token); stored encrypted, never "
                                     "returned. Required again whenever endpoint_url changes.")
    callback_secret = optional(max_length=500, style=SECRET, validators=[_valid(check_callback_secret)],
                               help_text="The Standard Webhooks secret (whsec_...) the retailer signs "
                                         "confirmation callbacks with; stored encrypted, never returned.")
    enabled = serializers.BooleanField(required=False, default=True)
    settings = JSONObjectField(required=False, default=dict)

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


class ExternalProductMappingCreateSerializer(InputSerializer):
    class Meta:
        model = ExternalProductMapping

    product_id = serializers.UUIDField()
    integration_id = serializers.UUIDField()
    external_id = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    style_code = optional(max_length=255)
    colour_code = optional(max_length=64)
    extra = JSONObjectField(required=False, default=dict)


class ExternalProductMappingUpdateSerializer(InputSerializer):
    class Meta:
        model = ExternalProductMapping

    external_id = StrictCharField(max_length=255, required=False, allow_blank=True)
    style_code = optional(max_length=255)
    colour_code = optional(max_length=64)
    extra = JSONObjectField(required=False)


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


ExternalIntegrationUpdateSerializer = update_serializer(ExternalIntegrationCreateSerializer)

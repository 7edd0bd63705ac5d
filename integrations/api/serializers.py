from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from integrations.models import ExternalImagePush


class ExternalImagePushPublicSerializer(ReadSerializer):
    integration_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = ExternalImagePush
        fields = ["id", "created_at", "updated_at", "integration_id", "push_status", "pushed_at", "completed_at",
                  "error_message"]

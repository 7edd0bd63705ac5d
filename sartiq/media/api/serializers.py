from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from sartiq.api.fields import optional
from sartiq.media.choices import Orientation
from sartiq.media.models import MediaResource


class MediaResourcePublicSerializer(ReadSerializer):
    memoize = True  # shared by many objects of one response
    url = serializers.CharField(read_only=True)
    aspect_ratio = serializers.FloatField(read_only=True, allow_null=True)
    orientation = serializers.ChoiceField(Orientation.choices, read_only=True, allow_null=True)
    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = MediaResource
        fields = [
            "id", "url", "resource_type", "content_hash", "extension", "file_size", "width", "height",
            "aspect_ratio", "orientation", "duration", "color_profile", "dominant_color", "alt_text",
            "caption", "protected", "owner_id", "organization_id", "created_at", "updated_at",
        ]


class MediaResourceCreateSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    alt_text = optional(max_length=500)
    caption = optional(max_length=5000)
    protected = serializers.BooleanField(required=False, default=False)


class MediaResourceUpdateSerializer(serializers.Serializer):
    alt_text = optional(max_length=500)
    caption = optional(max_length=5000)
    protected = serializers.BooleanField(required=False)

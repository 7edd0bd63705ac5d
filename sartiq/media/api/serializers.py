from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer
from sartiq.media.choices import Orientation
from sartiq.media.models import MediaResource
from sartiq.media.references import shown_url


class ShownUrlField(serializers.CharField):
    """An image URL field with a media twin, as shown (`shown_url`): an outside URL as given, else
    the stored file's current signed URL (a stored URL of our own storage would have expired)."""

    def __init__(self, url_field: str, media_field: str, **kwargs):
        self.url_field, self.media_field = url_field, media_field
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def get_attribute(self, instance):
        media = getattr(instance, self.media_field) if getattr(instance, f"{self.media_field}_id") else None
        return shown_url(getattr(instance, self.url_field), media)

    def to_representation(self, value):
        return value


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


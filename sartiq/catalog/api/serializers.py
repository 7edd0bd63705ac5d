"""Catalog output: `*PublicSerializer` mirror the reference's `*Public` schemas (request bodies are
declared in `sartiq.catalog.api.requests`)."""
from __future__ import annotations

from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer
from sartiq.catalog import models
from sartiq.media.api.serializers import MediaResourcePublicSerializer, ShownUrlField


class TenantPublicSerializer(ReadSerializer):
    owner_id = serializers.UUIDField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True, allow_null=True)


def media(**kwargs):
    return MediaResourcePublicSerializer(read_only=True, allow_null=True, **kwargs)


def media_list():
    return MediaResourcePublicSerializer(many=True, read_only=True)


# --- output ---------------------------------------------------------------------------------------
class ShotTypePublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    owner_id = serializers.UUIDField(read_only=True, allow_null=True)
    reference_image = media()
    reference_image_url = ShownUrlField("reference_image_url", "reference_image")

    class Meta:
        model = models.ShotType
        fields = [
            "id", "created_at", "updated_at", "name", "prompt", "shot_type_prompt_instruction",
            "prompt_builder_section", "view_angle", "framing", "default_shot_type", "core_focus", "public",
            "file_naming_convention", "margins", "reference_image", "reference_image_url",
            "shot_type_ref_image_url", "owner_id", "organization_id",
        ]


class PosePresetPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    shot_type_id = serializers.UUIDField(read_only=True)
    pose_image_media = media()
    pose_image_url = ShownUrlField("pose_image_url", "pose_image_media")

    class Meta:
        model = models.PosePreset
        fields = ["id", "created_at", "updated_at", "name", "prompt", "shot_type_id", "owner_id", "organization_id",
                  "pose_image_url", "pose_image_media"]


class StylePublicSerializer(TenantPublicSerializer):
    class Meta:
        model = models.Style
        fields = ["id", "created_at", "updated_at", "name", "description", "prompt", "negative_prompt",
                  "reference_image_url", "owner_id", "organization_id"]


class ResolutionPresetPublicSerializer(TenantPublicSerializer):
    class Meta:
        model = models.ResolutionPreset
        fields = ["id", "created_at", "updated_at", "name", "width", "height", "owner_id", "organization_id"]


class BackgroundPresetPublicSerializer(TenantPublicSerializer):
    class Meta:
        model = models.BackgroundPreset
        fields = ["id", "created_at", "updated_at", "name", "description", "prompt", "color", "image_url",
                  "owner_id", "organization_id"]


class BaseImagePublicSerializer(ReadSerializer):
    shot_type_id = serializers.UUIDField(read_only=True)
    shot_type_label = serializers.CharField(source="shot_type.name", read_only=True)
    image_media = media()
    image_url = ShownUrlField("image_url", "image_media")

    class Meta:
        model = models.SubjectBaseImage
        fields = ["shot_type_id", "shot_type_label", "image_url", "image_media"]


class SubjectMeasurementsPublicSerializer(ReadSerializer):
    shoe_eu = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = models.SubjectMeasurements
        fields = ["id", "height_cm", "bust_cm", "waist_cm", "hips_cm", "shoe_eu", "eye_color", "hair_color"]


class SubjectPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    base_images = BaseImagePublicSerializer(many=True, read_only=True)
    measurements = SubjectMeasurementsPublicSerializer(read_only=True, allow_null=True)
    cover_image_media = media()
    portrait_image_media = media()
    cover_image_url = ShownUrlField("cover_image_url", "cover_image_media")
    portrait_image_url = ShownUrlField("portrait_image_url", "portrait_image_media")
    data_images_media = media_list()
    portfolio_images_media = media_list()

    class Meta:
        model = models.Subject
        fields = [
            "id", "created_at", "updated_at", "name", "surname", "slug", "description", "gender", "age_class",
            "subject_type", "ethnicity", "body_type", "lora_trigger", "lora_status", "positive_prompt",
            "negative_prompt", "cover_image_url", "cover_image_media", "portrait_image_url", "portrait_image_media",
            "data_image_urls", "data_images_media", "portfolio_images_media", "enabled", "public", "ready",
            "base_images", "measurements", "owner_id", "organization_id",
        ]


class SetBaseImagePublicSerializer(ReadSerializer):
    shot_type_id = serializers.UUIDField(read_only=True)
    subject_id = serializers.UUIDField(read_only=True)
    image_media = media()
    image_url = ShownUrlField("image_url", "image_media")

    class Meta:
        model = models.SetBaseImage
        fields = ["id", "created_at", "updated_at", "shot_type_id", "subject_id", "image_url", "image_media"]


class SetReferenceImagePublicSerializer(ReadSerializer):
    shot_type_id = serializers.UUIDField(read_only=True)
    image_media = media()
    image_url = ShownUrlField("image_url", "image_media")

    class Meta:
        model = models.SetReferenceImage
        fields = ["id", "created_at", "updated_at", "shot_type_id", "label", "image_url", "image_media"]


class SubjectPortraitPublicSerializer(ReadSerializer):
    subject_id = serializers.UUIDField(read_only=True)
    image_media = media()
    image_url = ShownUrlField("image_url", "image_media")

    class Meta:
        model = models.SubjectPortrait
        fields = ["id", "created_at", "updated_at", "subject_id", "image_url", "image_media"]


class SetDesignPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    background_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    base_images = SetBaseImagePublicSerializer(many=True, read_only=True)
    reference_images = SetReferenceImagePublicSerializer(many=True, read_only=True)
    subject_portraits = SubjectPortraitPublicSerializer(many=True, read_only=True)

    class Meta:
        model = models.SetDesign
        fields = ["id", "created_at", "updated_at", "name", "description", "background_preset_id", "base_images",
                  "reference_images", "subject_portraits", "owner_id", "organization_id"]


class ShootingGuidelinesPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    set_design_id = serializers.UUIDField(read_only=True, allow_null=True)
    set_design = SetDesignPublicSerializer(read_only=True, allow_null=True)
    style_id = serializers.UUIDField(read_only=True, allow_null=True)
    resolution_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    background_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    shot_types = ShotTypePublicSerializer(many=True, read_only=True)
    subjects = SubjectPublicSerializer(many=True, read_only=True)
    pose_presets = PosePresetPublicSerializer(many=True, read_only=True)
    quality_thresholds = serializers.DictField(
        child=serializers.FloatField(), read_only=True,
        help_text="Thresholds of the automatic quality checks set here (the others keep their defaults)")
    quality_auto_regenerate = serializers.IntegerField(
        read_only=True, help_text="Automatic generations per shot after a FAILED quality check (0: none)")

    class Meta:
        model = models.ShootingGuidelines
        fields = [
            "id", "created_at", "updated_at", "name", "file_format", "set_design_id", "set_design", "style_id",
            "resolution_preset_id", "background_preset_id", "shot_types", "subjects", "pose_presets", "owner_id",
            "organization_id", "quality_thresholds", "quality_auto_regenerate",
        ]

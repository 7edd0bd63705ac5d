"""Shooting and look serializers (the reference's Shooting*/ShootingLook* components)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sartiq.media.references import shown_url

from sartiq.api.serializers import ReadSerializer

from outfits.api.serializers import ShootingLookOutfitPublicSerializer
from sartiq.accounts.api.serializers import UserSummarySerializer
from sartiq.api.fields import InputSerializer, JSONObjectField, StrictCharField, optional
from sartiq.catalog.api.serializers import (
    PosePresetPublicSerializer, SetDesignPublicSerializer, ShootingGuidelinesPublicSerializer, TenantPublicSerializer,
)
from sartiq.catalog.choices import FileFormat, ProductGender
from shootings.choices import ShootingLookComputedStatus, ShootingLookStatus
from outfits.models import Outfit
from sartiq.media.models import MediaResource
from shootings.models import Shooting, ShootingLook
from shots.api.fields import RankedStatusField
from shots.api.serializers import ShotPublicSerializer, ShotSummarySerializer
from shots.choices import ShotStatus


# --- output ---------------------------------------------------------------------------------------
class ShootingPublicSerializer(TenantPublicSerializer):
    default_guidelines_id = serializers.UUIDField(read_only=True, allow_null=True)
    default_guidelines = ShootingGuidelinesPublicSerializer(read_only=True, allow_null=True)
    shot_status = RankedStatusField(ShotStatus, source="shot_status_rank")
    status = RankedStatusField(ShootingLookComputedStatus, source="status_rank")

    class Meta:
        model = Shooting
        fields = ["id", "created_at", "updated_at", "name", "description", "due_date", "owner_id",
                  "organization_id", "archived", "season", "collection", "brand", "default_guidelines_id",
                  "default_guidelines", "shot_status", "status"]


class LookProductFields(serializers.Serializer):
    """The product and assignee fields shared by the full look and its summary."""

    product_id = serializers.UUIDField(read_only=True, allow_null=True)
    product_name = serializers.CharField(source="product.name", read_only=True, allow_null=True, default=None)
    product_sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True, default=None)
    product_cover_image_url = serializers.SerializerMethodField()
    assignee_id = serializers.UUIDField(read_only=True, allow_null=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    shot_status = RankedStatusField(ShotStatus, source="shot_status_rank")

    def get_product_cover_image_url(self, look) -> str | None:
        product = look.product
        if product is None:
            return None
        return shown_url(product.cover_image_url, product.cover_image_media if product.cover_image_media_id else None)


class ShootingLookPublicSerializer(LookProductFields, ReadSerializer):
    shooting_id = serializers.UUIDField(read_only=True)
    subject_id = serializers.UUIDField(read_only=True, allow_null=True)
    subject_name = serializers.SerializerMethodField()
    style_id = serializers.UUIDField(read_only=True, allow_null=True)
    resolution_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    background_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    set_design_id = serializers.UUIDField(read_only=True, allow_null=True)
    set_design = SetDesignPublicSerializer(read_only=True, allow_null=True)
    pose_presets = PosePresetPublicSerializer(many=True, read_only=True, source="pose_preset_list")
    shots = ShotPublicSerializer(many=True, read_only=True, source="shot_list")
    outfit_proposals = ShootingLookOutfitPublicSerializer(many=True, read_only=True)
    outfit_id = serializers.UUIDField(read_only=True, allow_null=True)
    outfit = ShootingLookOutfitPublicSerializer(source="selected_outfit", read_only=True, allow_null=True)
    outfit_ref_imgs_urls = serializers.ListField(child=serializers.CharField(), read_only=True)
    outfit_instruction = serializers.CharField(read_only=True, allow_null=True)
    outfit_product_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)

    class Meta:
        model = ShootingLook
        fields = [
            "id", "created_at", "updated_at", "shooting_id", "subject_id", "subject_name", "product_id",
            "product_name", "product_sku", "product_cover_image_url", "style_id", "resolution_preset_id", "width",
            "height", "background_preset_id", "set_design_id", "set_design", "file_format", "instructions", "status",
            "shot_status", "assignee_id", "assignee", "pose_presets", "shots", "outfit_proposals", "outfit_id",
            "outfit", "outfit_ref_imgs_urls", "outfit_instruction", "outfit_product_ids",
        ]

    def get_subject_name(self, look) -> str | None:
        return str(look.subject) if look.subject_id and look.subject else None


class ShootingLookSummarySerializer(LookProductFields, ReadSerializer):
    shooting_id = serializers.UUIDField(read_only=True)
    outfit_generation_status = serializers.CharField(read_only=True, allow_null=True)
    outfit_products_count = serializers.IntegerField(read_only=True)
    shots = ShotSummarySerializer(many=True, read_only=True, source="shot_list")

    class Meta:
        model = ShootingLook
        fields = ["id", "created_at", "updated_at", "shooting_id", "product_id", "product_name", "product_sku",
                  "product_cover_image_url", "status", "shot_status", "assignee_id", "assignee",
                  "outfit_generation_status", "outfit_products_count", "shots"]


class ShootingDetailPublicSerializer(ShootingPublicSerializer):
    looks = ShootingLookPublicSerializer(many=True, read_only=True)

    class Meta(ShootingPublicSerializer.Meta):
        fields = [*ShootingPublicSerializer.Meta.fields, "looks"]


class ShootingStatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(ShootingLookComputedStatus.choices)
    count = serializers.IntegerField()


class ShootingSummarySerializer(serializers.Serializer):
    total_products = serializers.IntegerField()
    total_shooting_looks = serializers.IntegerField()
    status_breakdown = ShootingStatusCountSerializer(many=True)


class DraftLooksSummarySerializer(serializers.Serializer):
    total_draft_looks = serializers.IntegerField()
    generating_count = serializers.IntegerField()


class GenerationCreationResultSerializer(serializers.Serializer):
    generation_id = serializers.UUIDField()
    look_id = serializers.UUIDField()
    shot_id = serializers.UUIDField()


class GenerateShootingLooksResponseSerializer(serializers.Serializer):
    looks = ShootingLookPublicSerializer(many=True)
    generation_results = GenerationCreationResultSerializer(many=True, default=list)
    total_generations_created = serializers.IntegerField(default=0)


# --- input ----------------------------------------------------------------------------------------
def uuid_opt(**kwargs):
    return optional(serializers.UUIDField, **kwargs)


def uuid_list(**kwargs):
    kwargs.setdefault("required", False)
    return serializers.ListField(child=serializers.UUIDField(), max_length=1000, **kwargs)


class ShootingCreateSerializer(InputSerializer):
    class Meta:
        model = Shooting

    name = StrictCharField(max_length=255)
    description = optional(max_length=20000)
    due_date = serializers.DateTimeField()
    archived = serializers.BooleanField(required=False, default=False)
    season = optional(max_length=255)
    collection = optional(max_length=255)
    brand = optional(max_length=255)
    organization_id = uuid_opt(help_text="Organization this shooting belongs to")
    default_guidelines_id = uuid_opt(help_text="Default guidelines preset for this shooting")


class ShootingUpdateSerializer(InputSerializer):
    class Meta:
        model = Shooting

    name = StrictCharField(max_length=255, required=False, allow_null=True)
    description = optional(max_length=20000)
    due_date = optional(serializers.DateTimeField)
    archived = optional(serializers.BooleanField)
    season = optional(max_length=255)
    collection = optional(max_length=255)
    brand = optional(max_length=255)
    organization_id = uuid_opt(help_text="Organization to transfer this shooting to")
    default_guidelines_id = uuid_opt(help_text="Default guidelines preset for this shooting")


class MediaInputSerializer(InputSerializer):
    """An image given by reference: a URL, or a media resource of the project."""

    class Meta:
        model = MediaResource
        # Taken as given and not stored (the media resource is, its file and metadata measured).
        unbound = ("url", "media_resource_id")

    url = optional(max_length=2000)
    media_resource_id = uuid_opt()
    alt_text = optional(max_length=500)
    caption = optional(max_length=5000)
    color_profile = optional(max_length=64)
    dominant_color = optional(max_length=7)
    duration = optional(serializers.FloatField)
    width = optional(serializers.IntegerField, min_value=0)
    height = optional(serializers.IntegerField, min_value=0)
    protected = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("url") and not attrs.get("media_resource_id"):
            raise serializers.ValidationError("Give url or media_resource_id")
        return attrs


@extend_schema_field({"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/MediaInput"}]})
class ReferenceImageField(serializers.Field):
    """`str | MediaInput`: a URL string, or a MediaInput object."""

    default_error_messages = {"invalid": "Input should be a valid string or a MediaInput object"}
    serializer_class = MediaInputSerializer

    def to_internal_value(self, data):
        if isinstance(data, str):
            if not data or len(data) > 2000:
                self.fail("invalid")
            return {"url": data}
        if isinstance(data, dict):
            serializer = self.serializer_class(data=data)
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data
        self.fail("invalid")

    def to_representation(self, value):
        return value


def reference_images(**kwargs):
    return serializers.ListField(child=ReferenceImageField(), required=False, allow_null=True, max_length=50, **kwargs)


class ProductOutfitConfigSerializer(InputSerializer):
    class Meta:
        model = ShootingLook
        columns = {"outfit_instruction": "outfits.Outfit.outfit_instruction"}

    product_id = serializers.UUIDField(help_text="ID of the product for this configuration")
    outfit_product_ids = uuid_list(default=list)
    outfit_ref_imgs_urls = reference_images()
    outfit_instruction = optional(max_length=1000)
    style_id = uuid_opt()
    resolution_preset_id = uuid_opt()
    width = optional(serializers.IntegerField, min_value=1, max_value=16384)
    height = optional(serializers.IntegerField, min_value=1, max_value=16384)
    background_preset_id = uuid_opt()
    file_format = serializers.ChoiceField(FileFormat.choices, required=False)


class GenerateShootingLooksRequestSerializer(InputSerializer):
    class Meta:
        model = ShootingLook
        columns = {"default_width": "width", "default_height": "height",
                   "default_file_format": "file_format", "default_instructions": "instructions",
                   "default_style_id": "style", "default_resolution_preset_id": "resolution_preset",
                   "default_background_preset_id": "background_preset"}
        unbound = ("generate_outfit", "generate_base_images", "unisex_gender_preference")
        null_means = ("status",)  # DRAFT

    product_ids = uuid_list(allow_null=True, help_text="Simple list of product IDs")
    product_outfit_configs = ProductOutfitConfigSerializer(many=True, required=False, allow_null=True,
                                                           help_text="Per-product outfit configurations")
    product_filters = JSONObjectField(required=False, allow_null=True,
                                            help_text="Product filters as the product list takes them")
    subject_ids = uuid_list(help_text="Defaults to the shooting guidelines' subjects")
    shot_type_ids = uuid_list(help_text="Defaults to the shooting guidelines' shot types")
    generate_outfit = serializers.BooleanField(required=False, default=False)
    default_style_id = uuid_opt()
    default_resolution_preset_id = uuid_opt()
    default_width = optional(serializers.IntegerField, min_value=1, max_value=16384)
    default_height = optional(serializers.IntegerField, min_value=1, max_value=16384)
    default_background_preset_id = uuid_opt()
    default_file_format = serializers.ChoiceField(FileFormat.choices, required=False,
                                                  help_text="JPG unless the guidelines say otherwise")
    default_instructions = StrictCharField(required=False, allow_blank=True, max_length=20000, default="")
    pose_preset_ids = uuid_list(allow_null=True, help_text="Override the pose presets from guidelines")
    set_design_id = uuid_opt(help_text="Override the set design from guidelines")
    status = optional(serializers.ChoiceField, choices=ShootingLookStatus.choices)
    generate_base_images = serializers.BooleanField(required=False, default=False)
    unisex_gender_preference = optional(serializers.ChoiceField, choices=ProductGender.choices)


class ShootingLookUpdateSerializer(InputSerializer):
    class Meta:
        model = ShootingLook

    subject_id = uuid_opt()
    product_id = uuid_opt()
    outfit_id = uuid_opt()
    style_id = uuid_opt()
    resolution_preset_id = uuid_opt()
    width = optional(serializers.IntegerField, min_value=1, max_value=16384)
    height = optional(serializers.IntegerField, min_value=1, max_value=16384)
    background_preset_id = uuid_opt()
    file_format = optional(serializers.ChoiceField, choices=FileFormat.choices)
    status = optional(serializers.ChoiceField, choices=ShootingLookStatus.choices)
    assignee_id = uuid_opt()
    shot_type_ids = uuid_list(allow_null=True, help_text="The look's shots are added and removed to match")

    def validate(self, attrs):
        if attrs.get("resolution_preset_id") and (attrs.get("width") or attrs.get("height")):
            raise serializers.ValidationError("Give either resolution_preset_id or width/height, not both")
        return attrs


class ManualOutfitCreateSerializer(InputSerializer):
    class Meta:
        model = Outfit

    outfit_ref_imgs_urls = reference_images()
    outfit_instruction = optional(max_length=1000)
    outfit_product_ids = uuid_list(default=list)


class FinalizeOutfitRequestSerializer(InputSerializer):
    class Meta:
        model = Outfit
        unbound = ("outfit_id",)

    outfit_id = uuid_opt(help_text="ID of existing outfit proposal to finalize")
    outfit_ref_imgs_urls = reference_images(help_text="Reference image URLs for new outfit")
    outfit_instruction = optional(max_length=1000, help_text="Instructions for new outfit")
    outfit_product_ids = uuid_list(allow_null=True, help_text="Product IDs for new outfit")

    def validate(self, attrs):
        creating = any(attrs.get(k) for k in ("outfit_ref_imgs_urls", "outfit_instruction", "outfit_product_ids"))
        if attrs.get("outfit_id") and creating:
            raise serializers.ValidationError("Provide either outfit_id or outfit creation fields, not both")
        if not attrs.get("outfit_id") and not creating:
            raise serializers.ValidationError("Provide either outfit_id or outfit creation fields")
        return attrs


class StartGenerationsRequestSerializer(InputSerializer):
    class Meta:
        model = None
        unbound = ("generations_per_shot_type",)

    generations_per_shot_type = serializers.IntegerField(
        min_value=1, max_value=10, default=1, help_text="Number of generations to create per shot type (1-10)"
    )


class StartGenerationsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    look_id = serializers.UUIDField()
    generation_ids = serializers.ListField(child=serializers.UUIDField())
    generations_per_shot_type = serializers.IntegerField()


class StartShotTypeGenerationsRequestSerializer(InputSerializer):
    class Meta:
        model = None
        unbound = ("shot_type_id", "generations_count")

    shot_type_id = serializers.UUIDField(help_text="UUID of the shot type to generate for")
    generations_count = serializers.IntegerField(min_value=1, max_value=10, default=1,
                                                 help_text="Number of generations to create (1-10)")


class StartShotTypeGenerationsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    look_id = serializers.UUIDField()
    shot_type_id = serializers.UUIDField()
    generation_ids = serializers.ListField(child=serializers.UUIDField())
    generations_count = serializers.IntegerField()

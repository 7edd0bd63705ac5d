"""Catalog serializers: `*PublicSerializer` mirror the reference's `*Public` schemas; `*Create`
and `*Update` serializers describe request bodies (PUT and PATCH both take partial bodies, as the
reference's `*Update` models do)."""
from __future__ import annotations

from drf_spectacular.helpers import lazy_serializer
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sartiq.api.serializers import ReadSerializer

from sartiq.api.fields import InputSerializer, JSONObjectField, JSONValueField, StrictCharField, optional
from sartiq.catalog import choices, models
from sartiq.media.api.serializers import MediaResourcePublicSerializer, ShownUrlField
from shots.api.fields import RankedStatusField
from shots.choices import ShotStatus


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

    class Meta:
        model = models.ShootingGuidelines
        fields = [
            "id", "created_at", "updated_at", "name", "file_format", "set_design_id", "set_design", "style_id",
            "resolution_preset_id", "background_preset_id", "shot_types", "subjects", "pose_presets", "owner_id",
            "organization_id",
        ]


class ProductPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    cover_image_media = media()
    back_image_media = media()
    cover_image_url = ShownUrlField("cover_image_url", "cover_image_media")
    back_image_url = ShownUrlField("back_image_url", "back_image_media")
    reference_images_media = media_list()
    reference_images = serializers.ListField(child=serializers.CharField(), read_only=True)
    data_image_urls = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Computed by `shootings.selectors.products_for(user)` from what the caller may see.
    shot_status = RankedStatusField(ShotStatus, source="shot_status_rank",
                                    help_text="Status of the product's latest look")
    shot_status_shooting_look_id = serializers.UUIDField(read_only=True, allow_null=True)
    integration_name = serializers.CharField(read_only=True, allow_null=True)
    exports_completed = serializers.IntegerField(read_only=True, allow_null=True)
    exports_total = serializers.IntegerField(read_only=True, allow_null=True)
    shots = serializers.SerializerMethodField(help_text="Shots of the product's latest look")

    class Meta:
        model = models.Product
        fields = [
            "id", "created_at", "updated_at", "sku", "name", "brand", "master_item_code", "product_family",
            "product_type", "product_type_id", "gender", "age_class", "placement", "zone", "type", "category",
            "sleeve_type", "neckline", "closure_type", "fit_type", "length_type", "pattern", "materials", "colour",
            "season", "year", "style_code", "in_store_date", "theme", "brand_collection", "description",
            "back_description", "ecommerce_description", "brand_metadata", "cover_image_url", "back_image_url",
            "reference_images", "cover_image_media", "back_image_media", "reference_images_media",
            "data_image_urls", "public", "enabled", "archived", "demo", "is_filler", "owner_id", "organization_id",
            "shot_status", "shot_status_shooting_look_id", "integration_name", "exports_completed",
            "exports_total", "shots",
        ]

    @extend_schema_field(lazy_serializer("shots.api.serializers.ShotSummarySerializer")(many=True))
    def get_shots(self, product) -> list:
        from shots.api.serializers import ShotSummarySerializer

        latest = getattr(product, "latest_looks", None)
        if not latest:
            return []
        return ShotSummarySerializer(latest[0].shot_list, many=True, context=self.context).data


# --- input ----------------------------------------------------------------------------------------
def text(max_length: int = 255, **kwargs):
    return optional(max_length=max_length, **kwargs)


def long_text(**kwargs):
    return optional(max_length=20000, **kwargs)


def url(**kwargs):
    return optional(max_length=2000, **kwargs)


def uuid_ref(**kwargs):
    return optional(serializers.UUIDField, **kwargs)


def choice(choices_class, **kwargs):
    return optional(serializers.ChoiceField, choices=choices_class.choices, **kwargs)


def url_list():
    return serializers.ListField(child=StrictCharField(max_length=2000), required=False, max_length=200)


def uuid_list(**kwargs):
    return serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000, **kwargs)


class ShotTypeCreateSerializer(InputSerializer):
    class Meta:
        model = models.ShotType

    name = StrictCharField(max_length=255)
    prompt = long_text()
    shot_type_prompt_instruction = long_text()
    prompt_builder_section = long_text()
    view_angle = serializers.ChoiceField(choices.ViewAngle.choices, default=choices.ViewAngle.FRONT)
    framing = serializers.ChoiceField(choices.ShotTypeFraming.choices, default=choices.ShotTypeFraming.FULL_BODY)
    default_shot_type = choice(choices.DefaultShotTypes)
    core_focus = serializers.BooleanField(required=False, default=False)
    public = serializers.BooleanField(required=False, default=False)
    file_naming_convention = text()
    margins = JSONValueField(required=False, allow_null=True)
    reference_image_id = uuid_ref(help_text="A media resource")
    reference_image_url = url()
    shot_type_ref_image_url = url()


class PosePresetCreateSerializer(InputSerializer):
    class Meta:
        model = models.PosePreset

    name = StrictCharField(max_length=255)
    prompt = long_text()
    shot_type_id = serializers.UUIDField()
    pose_image_url = url()
    pose_image_media_id = uuid_ref()


class StyleCreateSerializer(InputSerializer):
    class Meta:
        model = models.Style

    name = StrictCharField(max_length=255)
    description = long_text()
    prompt = long_text()
    negative_prompt = long_text()
    reference_image_url = url()


class ResolutionPresetCreateSerializer(InputSerializer):
    class Meta:
        model = models.ResolutionPreset

    name = StrictCharField(max_length=255)
    width = serializers.IntegerField(min_value=1, max_value=16384)
    height = serializers.IntegerField(min_value=1, max_value=16384)


class BackgroundPresetCreateSerializer(InputSerializer):
    class Meta:
        model = models.BackgroundPreset

    name = StrictCharField(max_length=255)
    description = long_text()
    prompt = long_text()
    color = optional(serializers.RegexField, regex=r"^#[0-9a-fA-F]{6}$", max_length=7)
    image_url = url()


class BaseImageInputSerializer(InputSerializer):
    class Meta:
        model = models.SubjectBaseImage

    shot_type_id = serializers.UUIDField()
    image_url = StrictCharField(max_length=2000)
    image_media_id = uuid_ref()


class SubjectMeasurementsInputSerializer(InputSerializer):
    class Meta:
        model = models.SubjectMeasurements

    height_cm = optional(serializers.IntegerField, min_value=30, max_value=260)
    bust_cm = optional(serializers.IntegerField, min_value=20, max_value=250)
    waist_cm = optional(serializers.IntegerField, min_value=20, max_value=250)
    hips_cm = optional(serializers.IntegerField, min_value=20, max_value=250)
    shoe_eu = optional(serializers.FloatField, min_value=15, max_value=55)
    eye_color = choice(choices.EyeColor)
    hair_color = choice(choices.HairColor)


class SubjectCreateSerializer(InputSerializer):
    class Meta:
        model = models.Subject
        null_means = ("slug",)  # derived from the name

    name = StrictCharField(max_length=255)
    surname = text()
    slug = optional(serializers.SlugField, max_length=255, help_text="Derived from the name when omitted")
    description = long_text()
    gender = serializers.ChoiceField(choices.Gender.choices)
    age_class = serializers.ChoiceField(choices.AgeClass.choices, default=choices.AgeClass.YOUNG)
    subject_type = serializers.ChoiceField(choices.SubjectType.choices, default=choices.SubjectType.AI)
    ethnicity = text()
    body_type = choice(choices.BodyType)
    lora_trigger = text()
    lora_status = serializers.ChoiceField(choices.LoraStatus.choices, required=False)
    positive_prompt = long_text()
    negative_prompt = long_text()
    cover_image_url = url()
    cover_image_media_id = uuid_ref()
    portrait_image_url = url()
    portrait_image_media_id = uuid_ref()
    data_image_urls = url_list()
    enabled = serializers.BooleanField(required=False, default=True)
    public = serializers.BooleanField(required=False, default=False)
    ready = serializers.BooleanField(required=False, default=False)
    base_images = BaseImageInputSerializer(many=True, required=False, help_text="Replaces all base images")
    measurements = SubjectMeasurementsInputSerializer(required=False, allow_null=True)

    def validate_base_images(self, value):
        shot_types = [item["shot_type_id"] for item in value]
        if len(shot_types) != len(set(shot_types)):
            raise serializers.ValidationError("A subject has at most one base image per shot type")
        return value


class ImageRefInputSerializer(InputSerializer):
    class Meta:
        model = models.SetReferenceImage

    shot_type_id = serializers.UUIDField()
    image_url = url()
    image_media_id = uuid_ref()


class SetBaseImageInputSerializer(ImageRefInputSerializer):
    class Meta:
        model = models.SetBaseImage

    subject_id = serializers.UUIDField()


class SetReferenceImageInputSerializer(ImageRefInputSerializer):
    class Meta:
        model = models.SetReferenceImage

    label = text()


class SubjectPortraitInputSerializer(InputSerializer):
    class Meta:
        model = models.SubjectPortrait

    subject_id = serializers.UUIDField()
    image_url = url()
    image_media_id = uuid_ref()


class SetDesignCreateSerializer(InputSerializer):
    class Meta:
        model = models.SetDesign

    name = StrictCharField(max_length=255)
    description = long_text()
    background_preset_id = uuid_ref()
    base_images = SetBaseImageInputSerializer(many=True, required=False, help_text="Replaces all base images")
    reference_images = SetReferenceImageInputSerializer(many=True, required=False, help_text="Replaces all")
    subject_portraits = SubjectPortraitInputSerializer(many=True, required=False, help_text="Replaces all")


class ShootingGuidelinesCreateSerializer(InputSerializer):
    class Meta:
        model = models.ShootingGuidelines

    name = StrictCharField(max_length=255)
    shot_type_ids = uuid_list()
    subject_ids = uuid_list()
    pose_preset_ids = uuid_list()
    set_design_id = uuid_ref()
    style_id = uuid_ref()
    resolution_preset_id = uuid_ref()
    background_preset_id = uuid_ref()
    file_format = serializers.ChoiceField(choices.FileFormat.choices, default=choices.FileFormat.JPG)


class ProductCreateSerializer(InputSerializer):
    class Meta:
        model = models.Product

    sku = text()
    name = StrictCharField(max_length=255)
    brand = text()
    master_item_code = text()
    product_family = text()
    product_type = text()
    product_type_id = uuid_ref()
    gender = serializers.ChoiceField(choices.ProductGender.choices, default=choices.ProductGender.UNISEX)
    age_class = choice(choices.AgeClass)
    placement = choice(choices.ProductPlacement)
    zone = text()
    type = text()
    category = text()
    sleeve_type = text()
    neckline = text()
    closure_type = text()
    fit_type = text()
    length_type = text()
    pattern = text()
    materials = text(1000)
    colour = text()
    season = text()
    year = optional(serializers.IntegerField, min_value=1900, max_value=2200)
    style_code = text()
    in_store_date = optional(serializers.DateField)
    theme = text()
    brand_collection = text()
    description = long_text()
    back_description = long_text()
    ecommerce_description = long_text()
    brand_metadata = JSONObjectField(required=False, allow_null=True)
    cover_image_url = url()
    back_image_url = url()
    reference_images = url_list()
    data_image_urls = url_list()
    cover_image_media_id = uuid_ref()
    back_image_media_id = uuid_ref()
    reference_images_media_ids = uuid_list()
    public = serializers.BooleanField(required=False, default=False)
    enabled = serializers.BooleanField(required=False, default=True)
    archived = serializers.BooleanField(required=False, default=False)
    demo = serializers.BooleanField(required=False, default=False)
    is_filler = serializers.BooleanField(required=False, default=False)

"""The catalog a shooting draws on: products, subjects (virtual models), shot types, poses, set
designs, presets and guidelines. Field names follow the reference's `*Public` schemas."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from sartiq.catalog import choices
from sartiq.catalog.quality import AUTO_REGENERATE_MAX, validate_thresholds
from sartiq.models import JSONField, TenantModel, TimestampedModel

MEDIA = "media.MediaResource"


def media_fk(**kwargs):
    return models.ForeignKey(MEDIA, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **kwargs)


def url_field():
    return models.CharField(max_length=2000, null=True, blank=True)


def text(max_length: int = 255):
    return models.CharField(max_length=max_length, null=True, blank=True)


class ShotType(TenantModel):
    """A kind of picture (front, back, detail...). System shot types have no owner and are public."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    prompt = models.TextField(null=True, blank=True)
    shot_type_prompt_instruction = models.TextField(null=True, blank=True)
    prompt_builder_section = models.TextField(null=True, blank=True)
    view_angle = models.CharField(max_length=16, choices=choices.ViewAngle.choices, default=choices.ViewAngle.FRONT)
    framing = models.CharField(max_length=32, choices=choices.ShotTypeFraming.choices, default=choices.ShotTypeFraming.FULL_BODY)
    default_shot_type = models.CharField(max_length=16, choices=choices.DefaultShotTypes.choices, null=True, blank=True)
    core_focus = models.BooleanField(default=False)
    public = models.BooleanField(default=False)
    file_naming_convention = text()
    margins = JSONField(null=True, blank=True)
    reference_image = media_fk()
    reference_image_url = url_field()
    shot_type_ref_image_url = url_field()

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PosePreset(TenantModel):
    name = models.CharField(max_length=255)
    prompt = models.TextField(null=True, blank=True)
    shot_type = models.ForeignKey(ShotType, on_delete=models.CASCADE, related_name="pose_presets")
    pose_image_url = url_field()
    pose_image_media = media_fk()

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Style(TenantModel):
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    prompt = models.TextField(null=True, blank=True)
    negative_prompt = models.TextField(null=True, blank=True)
    reference_image_url = url_field()

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ResolutionPreset(TenantModel):
    name = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(width__gte=1, height__gte=1), name="catalog_resolution_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.width}x{self.height})"


class BackgroundPreset(TenantModel):
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    prompt = models.TextField(null=True, blank=True)
    color = models.CharField(max_length=7, null=True, blank=True, help_text="#rrggbb")
    image_url = url_field()

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    sku = text()
    name = models.CharField(max_length=255)
    brand = text()
    master_item_code = text()
    product_family = text()
    product_type = text()
    product_type_id = models.UUIDField(null=True, blank=True)
    gender = models.CharField(max_length=8, choices=choices.ProductGender.choices, default=choices.ProductGender.UNISEX)
    age_class = models.CharField(max_length=16, choices=choices.AgeClass.choices, null=True, blank=True)
    placement = models.CharField(max_length=16, choices=choices.ProductPlacement.choices, null=True, blank=True)
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
    year = models.IntegerField(null=True, blank=True)
    style_code = text()
    in_store_date = models.DateField(null=True, blank=True)
    theme = text()
    brand_collection = text()
    description = models.TextField(null=True, blank=True)
    back_description = models.TextField(null=True, blank=True)
    ecommerce_description = models.TextField(null=True, blank=True)
    brand_metadata = JSONField(null=True, blank=True)
    cover_image_url = url_field()
    back_image_url = url_field()
    reference_images = JSONField(default=list, blank=True)
    data_image_urls = JSONField(default=list, blank=True)
    cover_image_media = media_fk()
    back_image_media = media_fk()
    reference_images_media = models.ManyToManyField(MEDIA, blank=True, related_name="+")
    public = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    archived = models.BooleanField(default=False)
    demo = models.BooleanField(default=False)
    is_filler = models.BooleanField(default=False, help_text="Complements outfits; not shot on its own")

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["sku"], name="catalog_product_sku"),
            models.Index(fields=["brand"], name="catalog_product_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})" if self.sku else self.name


class Subject(TenantModel):
    """A virtual (or real) model who wears the products."""

    name = models.CharField(max_length=255)
    surname = text()
    slug = models.SlugField(max_length=255)
    description = models.TextField(null=True, blank=True)
    gender = models.CharField(max_length=8, choices=choices.Gender.choices)
    age_class = models.CharField(max_length=16, choices=choices.AgeClass.choices, default=choices.AgeClass.YOUNG)
    subject_type = models.CharField(max_length=8, choices=choices.SubjectType.choices, default=choices.SubjectType.AI)
    ethnicity = text()
    body_type = models.CharField(max_length=16, choices=choices.BodyType.choices, null=True, blank=True)
    lora_trigger = text()
    lora_status = models.CharField(max_length=16, choices=choices.LoraStatus.choices, default=choices.LoraStatus.NOT_STARTED)
    positive_prompt = models.TextField(null=True, blank=True)
    negative_prompt = models.TextField(null=True, blank=True)
    cover_image_url = url_field()
    cover_image_media = media_fk()
    portrait_image_url = url_field()
    portrait_image_media = media_fk()
    data_image_urls = JSONField(default=list, blank=True)
    data_images_media = models.ManyToManyField(MEDIA, blank=True, related_name="+")
    portfolio_images_media = models.ManyToManyField(MEDIA, blank=True, related_name="+")
    enabled = models.BooleanField(default=True)
    public = models.BooleanField(default=False)
    ready = models.BooleanField(default=False, help_text="Trained and usable for generations")

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return " ".join(filter(None, [self.name, self.surname]))


class SubjectMeasurements(TimestampedModel):
    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="measurements")
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    bust_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    waist_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    hips_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    shoe_eu = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    eye_color = models.CharField(max_length=16, choices=choices.EyeColor.choices, null=True, blank=True)
    hair_color = models.CharField(max_length=16, choices=choices.HairColor.choices, null=True, blank=True)

    tenant_path = "subject"


class SubjectBaseImage(TimestampedModel):
    """The subject's reference picture for one shot type: what generations start from."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="base_images")
    shot_type = models.ForeignKey(ShotType, on_delete=models.CASCADE, related_name="+")
    image_url = models.CharField(max_length=2000)
    image_media = media_fk()

    tenant_path = "subject"

    class Meta:
        ordering = ["shot_type__name", "id"]
        constraints = [models.UniqueConstraint(fields=["subject", "shot_type"], name="catalog_subject_base_image_unique")]


class SetDesign(TenantModel):
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    background_preset = models.ForeignKey(BackgroundPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SetBaseImage(TimestampedModel):
    """A subject already placed in the set, for one shot type."""

    set_design = models.ForeignKey(SetDesign, on_delete=models.CASCADE, related_name="base_images")
    shot_type = models.ForeignKey(ShotType, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    image_url = url_field()
    image_media = media_fk()

    tenant_path = "set_design"

    class Meta:
        ordering = ["created_at", "id"]


class SetReferenceImage(TimestampedModel):
    set_design = models.ForeignKey(SetDesign, on_delete=models.CASCADE, related_name="reference_images")
    shot_type = models.ForeignKey(ShotType, on_delete=models.CASCADE, related_name="+")
    label = text()
    image_url = url_field()
    image_media = media_fk()

    tenant_path = "set_design"

    class Meta:
        ordering = ["created_at", "id"]


class SubjectPortrait(TimestampedModel):
    """A portrait of a subject in a set design."""

    set_design = models.ForeignKey(SetDesign, on_delete=models.CASCADE, related_name="subject_portraits")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    image_url = url_field()
    image_media = media_fk()

    tenant_path = "set_design"

    class Meta:
        ordering = ["created_at", "id"]


class ShootingGuidelines(TenantModel):
    """Defaults a shooting hands to the looks it creates."""

    name = models.CharField(max_length=255)
    shot_types = models.ManyToManyField(ShotType, blank=True, related_name="+")
    subjects = models.ManyToManyField(Subject, blank=True, related_name="+")
    pose_presets = models.ManyToManyField(PosePreset, blank=True, related_name="+")
    set_design = models.ForeignKey(SetDesign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    style = models.ForeignKey(Style, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_preset = models.ForeignKey(ResolutionPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    background_preset = models.ForeignKey(BackgroundPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_format = models.CharField(max_length=8, choices=choices.FileFormat.choices, default=choices.FileFormat.JPG)
    # The automatic quality checks of the shootings' revisions (docs/quality.md): thresholds
    # overriding the checks' defaults ({check: number}, sartiq/catalog/quality.py), and how many
    # generations a shot gets automatically after a generated revision FAILED them (0: none).
    quality_thresholds = JSONField(default=dict, blank=True, validators=[validate_thresholds],
                                   help_text="Check name to threshold, e.g. {\"garment_colour\": 6}; the checks' "
                                             "defaults otherwise (docs/quality.md)")
    quality_auto_regenerate = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(AUTO_REGENERATE_MAX)],
        help_text="Generations started automatically per shot when a generated revision fails its quality checks "
                  "(0: none); they spend no rework")

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]
        verbose_name_plural = "shooting guidelines"

    def __str__(self) -> str:
        return self.name

"""Catalog request bodies: `*Create` as the reference's models, `*Update` their partial twins (PUT
and PATCH both take partial bodies, as the reference's `*Update` models do)."""
import uuid
from typing import Annotated, Optional

import pydantic
from pydantic import ConfigDict, Field, field_validator, model_validator

from sartiq.api.requests import (
    Date,
    JSONObject,
    JSONValue,
    LongText,
    Name,
    RequestModel,
    Text,
    Url,
    UrlList,
    UuidList,
    float_range,
    int_range,
    partial,
    pattern,
    text,
    with_aliases,
)
from sartiq.catalog import choices, models
from sartiq.catalog.quality import AUTO_REGENERATE_MAX, THRESHOLDS

ImageSize = int_range(1, 16384)
# A look's or guidelines' file format as the reference spells it, or JPEG for JPG.
FileFormatInput = with_aliases(choices.FileFormat, choices.FILE_FORMAT_ALIASES)


Slug = Optional[Annotated[text(255), *pattern(
    r"^[-a-zA-Z0-9_]+$", 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
    {"type": "string", "maxLength": 255, "pattern": "^[-a-zA-Z0-9_]*$"})]]
Color = Optional[Annotated[text(7, 1), *pattern(
    r"^#[0-9a-fA-F]{6}$", "This value does not match the required pattern.",
    {"type": "string", "minLength": 1, "maxLength": 7, "pattern": "^#[0-9a-fA-F]{6}$"})]]


class ShotTypeCreate(RequestModel):
    db_model = models.ShotType

    name: Name
    prompt: LongText = None
    shot_type_prompt_instruction: LongText = None
    prompt_builder_section: LongText = None
    view_angle: choices.ViewAngle = choices.ViewAngle.FRONT
    framing: choices.ShotTypeFraming = choices.ShotTypeFraming.FULL_BODY
    default_shot_type: Optional[choices.DefaultShotTypes] = None
    core_focus: bool = False
    public: bool = False
    file_naming_convention: Text = None
    margins: Optional[JSONValue] = None
    reference_image_id: Optional[uuid.UUID] = Field(None, description="A media resource")
    reference_image_url: Url = None
    shot_type_ref_image_url: Url = None


class PosePresetCreate(RequestModel):
    db_model = models.PosePreset

    name: Name
    prompt: LongText = None
    shot_type_id: uuid.UUID
    pose_image_url: Url = None
    pose_image_media_id: Optional[uuid.UUID] = None


class StyleCreate(RequestModel):
    db_model = models.Style

    name: Name
    description: LongText = None
    prompt: LongText = None
    negative_prompt: LongText = None
    reference_image_url: Url = None


class ResolutionPresetCreate(RequestModel):
    db_model = models.ResolutionPreset

    name: Name
    width: ImageSize
    height: ImageSize


class BackgroundPresetCreate(RequestModel):
    db_model = models.BackgroundPreset

    name: Name
    description: LongText = None
    prompt: LongText = None
    color: Color = None
    image_url: Url = None


class BaseImageInput(RequestModel):
    """A subject's base image for a shot type: an outside URL, a URL of the project's storage, or a
    stored media resource by id (its URL is then shown as `image_url`)."""

    db_model = models.SubjectBaseImage

    shot_type_id: uuid.UUID
    image_url: Optional[text(2000, 1)] = None
    image_media_id: Optional[uuid.UUID] = None

    @model_validator(mode="after")
    def _an_image(self):
        if not self.image_url and self.image_media_id is None:
            raise ValueError("A base image needs image_url or image_media_id")
        if self.image_url is None:
            self.image_url = ""  # the column holds no null: shown from the media
        return self


class SubjectMeasurementsInput(RequestModel):
    db_model = models.SubjectMeasurements

    height_cm: Optional[int_range(30, 260)] = None
    bust_cm: Optional[int_range(20, 250)] = None
    waist_cm: Optional[int_range(20, 250)] = None
    hips_cm: Optional[int_range(20, 250)] = None
    shoe_eu: Optional[float_range(15, 55)] = None
    eye_color: Optional[choices.EyeColor] = None
    hair_color: Optional[choices.HairColor] = None


class SubjectCreate(RequestModel):
    db_model = models.Subject
    null_means = ("slug",)  # derived from the name

    name: Name
    surname: Text = None
    slug: Slug = Field(None, description="Derived from the name when omitted")
    description: LongText = None
    gender: choices.Gender
    age_class: choices.AgeClass = choices.AgeClass.YOUNG
    subject_type: choices.SubjectType = choices.SubjectType.AI
    ethnicity: Text = None
    body_type: Optional[choices.BodyType] = None
    lora_trigger: Text = None
    lora_status: choices.LoraStatus = None
    positive_prompt: LongText = None
    negative_prompt: LongText = None
    cover_image_url: Url = None
    cover_image_media_id: Optional[uuid.UUID] = None
    portrait_image_url: Url = None
    portrait_image_media_id: Optional[uuid.UUID] = None
    data_image_urls: UrlList = None
    enabled: bool = True
    public: bool = False
    ready: bool = False
    base_images: list[BaseImageInput] = Field(None, description="Replaces all base images")
    measurements: Optional[SubjectMeasurementsInput] = None

    @field_validator("base_images")
    @classmethod
    def _one_base_image_per_shot_type(cls, value):
        shot_types = [item.shot_type_id for item in value]
        if len(shot_types) != len(set(shot_types)):
            raise ValueError("A subject has at most one base image per shot type")
        return value


class SetReferenceImageInput(RequestModel):
    db_model = models.SetReferenceImage

    shot_type_id: uuid.UUID
    image_url: Url = None
    image_media_id: Optional[uuid.UUID] = None
    label: Text = None


class SetBaseImageInput(RequestModel):
    db_model = models.SetBaseImage

    shot_type_id: uuid.UUID
    image_url: Url = None
    image_media_id: Optional[uuid.UUID] = None
    subject_id: uuid.UUID


class SubjectPortraitInput(RequestModel):
    db_model = models.SubjectPortrait

    subject_id: uuid.UUID
    image_url: Url = None
    image_media_id: Optional[uuid.UUID] = None


class SetDesignCreate(RequestModel):
    db_model = models.SetDesign

    name: Name
    description: LongText = None
    background_preset_id: Optional[uuid.UUID] = None
    base_images: list[SetBaseImageInput] = Field(None, description="Replaces all base images")
    reference_images: list[SetReferenceImageInput] = Field(None, description="Replaces all")
    subject_portraits: list[SubjectPortraitInput] = Field(None, description="Replaces all")


class _QualityThresholdsBase(RequestModel):
    """A threshold per automatic quality check, each within its bounds; an unknown name is refused
    (a misspelt check would otherwise be silently ignored)."""

    model_config = ConfigDict(extra="forbid")
    db_model = None  # stored whole in ShootingGuidelines.quality_thresholds


# Its fields are the checks of sartiq/catalog/quality.py: the one table of names, bounds and defaults.
QualityThresholds = pydantic.create_model(
    "QualityThresholds", __base__=_QualityThresholdsBase, __module__=__name__,
    __doc__="Thresholds of the automatic quality checks, overriding their defaults (docs/quality.md). Only "
            "the checks named change; each passes at most (garment_colour, size, background, exposure) or at "
            "least (sharpness, duplicate) its threshold.",
    **{name: (float_range(spec.low, spec.high), Field(None, description=f"{spec.meaning} (default {spec.default:g})"))
       for name, spec in THRESHOLDS.items()},
)
QualityThresholds.unbound = tuple(THRESHOLDS)  # no column each: the object is one JSON column


class ShootingGuidelinesCreate(RequestModel):
    db_model = models.ShootingGuidelines

    name: Name
    shot_type_ids: UuidList = None
    subject_ids: UuidList = None
    pose_preset_ids: UuidList = None
    set_design_id: Optional[uuid.UUID] = None
    style_id: Optional[uuid.UUID] = None
    resolution_preset_id: Optional[uuid.UUID] = None
    background_preset_id: Optional[uuid.UUID] = None
    file_format: FileFormatInput = choices.FileFormat.JPG
    quality_thresholds: QualityThresholds = Field(
        None, description="Thresholds of the automatic quality checks overriding their defaults; replaces the "
                          "ones set before ({} restores every default)")
    quality_auto_regenerate: int_range(0, AUTO_REGENERATE_MAX) = Field(
        0, description="Generations started automatically per shot when a generated revision FAILS its quality "
                       "checks, before anyone reviews it (0: none); they spend none of the shot's rework")


class ProductCreate(RequestModel):
    db_model = models.Product

    sku: Text = None
    name: Name
    brand: Text = None
    master_item_code: Text = None
    product_family: Text = None
    product_type: Text = None
    product_type_id: Optional[uuid.UUID] = None
    gender: choices.ProductGender = choices.ProductGender.UNISEX
    age_class: Optional[choices.AgeClass] = None
    placement: Optional[choices.ProductPlacement] = None
    zone: Text = None
    type: Text = None
    category: Text = None
    sleeve_type: Text = None
    neckline: Text = None
    closure_type: Text = None
    fit_type: Text = None
    length_type: Text = None
    pattern: Text = None
    materials: Optional[text(1000)] = None
    colour: Text = None
    season: Text = None
    year: Optional[int_range(1900, 2200)] = None
    style_code: Text = None
    in_store_date: Optional[Date] = None
    theme: Text = None
    brand_collection: Text = None
    description: LongText = None
    back_description: LongText = None
    ecommerce_description: LongText = None
    brand_metadata: Optional[JSONObject] = None
    cover_image_url: Url = None
    back_image_url: Url = None
    reference_images: UrlList = None
    data_image_urls: UrlList = None
    cover_image_media_id: Optional[uuid.UUID] = None
    back_image_media_id: Optional[uuid.UUID] = None
    reference_images_media_ids: UuidList = None
    public: bool = False
    enabled: bool = True
    archived: bool = False
    demo: bool = False
    is_filler: bool = False


ShotTypeUpdate = partial(ShotTypeCreate)
PosePresetUpdate = partial(PosePresetCreate)
StyleUpdate = partial(StyleCreate)
ResolutionPresetUpdate = partial(ResolutionPresetCreate)
BackgroundPresetUpdate = partial(BackgroundPresetCreate)
SubjectUpdate = partial(SubjectCreate)
SetDesignUpdate = partial(SetDesignCreate)
ShootingGuidelinesUpdate = partial(ShootingGuidelinesCreate)
ProductUpdate = partial(ProductCreate)

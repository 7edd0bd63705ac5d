"""Shooting and look request shapes (the reference's Shooting*/ShootingLook* bodies); outfits' own are in outfits/api/requests.py."""
import uuid
from typing import Optional

from pydantic import Field, model_validator

from outfits.api.requests import OutfitInstruction
from outfits.models import Outfit
from sartiq.api.requests import DateTime, JSONObject, Name, RequestModel, UuidList, int_range, text
from sartiq.catalog.api.requests import FileFormatInput
from sartiq.catalog.choices import ProductGender
from sartiq.media.api.requests import ReferenceImages
from shootings.choices import ShootingLookStatus
from shootings.models import Shooting, ShootingLook

ImageSize = int_range(1, 16384)
GenerationsCount = int_range(1, 10)


class ShootingCreate(RequestModel):
    db_model = Shooting

    name: Name
    description: Optional[text(20000)] = None
    due_date: DateTime
    archived: bool = False
    season: Optional[text(255)] = None
    collection: Optional[text(255)] = None
    brand: Optional[text(255)] = None
    organization_id: Optional[uuid.UUID] = Field(None, description="Organization this shooting belongs to")
    default_guidelines_id: Optional[uuid.UUID] = Field(None, description="Default guidelines preset for this shooting")


class ShootingUpdate(RequestModel):
    db_model = Shooting

    name: Optional[Name] = None
    description: Optional[text(20000)] = None
    due_date: Optional[DateTime] = None
    archived: Optional[bool] = None
    season: Optional[text(255)] = None
    collection: Optional[text(255)] = None
    brand: Optional[text(255)] = None
    organization_id: Optional[uuid.UUID] = Field(None, description="Organization to transfer this shooting to")
    default_guidelines_id: Optional[uuid.UUID] = Field(None, description="Default guidelines preset for this shooting")


class SummaryQuery(RequestModel):
    db_model = None  # nothing is stored as sent
    unbound = ("shooting_id",)

    shooting_id: Optional[uuid.UUID] = None


class ProductOutfitConfig(RequestModel):
    db_model = ShootingLook
    columns = {"outfit_instruction": "outfits.Outfit.outfit_instruction"}

    product_id: uuid.UUID = Field(description="ID of the product for this configuration")
    outfit_product_ids: UuidList = Field(default_factory=list)
    outfit_ref_imgs_urls: ReferenceImages = None
    outfit_instruction: OutfitInstruction = None
    style_id: Optional[uuid.UUID] = None
    resolution_preset_id: Optional[uuid.UUID] = None
    width: Optional[ImageSize] = None
    height: Optional[ImageSize] = None
    background_preset_id: Optional[uuid.UUID] = None
    file_format: FileFormatInput = None


class GenerateShootingLooksRequest(RequestModel):
    db_model = ShootingLook
    columns = {"default_width": "width", "default_height": "height",
               "default_file_format": "file_format", "default_instructions": "instructions",
               "default_style_id": "style", "default_resolution_preset_id": "resolution_preset",
               "default_background_preset_id": "background_preset"}
    unbound = ("generate_outfit", "generate_base_images", "unisex_gender_preference")
    null_means = ("status",)  # DRAFT

    product_ids: Optional[UuidList] = Field(None, description="Simple list of product IDs")
    product_outfit_configs: Optional[list[ProductOutfitConfig]] = Field(
        None, description="Per-product outfit configurations")
    product_filters: Optional[JSONObject] = Field(None, description="Product filters as the product list takes them")
    subject_ids: UuidList = Field(None, description="Defaults to the shooting guidelines' subjects")
    shot_type_ids: UuidList = Field(None, description="Defaults to the shooting guidelines' shot types")
    generate_outfit: bool = False
    default_style_id: Optional[uuid.UUID] = None
    default_resolution_preset_id: Optional[uuid.UUID] = None
    default_width: Optional[ImageSize] = None
    default_height: Optional[ImageSize] = None
    default_background_preset_id: Optional[uuid.UUID] = None
    default_file_format: FileFormatInput = Field(
        None, description="JPG unless the guidelines say otherwise (JPEG is read as JPG; answers say JPG)")
    default_instructions: text(20000) = ""
    pose_preset_ids: Optional[UuidList] = Field(None, description="Override the pose presets from guidelines")
    set_design_id: Optional[uuid.UUID] = Field(None, description="Override the set design from guidelines")
    status: Optional[ShootingLookStatus] = None
    generate_base_images: bool = False
    unisex_gender_preference: Optional[ProductGender] = None


class ShootingLookUpdate(RequestModel):
    db_model = ShootingLook

    subject_id: Optional[uuid.UUID] = None
    product_id: Optional[uuid.UUID] = None
    outfit_id: Optional[uuid.UUID] = None
    style_id: Optional[uuid.UUID] = None
    resolution_preset_id: Optional[uuid.UUID] = None
    width: Optional[ImageSize] = None
    height: Optional[ImageSize] = None
    background_preset_id: Optional[uuid.UUID] = None
    file_format: Optional[FileFormatInput] = None
    status: Optional[ShootingLookStatus] = None
    assignee_id: Optional[uuid.UUID] = None
    shot_type_ids: Optional[UuidList] = Field(None, description="The look's shots are added and removed to match")

    @model_validator(mode="after")
    def _preset_or_size(self):
        if self.resolution_preset_id and (self.width or self.height):
            raise ValueError("Give either resolution_preset_id or width/height, not both")
        return self


class FinalizeOutfitRequest(RequestModel):
    db_model = Outfit
    unbound = ("outfit_id",)

    outfit_id: Optional[uuid.UUID] = Field(None, description="ID of existing outfit proposal to finalize")
    outfit_ref_imgs_urls: ReferenceImages = Field(None, description="Reference image URLs for new outfit")
    outfit_instruction: OutfitInstruction = Field(None, description="Instructions for new outfit")
    outfit_product_ids: Optional[UuidList] = Field(None, description="Product IDs for new outfit")

    @model_validator(mode="after")
    def _existing_or_new(self):
        creating = any((self.outfit_ref_imgs_urls, self.outfit_instruction, self.outfit_product_ids))
        if self.outfit_id and creating:
            raise ValueError("Provide either outfit_id or outfit creation fields, not both")
        if not self.outfit_id and not creating:
            raise ValueError("Provide either outfit_id or outfit creation fields")
        return self


class StartGenerationsRequest(RequestModel):
    db_model = None  # nothing is stored as sent
    unbound = ("generations_per_shot_type",)

    generations_per_shot_type: GenerationsCount = Field(
        1, description="Number of generations to create per shot type (1-10)")


class StartShotTypeGenerationsRequest(RequestModel):
    db_model = None  # nothing is stored as sent
    unbound = ("shot_type_id", "generations_count")

    shot_type_id: uuid.UUID = Field(description="UUID of the shot type to generate for")
    generations_count: GenerationsCount = Field(1, description="Number of generations to create (1-10)")

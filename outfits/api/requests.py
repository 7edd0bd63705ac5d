"""The outfits' request shapes (one declaration each: validation, 422 bodies, OpenAPI)."""
import uuid
from typing import Optional

from pydantic import Field

from outfits.models import Outfit
from sartiq.api.requests import RequestModel, UuidList, text
from sartiq.media.api.requests import ReferenceImages

OutfitInstruction = Optional[text(1000)]


class ManualOutfitCreate(RequestModel):
    db_model = Outfit

    outfit_ref_imgs_urls: ReferenceImages = None
    outfit_instruction: OutfitInstruction = None
    outfit_product_ids: UuidList = Field(default_factory=list)


class OutfitCreate(ManualOutfitCreate):
    shooting_look_id: uuid.UUID

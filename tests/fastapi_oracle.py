"""A FastAPI app declaring some of our endpoints with Pydantic models, used as the oracle for 422s.

The original service is FastAPI; a client sees its error bodies. For the same raw request, this
app and ours must answer byte-for-byte the same `detail`. The models restate our request bodies
(field order included: Pydantic reports errors in declaration order, as DRF does).
"""
from __future__ import annotations

import datetime
import enum
import uuid
from typing import Annotated, Any, Optional

from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, StringConstraints

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Text = Optional[Annotated[str, StringConstraints(max_length=255)]]
LongText = Optional[Annotated[str, StringConstraints(max_length=20000)]]
Url = Optional[Annotated[str, StringConstraints(max_length=2000)]]
UrlList = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=2000)]], Field(max_length=200)]
UuidList = Annotated[list[uuid.UUID], Field(max_length=1000)]


class ProductGender(str, enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNISEX = "UNISEX"


class Gender(str, enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class AgeClass(str, enum.Enum):
    KID = "KID"
    TEEN = "TEEN"
    YOUNG = "YOUNG"
    MIDDLE_AGE = "MIDDLE_AGE"
    ELDER = "ELDER"


class ProductPlacement(str, enum.Enum):
    TOP = "TOP"
    BOTTOM = "BOTTOM"
    FULL_BODY = "FULL_BODY"
    OUTERWEAR = "OUTERWEAR"
    FOOTWEAR = "FOOTWEAR"
    ACCESSORY = "ACCESSORY"


class ProductSortBy(str, enum.Enum):
    name = "name"
    sku = "sku"
    brand = "brand"
    created_at = "created_at"
    updated_at = "updated_at"
    season = "season"


class ProductCreate(BaseModel):
    sku: Text = None
    name: Name
    brand: Text = None
    master_item_code: Text = None
    product_family: Text = None
    product_type: Text = None
    product_type_id: Optional[uuid.UUID] = None
    gender: ProductGender = ProductGender.UNISEX
    age_class: Optional[AgeClass] = None
    placement: Optional[ProductPlacement] = None
    zone: Text = None
    type: Text = None
    category: Text = None
    sleeve_type: Text = None
    neckline: Text = None
    closure_type: Text = None
    fit_type: Text = None
    length_type: Text = None
    pattern: Text = None
    materials: Optional[Annotated[str, StringConstraints(max_length=1000)]] = None
    colour: Text = None
    season: Text = None
    year: Optional[Annotated[int, Field(ge=1900, le=2200)]] = None
    style_code: Text = None
    in_store_date: Optional[datetime.date] = None
    theme: Text = None
    brand_collection: Text = None
    description: LongText = None
    back_description: LongText = None
    ecommerce_description: LongText = None
    brand_metadata: Optional[dict[str, Any]] = None
    cover_image_url: Url = None
    back_image_url: Url = None
    reference_images: UrlList = []
    data_image_urls: UrlList = []
    cover_image_media_id: Optional[uuid.UUID] = None
    back_image_media_id: Optional[uuid.UUID] = None
    reference_images_media_ids: UuidList = []
    public: bool = False
    enabled: bool = True
    archived: bool = False
    demo: bool = False
    is_filler: bool = False


class BaseImageInput(BaseModel):
    shot_type_id: uuid.UUID
    image_url: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    image_media_id: Optional[uuid.UUID] = None


class SubjectMeasurementsInput(BaseModel):
    height_cm: Optional[Annotated[int, Field(ge=30, le=260)]] = None
    bust_cm: Optional[Annotated[int, Field(ge=20, le=250)]] = None


class SubjectCreate(BaseModel):
    name: Name
    gender: Gender
    base_images: list[BaseImageInput] = []
    measurements: Optional[SubjectMeasurementsInput] = None


class ResolutionPresetCreate(BaseModel):
    name: Name
    width: Annotated[int, Field(ge=1, le=16384)]
    height: Annotated[int, Field(ge=1, le=16384)]


app = FastAPI()


@app.post("/api/v1/products/")
def create_product(body: ProductCreate, organization_id: Optional[uuid.UUID] = None):
    return {}


@app.put("/api/v1/products/{product_id}")
def update_product(product_id: uuid.UUID, body: ProductCreate, organization_id: Optional[uuid.UUID] = None):
    return {}


@app.get("/api/v1/products/")
def list_products(
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    organization_id: Optional[uuid.UUID] = None,
    archived: Optional[bool] = None,
    gender: Annotated[Optional[list[ProductGender]], Query()] = None,
    sort_by: Optional[ProductSortBy] = None,
):
    return {}


@app.get("/api/v1/products/{product_id}")
def read_product(product_id: uuid.UUID, organization_id: Optional[uuid.UUID] = None):
    return {}


@app.post("/api/v1/subjects/")
def create_subject(body: SubjectCreate):
    return {}


@app.post("/api/v1/resolution-presets/")
def create_resolution(body: ResolutionPresetCreate):
    return {}


client = TestClient(app)


def oracle(method: str, url: str, **kwargs):
    """FastAPI's answer to the request."""
    return client.request(method, url, **kwargs)

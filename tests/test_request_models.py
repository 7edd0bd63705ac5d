"""`RequestModel.data()`: what a service receives from a validated request (issue 12)."""
import uuid

from outfits.api.requests import ManualOutfitCreate
from sartiq.catalog.api.requests import ProductCreate, ProductUpdate, SubjectCreate
from sartiq.catalog.choices import Gender, ProductGender


def test_a_create_gives_the_fields_sent_and_the_defaults_but_no_field_left_out():
    data = ProductCreate.model_validate({"name": "Tee", "sku": None}).data()
    # `sku` was sent (null); `brand` was not, and a None default means "absent" (the service keeps
    # the column's own default); declared defaults are given, enum members as their values.
    assert data == {"name": "Tee", "sku": None, "gender": "UNISEX", "public": False, "enabled": True,
                    "archived": False, "demo": False, "is_filler": False}
    assert type(data["gender"]) is str and data["gender"] == ProductGender.UNISEX


def test_an_update_gives_only_the_fields_sent():
    assert ProductUpdate.model_validate({"year": 2020, "public": True}).data() == {"year": 2020, "public": True}
    assert ProductUpdate.model_validate({}).data() == {}


def test_nested_models_become_dicts_and_reference_strings_urls():
    shot_type = uuid.uuid4()
    data = SubjectCreate.model_validate({"name": "Ava", "gender": "FEMALE",
                                         "base_images": [{"shot_type_id": str(shot_type), "image_url": "a.png"}],
                                         "measurements": {"height_cm": 170}}).data()
    assert data["gender"] == Gender.FEMALE
    assert data["base_images"] == [{"shot_type_id": shot_type, "image_url": "a.png"}]
    assert data["measurements"] == {"height_cm": 170}
    outfit = ManualOutfitCreate.model_validate({"outfit_ref_imgs_urls": ["https://a.example/x.png",
                                                                         {"url": "https://a.example/y.png"}]}).data()
    assert outfit == {"outfit_ref_imgs_urls": [{"url": "https://a.example/x.png"},
                                               {"url": "https://a.example/y.png", "protected": False}],
                      "outfit_product_ids": []}


def test_update_models_are_partial_twins_of_the_create_models():
    assert list(ProductUpdate.model_fields) == list(ProductCreate.model_fields)
    assert not any(field.is_required() for field in ProductUpdate.model_fields.values())
    assert ProductUpdate.null_refused == ProductCreate.null_refused

"""A product as the products and outfits endpoints show it: the catalog's fields and, computed by
`integrations.selectors.products_for` from what the caller may see, the state of its latest look
(status, shots) and its exports. It sits above the catalog, with the reads it shows."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sartiq.catalog import models
from sartiq.catalog.api.serializers import TenantPublicSerializer, media, media_list
from sartiq.media.api.serializers import ShownUrlField
from shots.api.fields import RankedStatusField
from shots.api.serializers import ShotSummarySerializer
from shots.choices import ShotStatus


class ProductPublicSerializer(TenantPublicSerializer):
    memoize = True  # shared by many objects of one response
    cover_image_media = media()
    back_image_media = media()
    cover_image_url = ShownUrlField("cover_image_url", "cover_image_media")
    back_image_url = ShownUrlField("back_image_url", "back_image_media")
    reference_images_media = media_list()
    reference_images = serializers.ListField(child=serializers.CharField(), read_only=True)
    data_image_urls = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Computed by `integrations.selectors.products_for(user)` from what the caller may see.
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

    @extend_schema_field(ShotSummarySerializer(many=True))
    def get_shots(self, product) -> list:
        latest = getattr(product, "latest_looks", None)
        if not latest:
            return []
        return ShotSummarySerializer(latest[0].shot_list, many=True, context=self.context).data

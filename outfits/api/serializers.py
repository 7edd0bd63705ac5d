from rest_framework import serializers

from outfits.models import Outfit
from sartiq.api.serializers import ReadSerializer
from sartiq.media.api.serializers import MediaResourcePublicSerializer
from shootings.api.products import ProductPublicSerializer


class ShootingLookOutfitPublicSerializer(ReadSerializer):
    shooting_look_id = serializers.UUIDField(read_only=True)
    outfit_ref_imgs_urls = serializers.ListField(child=serializers.CharField(), read_only=True,
                                                 source="shown_ref_imgs_urls")
    outfit_ref_images_media = MediaResourcePublicSerializer(many=True, read_only=True, source="ref_media_list")
    outfit_product_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    outfit_products = ProductPublicSerializer(many=True, read_only=True, source="products_in_order")

    class Meta:
        model = Outfit
        fields = ["id", "created_at", "updated_at", "shooting_look_id", "outfit_ref_imgs_urls",
                  "outfit_ref_images_media", "outfit_instruction", "outfit_product_ids", "outfit_products",
                  "generation_status", "generation_error", "retry_count", "source"]

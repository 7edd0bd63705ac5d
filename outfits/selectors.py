"""Outfit querysets."""
from django.db.models import Prefetch

from outfits.models import Outfit, OutfitProduct


def outfits(product_queryset):
    """Outfits with their products, in order, and media; the products from `product_queryset` (as
    the catalog shows them to the caller: `integrations.selectors.outfits`)."""
    return Outfit.objects.prefetch_related(
        Prefetch("outfit_product_links", OutfitProduct.objects.prefetch_related(Prefetch("product", product_queryset)),
                 to_attr="product_link_list"),
        Prefetch("outfit_ref_images_media", to_attr="ref_media_list"),
    ).order_by("created_at", "id")

"""Outfit querysets."""
from django.db.models import Prefetch

from outfits.models import Outfit, OutfitProduct


def outfits(user):
    """Outfits with their products as the catalog shows them to `user`, in order, and media."""
    from shootings.selectors import products_for

    return Outfit.objects.prefetch_related(
        Prefetch("outfit_product_links", OutfitProduct.objects.prefetch_related(Prefetch("product", products_for(user))),
                 to_attr="product_link_list"),
        Prefetch("outfit_ref_images_media", to_attr="ref_media_list"),
    ).order_by("created_at", "id")

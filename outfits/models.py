"""Outfits: what a look's subject wears besides the product. The stylist proposes several; one
becomes THE outfit of the look (`ShootingLook.outfit`)."""
from __future__ import annotations

from django.db import models

from outfits.choices import OutfitGenerationStatus, OutfitSource
from sartiq.media.services import storage_key_of
from sartiq.models import JSONField, TimestampedModel


class Outfit(TimestampedModel):
    shooting_look = models.ForeignKey("shootings.ShootingLook", on_delete=models.CASCADE, related_name="outfits")
    outfit_instruction = models.CharField(max_length=1000, null=True, blank=True)
    outfit_products = models.ManyToManyField("catalog.Product", through="OutfitProduct", blank=True, related_name="+")
    outfit_ref_imgs_urls = JSONField(default=list, blank=True)
    outfit_ref_images_media = models.ManyToManyField("media.MediaResource", blank=True, related_name="+")
    source = models.CharField(max_length=8, choices=OutfitSource.choices, default=OutfitSource.MANUAL)
    generation_status = models.CharField(max_length=16, choices=OutfitGenerationStatus.choices, null=True, blank=True)
    generation_error = models.TextField(null=True, blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    # The stylist worker holding a PENDING proposal (see outfits/styling.py).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)

    tenant_path = "shooting_look__shooting"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["shooting_look", "generation_status"], name="outfits_look_generation")]

    @property
    def shown_ref_imgs_urls(self) -> list[str]:
        """`outfit_ref_imgs_urls` as shown: outside URLs as given, URLs of our storage as the current
        (signed) URL of the reference media they name (`ref_media_list`, prefetched by the selector);
        a storage URL naming none of them is left out."""
        media = getattr(self, "ref_media_list", None)
        by_key = {m.file.name: m for m in (media if media is not None else self.outfit_ref_images_media.all())}
        shown = []
        for url in self.outfit_ref_imgs_urls or []:
            key = storage_key_of(url)
            if key is None:
                shown.append(url)
            elif key in by_key:
                shown.append(by_key[key].url)
        return shown

    # Read from `product_link_list`, the links the outfit selector prefetches in order.
    @property
    def products_in_order(self):
        return [link.product for link in self.product_link_list]

    @property
    def outfit_product_ids(self):
        return [link.product_id for link in self.product_link_list]


class OutfitProduct(models.Model):
    """An outfit's products in the order they were given."""

    outfit = models.ForeignKey(Outfit, on_delete=models.CASCADE, related_name="outfit_product_links")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["outfit", "product"], name="outfits_outfit_product_unique")]

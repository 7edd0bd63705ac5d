from django.contrib import admin

from outfits.models import Outfit, OutfitProduct
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin


class OutfitProductInline(TenantInlineMixin, admin.TabularInline):
    model = OutfitProduct
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Outfit)
class OutfitAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "shooting_look", "source", "generation_status", "retry_count", "created_at"]
    list_filter = ["source", "generation_status"]
    search_fields = ["outfit_instruction", "generation_error"]
    readonly_fields = ["generation_status", "generation_error", "retry_count", "claim_token", "lease_until"]
    raw_id_fields = ["shooting_look"]
    filter_horizontal = ["outfit_ref_images_media"]
    inlines = [OutfitProductInline]

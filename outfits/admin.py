from django.contrib import admin

from outfits.models import Outfit, OutfitProduct
from sartiq.admin_services import ReadOnlyAdminMixin, read_only_inline
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin


@read_only_inline
class OutfitProductInline(TenantInlineMixin, admin.TabularInline):
    model = OutfitProduct
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Outfit)
class OutfitAdmin(ReadOnlyAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Read-only: outfits are written by the API's services (there is no outfit update or delete
    service; a look's delete removes its outfits)."""

    list_display = ["id", "shooting_look", "source", "generation_status", "retry_count", "created_at"]
    list_filter = ["source", "generation_status"]
    search_fields = ["outfit_instruction", "generation_error"]
    inlines = [OutfitProductInline]

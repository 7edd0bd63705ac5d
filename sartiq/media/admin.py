from django.contrib import admin
from django.utils.html import format_html

from sartiq.admin_tenancy import TenantAdminMixin
from sartiq.media.models import MediaResource


def thumbnail(url: str | None, size: int = 80):
    """An <img> of a stored image (served by the storage backend: signed URLs on S3)."""
    if not url:
        return "-"
    return format_html('<img src="{}" style="width:{}px;height:{}px;object-fit:contain;background:#f3f3f3;'
                       'border-radius:3px" loading="lazy">', url, size, size)


@admin.register(MediaResource)
class MediaResourceAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["preview", "file", "resource_type", "width", "height", "file_size", "owner", "organization",
                    "created_at"]
    list_filter = ["resource_type", "protected"]
    search_fields = ["file", "alt_text", "caption", "content_hash"]
    list_select_related = ["owner", "organization"]
    readonly_fields = ["preview_large", "content_hash", "extension", "content_type", "file_size", "width", "height",
                       "color_profile", "dominant_color", "created_at", "updated_at"]
    autocomplete_fields = ["owner", "organization"]

    @admin.display(description="Preview")
    def preview(self, obj):
        return thumbnail(obj.url)

    @admin.display(description="Preview")
    def preview_large(self, obj):
        return thumbnail(obj.url, 480)

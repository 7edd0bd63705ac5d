from django.contrib import admin

from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.catalog import models
from sartiq.media.admin import thumbnail
from sartiq.media.references import shown_url

TENANT = ["owner", "organization"]


class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_select_related = TENANT
    autocomplete_fields = TENANT
    list_filter = ["organization"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]


class SubjectBaseImageInline(TenantInlineMixin, admin.TabularInline):
    model = models.SubjectBaseImage
    extra = 0
    fields = ["shot_type", "image_url", "image_media", "preview"]
    readonly_fields = ["preview"]
    raw_id_fields = ["image_media"]

    @admin.display(description="Preview")
    def preview(self, obj):
        return thumbnail(shown_url(obj.image_url, obj.image_media))


class SubjectMeasurementsInline(TenantInlineMixin, admin.StackedInline):
    model = models.SubjectMeasurements
    extra = 0


@admin.register(models.Subject)
class SubjectAdmin(TenantAdmin):
    list_display = ["cover", "name", "surname", "gender", "age_class", "subject_type", "ready", "enabled", "public",
                    "organization"]
    list_filter = ["gender", "age_class", "subject_type", "ready", "enabled", "public", "organization"]
    search_fields = ["name", "surname", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SubjectBaseImageInline, SubjectMeasurementsInline]
    raw_id_fields = ["cover_image_media", "portrait_image_media"]
    filter_horizontal = ["data_images_media", "portfolio_images_media"]
    list_select_related = [*TENANT, "cover_image_media", "portrait_image_media"]

    @admin.display(description="Cover")
    def cover(self, obj):
        return thumbnail(shown_url(obj.cover_image_url, obj.cover_image_media)
                         or shown_url(obj.portrait_image_url, obj.portrait_image_media), 48)


@admin.register(models.Product)
class ProductAdmin(TenantAdmin):
    list_display = ["cover", "name", "sku", "brand", "gender", "placement", "season", "enabled", "archived",
                    "organization"]
    list_filter = ["gender", "placement", "enabled", "archived", "demo", "is_filler", "public", "brand", "season",
                   "organization"]
    search_fields = ["name", "sku", "style_code", "master_item_code", "brand"]
    raw_id_fields = ["cover_image_media", "back_image_media"]
    filter_horizontal = ["reference_images_media"]
    list_per_page = 50
    list_select_related = [*TENANT, "cover_image_media"]

    @admin.display(description="Cover")
    def cover(self, obj):
        return thumbnail(shown_url(obj.cover_image_url, obj.cover_image_media), 48)


@admin.register(models.ShotType)
class ShotTypeAdmin(TenantAdmin):
    list_display = ["name", "view_angle", "framing", "default_shot_type", "core_focus", "public", "organization"]
    list_filter = ["view_angle", "framing", "public", "core_focus", "organization"]
    raw_id_fields = ["reference_image"]


@admin.register(models.PosePreset)
class PosePresetAdmin(TenantAdmin):
    list_display = ["name", "shot_type", "organization"]
    list_select_related = [*TENANT, "shot_type"]
    raw_id_fields = ["pose_image_media"]


class SetBaseImageInline(TenantInlineMixin, admin.TabularInline):
    model = models.SetBaseImage
    extra = 0
    raw_id_fields = ["image_media"]


class SetReferenceImageInline(TenantInlineMixin, admin.TabularInline):
    model = models.SetReferenceImage
    extra = 0
    raw_id_fields = ["image_media"]


class SubjectPortraitInline(TenantInlineMixin, admin.TabularInline):
    model = models.SubjectPortrait
    extra = 0
    raw_id_fields = ["image_media"]


@admin.register(models.SetDesign)
class SetDesignAdmin(TenantAdmin):
    list_display = ["name", "background_preset", "organization"]
    inlines = [SetBaseImageInline, SetReferenceImageInline, SubjectPortraitInline]


@admin.register(models.ShootingGuidelines)
class ShootingGuidelinesAdmin(TenantAdmin):
    list_display = ["name", "file_format", "set_design", "organization"]
    filter_horizontal = ["shot_types", "subjects", "pose_presets"]


@admin.register(models.Style)
class StyleAdmin(TenantAdmin):
    list_display = ["name", "organization"]


@admin.register(models.ResolutionPreset)
class ResolutionPresetAdmin(TenantAdmin):
    list_display = ["name", "width", "height", "organization"]


@admin.register(models.BackgroundPreset)
class BackgroundPresetAdmin(TenantAdmin):
    list_display = ["name", "color", "organization"]

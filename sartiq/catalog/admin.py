"""Staff admin of the catalog. Every write goes through the catalog's services, as the API's
(`sartiq/catalog/services.py`, `sartiq/resources.py`, by `sartiq/admin_services.py`): an add calls
`<thing>_create`, an edit `<thing>_update` with the changed fields, a delete (one or selected)
`<thing>_delete`; the inlines are the nested writers' lists (base images, set images, portraits,
measurements). So the admin gets the API's rules: every referenced id and storage URL checked
against the resource's tenant, only superusers publish, storage URLs only where a media twin takes
them. The owner is the user who adds, the organization is chosen when adding and not changed after;
what no service writes (a subject's data and portfolio media) is read-only.
"""
from django.contrib import admin

from sartiq.admin_services import ServiceInlineMixin, ServiceWritesMixin, resource_fields
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.catalog import models, services
from sartiq.media.admin import thumbnail
from sartiq.media.references import shown_url

TENANT = ["owner", "organization"]


class TenantAdmin(ServiceWritesMixin, TenantAdminMixin, admin.ModelAdmin):
    """A catalog resource written by its services: `writes` = (create, update, delete)."""

    list_select_related = TENANT
    autocomplete_fields = TENANT
    list_filter = ["organization"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    writes: tuple = ()

    def service_create(self, *, user, organization_id, data):
        return self.writes[0](user=user, organization_id=organization_id, data=data)

    def service_update(self, *, user, obj, data):
        return self.writes[1](user=user, instance=obj, data=data)

    def service_delete(self, *, user, obj):
        self.writes[2](user=user, instance=obj)


class SubjectBaseImageInline(ServiceInlineMixin, TenantInlineMixin, admin.TabularInline):
    model = models.SubjectBaseImage
    service_key = "base_images"
    extra = 0
    fields = ["shot_type", "image_url", "image_media", "preview"]
    readonly_fields = ["preview"]
    raw_id_fields = ["image_media"]

    @admin.display(description="Preview")
    def preview(self, obj):
        return thumbnail(shown_url(obj.image_url, obj.image_media))


class SubjectMeasurementsInline(ServiceInlineMixin, TenantInlineMixin, admin.StackedInline):
    model = models.SubjectMeasurements
    service_key = "measurements"
    service_single = True
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
    list_select_related = [*TENANT, "cover_image_media", "portrait_image_media"]
    service_fields = resource_fields(services.SUBJECT)  # not data/portfolio media: no service writes them
    writes = (services.subject_create, services.subject_update, services.subject_delete)

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
    service_fields = resource_fields(services.PRODUCT)
    writes = (services.product_create, services.product_update, services.product_delete)

    @admin.display(description="Cover")
    def cover(self, obj):
        return thumbnail(shown_url(obj.cover_image_url, obj.cover_image_media), 48)


@admin.register(models.ShotType)
class ShotTypeAdmin(TenantAdmin):
    list_display = ["name", "view_angle", "framing", "default_shot_type", "core_focus", "public", "organization"]
    list_filter = ["view_angle", "framing", "public", "core_focus", "organization"]
    raw_id_fields = ["reference_image"]
    service_fields = resource_fields(services.SHOT_TYPE)
    writes = (services.shot_type_create, services.shot_type_update, services.shot_type_delete)


@admin.register(models.PosePreset)
class PosePresetAdmin(TenantAdmin):
    list_display = ["name", "shot_type", "organization"]
    list_select_related = [*TENANT, "shot_type"]
    raw_id_fields = ["pose_image_media"]
    service_fields = resource_fields(services.POSE_PRESET)
    writes = (services.pose_preset_create, services.pose_preset_update, services.pose_preset_delete)


class SetBaseImageInline(ServiceInlineMixin, TenantInlineMixin, admin.TabularInline):
    model = models.SetBaseImage
    service_key = "base_images"
    extra = 0
    raw_id_fields = ["image_media"]


class SetReferenceImageInline(ServiceInlineMixin, TenantInlineMixin, admin.TabularInline):
    model = models.SetReferenceImage
    service_key = "reference_images"
    extra = 0
    raw_id_fields = ["image_media"]


class SubjectPortraitInline(ServiceInlineMixin, TenantInlineMixin, admin.TabularInline):
    model = models.SubjectPortrait
    service_key = "subject_portraits"
    extra = 0
    raw_id_fields = ["image_media"]


@admin.register(models.SetDesign)
class SetDesignAdmin(TenantAdmin):
    list_display = ["name", "background_preset", "organization"]
    inlines = [SetBaseImageInline, SetReferenceImageInline, SubjectPortraitInline]
    service_fields = resource_fields(services.SET_DESIGN)
    writes = (services.set_design_create, services.set_design_update, services.set_design_delete)


@admin.register(models.ShootingGuidelines)
class ShootingGuidelinesAdmin(TenantAdmin):
    list_display = ["name", "file_format", "set_design", "organization"]
    filter_horizontal = ["shot_types", "subjects", "pose_presets"]
    service_fields = resource_fields(services.GUIDELINES)
    writes = (services.guidelines_create, services.guidelines_update, services.guidelines_delete)


@admin.register(models.Style)
class StyleAdmin(TenantAdmin):
    list_display = ["name", "organization"]
    service_fields = resource_fields(services.STYLE)
    writes = (services.style_create, services.style_update, services.style_delete)


@admin.register(models.ResolutionPreset)
class ResolutionPresetAdmin(TenantAdmin):
    list_display = ["name", "width", "height", "organization"]
    service_fields = resource_fields(services.RESOLUTION_PRESET)
    writes = (services.resolution_preset_create, services.resolution_preset_update,
              services.resolution_preset_delete)


@admin.register(models.BackgroundPreset)
class BackgroundPresetAdmin(TenantAdmin):
    list_display = ["name", "color", "organization"]
    service_fields = resource_fields(services.BACKGROUND_PRESET)
    writes = (services.background_preset_create, services.background_preset_update,
              services.background_preset_delete)

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from sartiq.admin_services import ServiceWritesMixin, read_only_inline
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.events.admin import HistoryAdminMixin
from sartiq.media.admin import thumbnail
from shootings import services
from shootings.models import Shooting, ShootingLook
from shootings.selectors import with_look_statuses
from shots.admin import CURRENT_IMAGES, current_image_url, status_badge
from shots.models import Shot
from shots.selectors import STATUS_ORDER, shot_status_expression


def rank_badge(rank):
    return "-" if rank is None else status_badge(str(STATUS_ORDER[rank]))


@read_only_inline
class LookInline(TenantInlineMixin, admin.TabularInline):
    model = ShootingLook
    extra = 0
    fields = ["link", "product", "subject", "status", "assignee"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="Look")
    def link(self, look):
        return format_html('<a href="{}">open</a>', reverse("admin:shootings_shootinglook_change", args=[look.pk]))


@admin.register(Shooting)
class ShootingAdmin(HistoryAdminMixin, ServiceWritesMixin, TenantAdminMixin, admin.ModelAdmin):
    """Edits through `shooting_update`; a delete through `shooting_delete` (which releases the
    stored images). The organization changes by a transfer (the API's), never here."""

    list_display = ["name", "organization", "brand", "season", "due_date", "status", "shot_status", "looks",
                    "archived"]
    list_filter = ["archived", "organization", "brand", "season", ("due_date", admin.DateFieldListFilter)]
    search_fields = ["name", "brand", "collection", "season"]
    list_select_related = ["organization"]
    raw_id_fields = ["default_guidelines"]
    readonly_fields = ["owner", "organization", "created_at", "updated_at"]
    inlines = [LookInline]
    history_field = "shooting_id"
    date_hierarchy = "due_date"
    service_fields = {**{name: name for name in services.SHOOTING_FIELDS}, "default_guidelines": "default_guidelines_id"}

    def service_update(self, *, user, obj, data):
        services.shooting_update(user=user, shooting=obj, data=data)

    def service_delete(self, *, user, obj):
        services.shooting_delete(user=user, shooting=obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(look_count=Count("looks"))

    @admin.display(description="Status", ordering="status_rank")
    def status(self, shooting):
        return rank_badge(shooting.status_rank)

    @admin.display(description="Shot status", ordering="shot_status_rank")
    def shot_status(self, shooting):
        return rank_badge(shooting.shot_status_rank)

    @admin.display(description="Looks", ordering="look_count")
    def looks(self, shooting):
        return shooting.look_count


@read_only_inline
class ShotInline(TenantInlineMixin, admin.TabularInline):
    model = Shot
    extra = 0
    fields = ["shot_type", "status", "image", "review"]
    readonly_fields = ["shot_type", "status", "image", "review"]
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status=shot_status_expression()).select_related(
            "shot_type", "current_revision").prefetch_related(CURRENT_IMAGES)

    @admin.display(description="Status")
    def status(self, shot):
        return status_badge(shot.status)

    @admin.display(description="Current image")
    def image(self, shot):
        return thumbnail(current_image_url(shot), 80)

    @admin.display(description="")
    def review(self, shot):
        return format_html('<a href="{}">review</a>', reverse("admin:shots_reviewshot_review", args=[shot.pk]))

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ShootingLook)
class ShootingLookAdmin(ServiceWritesMixin, TenantAdminMixin, admin.ModelAdmin):
    """Edits through `look_update` (references must serve the look's tenant, the assignee must see
    it); a delete through `look_delete`. Status, shooting and outfit are the API's to change."""

    list_display = ["__str__", "shooting", "product", "subject", "status", "shot_status", "assignee", "created_at"]
    list_filter = ["status", ("shooting", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product__name", "product__sku", "subject__name", "shooting__name"]
    list_select_related = ["shooting", "product", "subject", "assignee"]
    raw_id_fields = ["subject", "product", "style", "resolution_preset", "background_preset", "assignee"]
    readonly_fields = ["shooting", "status", "outfit", "set_design", "pose_presets", "instructions", "created_at",
                       "updated_at"]
    inlines = [ShotInline]
    service_fields = {
        **{name: f"{name}_id" for name in ("subject", "product", "style", "resolution_preset", "background_preset",
                                           "assignee")},
        **{name: name for name in ("width", "height", "file_format")},
    }

    def service_update(self, *, user, obj, data):
        services.look_update(user=user, look=obj, data=data)

    def service_delete(self, *, user, obj):
        services.look_delete(user=user, look=obj)

    def get_queryset(self, request):
        return with_look_statuses(super().get_queryset(request))

    @admin.display(description="Shot status", ordering="shot_status_rank")
    def shot_status(self, look):
        return rank_badge(look.shot_status_rank)

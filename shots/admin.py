"""Staff admin of shots: generations, revisions and shots, read-only where a service owns the
write (status, counters), writes through the same services as the API. The review queue and a
shot's review page, which also export, live in integrations/review_admin.py (they need pushes).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join

from sartiq.accounts import tenancy
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Organization
from sartiq.admin_services import ServiceForm, ServiceWritesMixin, read_only_inline
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.errors import PermissionDenied
from sartiq.events.admin import HistoryAdminMixin
from sartiq.media.admin import thumbnail
from shots import services
from shots.choices import QualityStatus
from shots.models import Generation, OrganizationEngine, Prediction, Shot, ShotRevision, ShotRevisionImage
from shots.selectors import shot_status_expression

STATUS_COLOURS = {"PENDING": "#9e9e9e", "PROPOSAL": "#1e88e5", "REJECTED": "#e53935", "POST_PROD": "#8e24aa",
                  "POST_PROD_REJECTED": "#d81b60", "REVIEW": "#fb8c00", "APPROVED": "#43a047"}


def status_badge(status: str):
    return format_html('<span style="background:{};color:#fff;border-radius:10px;padding:2px 8px;font-size:11px;'
                       'white-space:nowrap">{}</span>', STATUS_COLOURS.get(status, "#607d8b"), status)


def current_image_url(shot) -> str | None:
    """The current revision's first image; needs `current_revision__images` prefetched."""
    images = list(shot.current_revision.images.all()) if shot.current_revision else []
    return images[0].effective_image_url if images else None


QUALITY_COLOURS = {QualityStatus.PENDING: "#9e9e9e", QualityStatus.PASSED: "#43a047",
                   QualityStatus.WARNING: "#fb8c00", QualityStatus.FAILED: "#e53935"}


def quality_badge(status: str, unchecked: str = "-"):
    """A revision's quality status (docs/quality.md) as a badge; `unchecked` for one never checked
    (no image, or no revision at all on the review page)."""
    if not status:
        return format_html('<span style="color:var(--body-quiet-color)">{}</span>', unchecked)
    return format_html('<span class="quality-badge" style="background:{};color:#fff;border-radius:10px;'
                       'padding:2px 8px;font-size:11px;white-space:nowrap">{}</span>',
                       QUALITY_COLOURS.get(status, "#607d8b"), status)


def number(value) -> str:
    """A check's score or threshold for the page: two decimals at most, three significant digits
    below 1 (a normalised sharpness of 0.0031 stays readable)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    if abs(value) >= 1 or value == 0:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def quality_checks(quality) -> list[dict]:
    """The checks of a revision's quality document (shots/quality) as the page shows them; a
    document of another shape shows none."""
    checks = quality.get("checks") if isinstance(quality, dict) else None
    return [{**check, "score": number(check.get("score")), "threshold": number(check.get("threshold"))}
            for check in (checks if isinstance(checks, list) else []) if isinstance(check, dict)]


def quality_table(quality: dict):
    """The checks of a revision, one row each: check, passed, score against threshold, detail."""
    checks = quality_checks(quality)
    if not checks:
        return "-" if not quality else "not run yet"
    rows = format_html_join("", '<tr><td>{}</td><td style="color:{}">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>', (
        (check.get("name"), "#2e7d32" if check.get("passed") else "#c62828",
         "passed" if check.get("passed") else "failed", check["score"], check["threshold"], check.get("detail", ""))
        for check in checks))
    return format_html('<table class="quality-checks"><thead><tr><th>check</th><th>result</th><th>score</th>'
                       '<th>threshold</th><th>detail</th></tr></thead><tbody>{}</tbody></table>', rows)


CURRENT_IMAGES = Prefetch("current_revision__images", ShotRevisionImage.objects.select_related("image_media"))

class PredictionInline(TenantInlineMixin, admin.TabularInline):
    model = Prediction
    extra = 0
    fields = ["index", "seed", "image", "created_at"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description="Image")
    def image(self, prediction):
        return thumbnail(prediction.media.url if prediction.media_id else None, 120)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Generation)
class GenerationAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Read-only: a generation is written by its worker. Shows where it ran (engine, model, the
    engine's job id), when (queued, submitted, started, finished) and what it cost."""

    list_display = ["id", "kind", "status", "progress", "attempts", "engine", "model", "error_short", "shot",
                    "created_at", "finished_at"]
    list_filter = ["status", "kind", "provider"]
    search_fields = ["id", "error", "prompt", "provider_job_id"]
    list_select_related = ["shot"]
    fieldsets = [
        (None, {"fields": ["shot", "kind", "status", "progress", "attempts", "error", "requested_by", "revision"]}),
        ("Engine", {"fields": ["engine", "model", "provider_job_id", "compute_seconds", "cost", "cost_unit"]}),
        ("Timings", {"fields": ["queued_at", "submitted_at", "started_at", "finished_at", "updated_at"]}),
        ("Request", {"fields": ["prompt", "negative_prompt", "params"]}),
        ("Worker", {"fields": ["claim_token", "lease_until"]}),
    ]
    readonly_fields = [*(f.name for f in Generation._meta.fields), "engine", "queued_at"]
    inlines = [PredictionInline]

    @admin.display(description="Engine", ordering="provider")
    def engine(self, generation):
        return generation.provider

    @admin.display(description="Queued at", ordering="created_at")
    def queued_at(self, generation):
        return generation.created_at

    @admin.display(description="Error")
    def error_short(self, generation):
        return (generation.error or "")[:80]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a generation alone: its predictions' images would stay stored


@read_only_inline
class RevisionImageInline(TenantInlineMixin, admin.TabularInline):
    model = ShotRevisionImage
    extra = 0
    fields = ["position", "source_type", "preview", "notes", "autogenerated"]
    readonly_fields = fields
    fk_name = "shot_revision"

    @admin.display(description="Image")
    def preview(self, image):
        return thumbnail(image.effective_image_url, 160)


@admin.register(ShotRevision)
class ShotRevisionAdmin(ServiceWritesMixin, TenantAdminMixin, admin.ModelAdmin):
    """Read-only (the status changes by approve/reject/restore, on the review page); a delete
    through `revision_delete` (the chain's rules, the images' files released)."""

    list_display = ["__str__", "shot", "shot_status", "quality_badge", "owner", "created_at"]
    list_filter = ["shot_status", "quality_status"]
    list_select_related = ["shot", "owner"]
    readonly_fields = ["shot", "version", "shot_status", "notes", "previous_revision", "owner", "created_at",
                       "updated_at", "quality_badge", "quality_checks"]
    exclude = ["quality", "quality_status"]  # shown as the badge and the table of checks
    inlines = [RevisionImageInline]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name not in self.exclude]

    @admin.display(description="Quality", ordering="quality_status")
    def quality_badge(self, revision):
        return quality_badge(revision.quality_status)

    @admin.display(description="Quality checks")
    def quality_checks(self, revision):
        return quality_table(revision.quality)

    def service_delete(self, *, user, obj):
        services.revision_delete(user=user, revision=obj)


@admin.register(Shot)
class ShotAdmin(HistoryAdminMixin, ServiceWritesMixin, TenantAdminMixin, admin.ModelAdmin):
    """The shot type changes through `shot_update` (usable, one shot per type); the rework counters
    through reject; a delete through `shot_delete` (its images' files released)."""

    list_display = ["id", "shooting_look", "shot_type", "status", "rework_available", "rework_used", "created_at"]
    list_select_related = ["shooting_look", "shot_type"]
    readonly_fields = ["shooting_look", "current_revision", "pose_preset", "rework_available", "rework_used",
                       "created_at", "updated_at"]
    raw_id_fields = ["shot_type"]
    history_field = "shot_id"
    service_fields = {"shot_type": "shot_type_id"}

    def service_update(self, *, user, obj, data):
        services.shot_update(user=user, shot=obj, data=data)

    def service_delete(self, *, user, obj):
        services.shot_delete(user=user, shot=obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(status=shot_status_expression())

    @admin.display(description="Status", ordering="status")
    def status(self, shot):
        return status_badge(shot.status)


class OrganizationEngineForm(ServiceForm):
    """The override as the API sets it (the same service and checks): the key and the webhook
    secret are write-only, a new value replaces the stored one, nothing stored is ever shown."""

    new_api_key = forms.CharField(
        required=False, max_length=2000, widget=forms.PasswordInput(render_value=False),
        help_text="The organization's own key (FASHN) or token (Replicate); stored encrypted, never shown. Leave "
                  "empty to keep the stored one (another engine needs it again).")
    new_webhook_secret = forms.CharField(
        required=False, max_length=500, widget=forms.PasswordInput(render_value=False),
        help_text="The whsec_... of the organization's Replicate account; leave empty to keep the stored one.")
    use_server_credentials = forms.BooleanField(
        required=False, help_text="Forget the stored key and webhook secret: the server's credentials serve this "
                                  "organization (its own engine and model only).")
    field_names = {"api_key": "new_api_key", "webhook_secret": "new_webhook_secret"}

    class Meta:
        model = OrganizationEngine
        fields = ["organization", "engine", "model"]

    def service_data(self) -> dict:
        data = {"engine": self.cleaned_data["engine"], "model": self.cleaned_data.get("model") or ""}
        if self.cleaned_data.get("use_server_credentials"):
            data.update(api_key=None, webhook_secret=None)
        for field, name in (("new_api_key", "api_key"), ("new_webhook_secret", "webhook_secret")):
            if self.cleaned_data.get(field):
                data[name] = self.cleaned_data[field]
        return data

    def check(self, data: dict) -> None:
        """Who may (the organization's owners and admins) and what may run, as the API checks."""
        organization = self.cleaned_data.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return
        if not tenancy.is_admin_of(self.user, organization.pk):
            raise PermissionDenied("Only the organization's owners and admins set its engine")
        current = OrganizationEngine.objects.filter(organization=organization).first()
        services.organization_engine_check(current=current, data=data)


@admin.register(OrganizationEngine)
class OrganizationEngineAdmin(admin.ModelAdmin):
    """Organizations' engine overrides (shots/engines.py): staff see those of their organizations
    and change them where they are admins or owners, through the API's service."""

    form = OrganizationEngineForm
    list_display = ["organization", "engine", "model", "api_key_state", "webhook_secret_state", "updated_by",
                    "updated_at"]
    list_filter = ["engine"]
    search_fields = ["organization__name", "model"]
    list_select_related = ["organization", "updated_by"]
    readonly_fields = ["api_key_state", "webhook_secret_state", "updated_by", "created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "organization"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = Organization.objects.filter(
                memberships__user=request.user, memberships__role__in=[MembershipRole.OWNER, MembershipRole.ADMIN])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(
            organization__memberships__user=request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or tenancy.is_admin_of(request.user, obj.organization_id))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or tenancy.is_admin_of(request.user, obj.organization_id))

    def save_model(self, request, obj, form, change):
        saved = services.organization_engine_set(user=request.user, organization=obj.organization,
                                                 data=form.service_data())
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.organization_engine_delete(user=request.user, organization=obj.organization)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("organization"):
            self.delete_model(request, obj)

    @admin.display(description="API key")
    def api_key_state(self, obj):
        return "the organization's (encrypted)" if obj.api_key else "the server's"

    @admin.display(description="Webhook secret")
    def webhook_secret_state(self, obj):
        return "stored (encrypted)" if obj.webhook_secret else "none"

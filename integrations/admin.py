from django import forms
from django.contrib import admin, messages

from integrations import services
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from integrations.secrets import describe, seal
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.errors import DomainError


class IntegrationForm(forms.ModelForm):
    """Credentials are write-only here as in the API: a new value replaces the stored one."""

    new_credentials = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored credentials; env:NAME reads them from the server environment.")

    class Meta:
        model = ExternalIntegration
        exclude = ["credentials", "callback_secret"]

    def save(self, commit=True):
        integration = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            integration.credentials = seal(self.cleaned_data["new_credentials"])
        if not integration.callback_secret:
            import secrets

            integration.callback_secret = seal(secrets.token_urlsafe(32))
        if commit:
            integration.save()
        return integration


@admin.register(ExternalIntegration)
class ExternalIntegrationAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "integration_type", "endpoint_url", "enabled", "credentials_state", "organization"]
    list_filter = ["integration_type", "enabled", "organization"]
    search_fields = ["name", "endpoint_url"]
    list_select_related = ["organization"]
    autocomplete_fields = ["owner", "organization"]

    @admin.display(description="Credentials")
    def credentials_state(self, obj):
        state = describe(obj.credentials)
        return state["reference"] or ("stored (encrypted)" if state["set"] else "none")


@admin.register(ExternalProductMapping)
class ExternalProductMappingAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["product", "integration", "external_id", "style_code", "colour_code"]
    list_filter = ["integration"]
    search_fields = ["product__name", "product__sku", "external_id", "style_code"]
    list_select_related = ["product", "integration"]
    raw_id_fields = ["product"]


class PushAttemptInline(TenantInlineMixin, admin.TabularInline):
    model = PushAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "finished_at", "http_status", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Push again (failed pushes)")
def push_again(modeladmin, request, queryset):
    for push in queryset:
        try:
            services.push_retry(user=request.user, push=push)
            modeladmin.message_user(request, f"Push {push.pk}: queued again", messages.SUCCESS)
        except DomainError as error:
            modeladmin.message_user(request, f"Push {push.pk}: {error.message}", messages.WARNING)


@admin.register(ExternalImagePush)
class ExternalImagePushAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "revision", "integration", "push_status", "attempts", "pushed_at", "completed_at",
                    "error_message"]
    list_filter = ["push_status", "integration"]
    search_fields = ["external_reference", "error_message", "revision__shot__shooting_look__product__sku"]
    list_select_related = ["revision", "integration"]
    readonly_fields = ["revision", "integration", "push_status", "pushed_at", "completed_at", "error_message",
                       "attempts", "idempotency_key", "external_reference", "claim_token", "lease_until",
                       "created_at", "updated_at"]
    exclude = ["next_attempt_at"]
    inlines = [PushAttemptInline]
    actions = [push_again]

    def has_add_permission(self, request):
        return False

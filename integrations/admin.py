from django import forms
from django.contrib import admin, messages

from integrations import (
    review_admin,  # noqa: F401  (registers the review queue and page)
    services,
)
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from sartiq.accounts import tenancy
from sartiq.admin_services import ServiceForm
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.errors import DomainError


class ServiceAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Writes through `services` (create, update, delete) and shows as changeable only what the
    services allow (`services.can_manage`)."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or services.can_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or services.can_manage(request.user, obj))

    def save_form(self, request, form, change):
        return form.instance  # not saved here: save_model writes through the service

    def save_related(self, request, form, formsets, change):
        pass  # nothing related is edited on these pages

    def save_model(self, request, obj, form, change):
        data = form.service_data()
        if change:
            self.update(user=request.user, instance=type(obj).objects.get(pk=obj.pk), data=data)
        else:
            obj.pk = self.create(user=request.user, form=form, data=data).pk

    def delete_model(self, request, obj):
        self.delete(user=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete(user=request.user, instance=obj)


class IntegrationForm(ServiceForm):
    """Credentials and the callback secret are write-only here as in the API: a new value replaces
    the stored one, and nothing stored is ever shown."""

    new_credentials = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="The retailer's token; stored encrypted, never shown. Leave empty to keep the stored one "
                  "(a new endpoint URL needs it again).")
    new_callback_secret = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="The Standard Webhooks secret (whsec_...) the retailer signs confirmation callbacks with; "
                  "leave empty to keep the stored one.")
    field_names = {"credentials": "new_credentials", "callback_secret": "new_callback_secret"}

    class Meta:
        model = ExternalIntegration
        fields = ["name", "integration_type", "endpoint_url", "enabled", "settings", "organization"]

    def service_data(self) -> dict:
        data = self.changed(services.INTEGRATION_FIELDS)
        for field, name in (("new_credentials", "credentials"), ("new_callback_secret", "callback_secret")):
            if self.cleaned_data.get(field):
                data[name] = self.cleaned_data[field]
        return data

    def check(self, data: dict) -> None:
        if self.instance._state.adding:
            organization = self.cleaned_data.get("organization")
            services.integration_check(user=self.user, data=data, organization_id=organization and organization.pk)
        else:
            services.integration_check(user=self.user, data=data, instance=self.instance)


@admin.register(ExternalIntegration)
class ExternalIntegrationAdmin(ServiceAdmin):
    form = IntegrationForm
    list_display = ["name", "integration_type", "endpoint_url", "enabled", "credentials_state", "organization"]
    list_filter = ["integration_type", "enabled", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "endpoint_url"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        return ["owner", "organization"] if obj is not None else []

    @admin.display(description="Credentials")
    def credentials_state(self, obj):
        return "stored (encrypted)" if obj.credentials else "none"

    def create(self, *, user, form, data):
        organization = form.cleaned_data.get("organization")
        return services.integration_create(user=user, organization_id=organization and organization.pk, data=data)

    def update(self, **kwargs):
        return services.integration_update(**kwargs)

    def delete(self, **kwargs):
        return services.integration_delete(**kwargs)


class MappingForm(ServiceForm):
    class Meta:
        model = ExternalProductMapping
        fields = ["product", "integration", "external_id", "style_code", "colour_code", "extra"]

    def service_data(self) -> dict:
        data = self.changed(services.MAPPING_FIELDS)
        if self.instance._state.adding:
            data["product_id"] = self.cleaned_data["product"].pk
            data["integration_id"] = self.cleaned_data["integration"].pk
        return data

    def check(self, data: dict) -> None:
        services.mapping_check(user=self.user, data=data,
                               instance=None if self.instance._state.adding else self.instance)


@admin.register(ExternalProductMapping)
class ExternalProductMappingAdmin(ServiceAdmin):
    form = MappingForm
    list_display = ["product", "integration", "external_id", "style_code", "colour_code"]
    list_filter = [("integration", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product__name", "product__sku", "external_id", "style_code"]
    list_select_related = ["product", "integration"]
    raw_id_fields = ["product"]

    def get_readonly_fields(self, request, obj=None):
        return ["product", "integration"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "integration":  # only integrations the user sees, not every tenant's names
            kwargs["queryset"] = tenancy.visible(ExternalIntegration.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, *, user, form, data):
        return services.mapping_create(user=user, organization_id=None, data=data)

    def update(self, **kwargs):
        return services.mapping_update(**kwargs)

    def delete(self, **kwargs):
        return services.mapping_delete(**kwargs)


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
    list_filter = ["push_status", ("integration", admin.RelatedOnlyFieldListFilter)]
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

    def has_delete_permission(self, request, obj=None):
        return False  # a push is the record of an export (a restore keeps what was exported); no service deletes one

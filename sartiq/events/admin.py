"""Webhook endpoints and their deliveries for staff: read-only (tenants manage them through the API),
within the tenancy rule of the admin, and never a secret, sealed or not."""
from django.contrib import admin

from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(TenantAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "tenant", "enabled", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "description", "organization__name", "owner__email"]
    list_select_related = ["owner", "organization"]
    # Listed, so that the secrets (`secret`, `previous_secret`) are never on the page.
    fields = ["url", "events", "description", "owner", "organization", "enabled", "disabled_reason", "failing_since",
              "previous_secret_expires_at", "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description="Tenant", ordering="organization__name")
    def tenant(self, obj):
        return obj.organization.name if obj.organization_id else f"{obj.owner.email} (personal)"


class WebhookAttemptInline(TenantInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "duration_ms", "status_code", "response_excerpt", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event_type", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at",
                    "delivered_at", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    fields = ["endpoint", "message_id", "event_type", "status", "attempts", "next_attempt_at", "last_status_code",
              "last_error", "delivered_at", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]

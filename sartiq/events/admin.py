"""The event log in the admin: read-only, as every reader sees it (services write it, nothing else),
and an object's history for the change pages of shots and shootings and the review page. Webhook
endpoints and their deliveries for staff: read-only too (tenants manage them through the API),
within the tenancy rule of the admin, and never a secret, sealed or not."""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from sartiq.admin_services import ReadOnlyAdminMixin, read_only_inline
from sartiq.admin_tenancy import TenantAdminMixin, TenantInlineMixin
from sartiq.events import selectors
from sartiq.events.actors import ACTOR_TYPES
from sartiq.events.catalogue import TYPES
from sartiq.events.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Events shown on an object's page; the rest are a link away (the event list, filtered).
HISTORY_SHOWN = 20
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
ID_COLUMNS = ("uid", "shooting_id", "look_id", "shot_id", "revision_id", "generation_id", "push_id", "actor_id")


def actor_label(event: Event) -> str:
    return f"{event.actor_type}: {event.actor_name}" if event.actor_name else event.actor_type


def data_label(event: Event) -> str:
    """The payload in a line: `from → to` first, then the other keys."""
    data = dict(event.data or {})
    parts = []
    if "from" in data and "to" in data:
        parts.append(f"{data.pop('from')} → {data.pop('to')}")
    parts += [f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
              for key, value in data.items() if value not in (None, "", [])]
    return "; ".join(parts)


def history(user, **subject):
    """The latest events of one object (`shot_id=...`, `shooting_id=...`), newest first, as a table,
    and a link to the event log filtered on it for a user who may read the log. The caller checked
    that the user may see the object."""
    events = list(selectors.history(**subject)[:HISTORY_SHOWN + 1])
    if not events:
        return format_html("<p>{}</p>", "No event yet.")
    rows = format_html_join(
        "", "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
        ((f"{event.occurred_at:%Y-%m-%d %H:%M:%S}", event.type, actor_label(event), data_label(event))
         for event in events[:HISTORY_SHOWN]))
    more = ""
    if user.has_perm("events.view_event"):
        link = reverse("admin:events_event_changelist") + "?" + urlencode({k: str(v) for k, v in subject.items()})
        label = f"All events (the latest {HISTORY_SHOWN} are shown)" if len(events) > HISTORY_SHOWN else "In the event log"
        more = format_html('<p><a href="{}" class="history-more">{}</a></p>', link, label)
    return format_html('<table class="history"><thead><tr><th>When</th><th>What</th><th>Who</th><th>Details</th>'
                       "</tr></thead><tbody>{}</tbody></table>{}", rows, more)


class TypeFilter(admin.SimpleListFilter):
    """The catalogue's types and their prefixes (`shot.*`), without a DISTINCT over the whole log."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        prefixes = sorted({name.split(".")[0] for name in TYPES})
        return [(f"{prefix}.*", f"{prefix}.*") for prefix in prefixes] + [(name, name) for name in TYPES]

    def queryset(self, request, queryset):
        return selectors.matching_types(queryset, [self.value()]) if self.value() else queryset


class ActorTypeFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in ACTOR_TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(actor_type=self.value()) if self.value() else queryset


class HistoryAdminMixin:
    """An object's history under its change page's form (`history_field`: the event column naming
    the object, "shot_id"). Read when the page is rendered, so only for a user the page is shown to."""

    history_field = ""
    change_form_template = "admin/events/change_form_with_history.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        shown = {**(extra_context or {}), "history": lambda: history(request.user, **{self.history_field: object_id})}
        return super().change_view(request, object_id, form_url, shown)


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Read-only: an event is recorded by the service that makes its change, never typed in."""

    list_display = ["occurred_at", "type", "actor", "shooting_id", "shot_id", "details"]
    list_filter = [TypeFilter, ActorTypeFilter]
    search_help_text = "An id: of the event, its shooting, look, shot, revision, generation, push or actor"
    search_fields = ["uid"]  # searched by `get_search_results` in every id column
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over the whole log for every page

    def get_search_results(self, request, queryset, search_term):
        """Ids found in the term, matched in every id column; a term without one finds nothing."""
        if not (search_term or "").strip():
            return queryset, False
        ids = [uuid.UUID(found) for found in UUID_TEXT.findall(search_term)]
        wanted = Q()
        for column in ID_COLUMNS:
            wanted |= Q(**{f"{column}__in": ids})
        return (queryset.filter(wanted) if ids else queryset.none()), False

    @admin.display(description="Who")
    def actor(self, event):
        return actor_label(event)

    @admin.display(description="Details")
    def details(self, event):
        return data_label(event)


class ReadOnlyAdmin(ReadOnlyAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Webhook endpoints and deliveries: tenants manage them through the API."""


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


@read_only_inline
class WebhookAttemptInline(TenantInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["started_at", "duration_ms", "status_code", "response_excerpt", "error"]
    readonly_fields = fields


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

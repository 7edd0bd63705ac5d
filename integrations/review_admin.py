"""Staff review in the admin: the review queue and a shot's review page, which approve, reject,
restore and export. It sits here, above shots, because it shows a revision's pushes and calls the
export services; shots' own admin stays unaware of integrations.

Every action calls the same service as the API (shots.services, integrations.services), so the
admin and the API cannot disagree; what a staff user sees follows the tenancy rule.
"""
from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from integrations import services as integration_services
from integrations.models import ExternalImagePush
from sartiq.admin_tenancy import TenantAdminMixin
from sartiq.errors import DomainError
from sartiq.events.admin import history as event_history
from sartiq.media.admin import thumbnail
from shots import services
from shots.admin import CURRENT_IMAGES, STATUS_COLOURS, current_image_url, status_badge
from shots.choices import REVIEWABLE, ShotStatus
from shots.models import ReviewShot, Shot, ShotRevision, ShotRevisionImage

logger = logging.getLogger(__name__)
from shots.selectors import shot_status_expression


class ReviewActionForm(helpers.ActionForm):
    note = forms.CharField(required=False, label="Note (for rejections)",
                           widget=forms.TextInput(attrs={"size": 40, "placeholder": "What to fix"}))


# The queue shows shots awaiting review; approved ones are a filter away, to be exported.
QUEUE_STATUSES = (*REVIEWABLE, ShotStatus.APPROVED)


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status, "APPROVED (to export)" if status == ShotStatus.APPROVED else status)
                for status in QUEUE_STATUSES]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset.filter(status__in=REVIEWABLE)


class BrandFilter(admin.SimpleListFilter):
    title = "brand"
    parameter_name = "brand"

    def lookups(self, request, model_admin):
        brands = (model_admin.get_queryset(request).exclude(shooting_look__shooting__brand__isnull=True)
                  .values_list("shooting_look__shooting__brand", flat=True).distinct())
        return [(brand, brand) for brand in sorted(set(brands)) if brand]

    def queryset(self, request, queryset):
        return queryset.filter(shooting_look__shooting__brand=self.value()) if self.value() else queryset


# Outcomes listed one by one after the counts; beyond, the counts and the log say the rest.
LISTED_OUTCOMES = 20


def _run_on_each(modeladmin, request, queryset, verb, call):
    """One service call per shot. Progress: a log line per shot (`n/total`), and messages the staff
    user sees: the counts (for more than one shot), then each shot's outcome, refusals first."""
    shots = list(queryset)
    done, refused = [], []
    for index, shot in enumerate(shots, start=1):
        label = modeladmin.label(shot)
        try:
            outcome = call(shot)
            done.append(f"{label}: {outcome or verb}")
        except DomainError as error:
            refused.append(f"{label}: not {verb}: {error.message}")
        logger.info("admin bulk action: %s %d/%d", verb, index, len(shots))
    if len(shots) > 1:
        summary = f"{len(done)} of {len(shots)} shots {verb}" + (f", {len(refused)} not" if refused else "")
        modeladmin.message_user(request, summary, messages.WARNING if refused else messages.SUCCESS)
    outcomes = [(text, messages.WARNING) for text in refused] + [(text, messages.SUCCESS) for text in done]
    for text, level in outcomes[:LISTED_OUTCOMES]:
        modeladmin.message_user(request, text, level)
    if len(outcomes) > LISTED_OUTCOMES:
        modeladmin.message_user(request, f"... and {len(outcomes) - LISTED_OUTCOMES} more", messages.INFO)


@admin.action(description="Approve selected shots", permissions=["change"])
def approve_shots(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, "approved",
                 lambda shot: services.shot_approve(user=request.user, shot=shot) and "approved")


@admin.action(description="Reject selected shots (with the note)", permissions=["change"])
def reject_shots(modeladmin, request, queryset):
    note = request.POST.get("note") or None

    def reject(shot):
        shot = services.shot_reject(user=request.user, shot=shot, notes=note)
        return f"rejected ({shot.rework_available} rework left)"

    _run_on_each(modeladmin, request, queryset, "rejected", reject)


@admin.action(description="Export selected shots to their integrations", permissions=["change"])
def export_shots(modeladmin, request, queryset):
    def export(shot):
        if shot.current_revision is None:
            raise services.BusinessRuleError("no current revision")
        count = integration_services.revision_export(user=request.user, revision=shot.current_revision)
        return f"{count.created} export(s) started, {count.skipped} skipped"

    _run_on_each(modeladmin, request, queryset, "exported", export)


@admin.register(ReviewShot)
class ReviewQueueAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Shots awaiting review, oldest due date first, with the current image."""

    action_form = ReviewActionForm
    actions = [approve_shots, reject_shots, export_shots]
    list_display = ["preview", "product", "shooting", "brand", "due_date", "status_badge", "shot_type", "assignee",
                    "rework"]
    list_display_links = ["preview", "product"]
    list_filter = [
        StatusFilter,
        ("shooting_look__shooting__organization", admin.RelatedOnlyFieldListFilter),
        ("shooting_look__shooting", admin.RelatedOnlyFieldListFilter),
        BrandFilter,
        ("shooting_look__shooting__due_date", admin.DateFieldListFilter),
        ("shot_type", admin.RelatedOnlyFieldListFilter),
        ("shooting_look__assignee", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["shooting_look__product__name", "shooting_look__product__sku", "shooting_look__shooting__name"]
    list_per_page = 50
    change_list_template = "admin/shots/reviewshot/change_list.html"

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request)
            .annotate(status=shot_status_expression(), due_date=F("shooting_look__shooting__due_date"))
            .filter(status__in=QUEUE_STATUSES)
            .select_related("current_revision", "shot_type", "shooting_look__product", "shooting_look__assignee",
                            "shooting_look__shooting__organization")
            .prefetch_related(CURRENT_IMAGES)
        )
        return queryset

    def get_ordering(self, request):
        return [F("shooting_look__shooting__due_date").asc(nulls_last=True), "created_at", "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def label(shot) -> str:
        product = shot.shooting_look.product
        kind = shot.shot_type.name if shot.shot_type else "shot"
        return f"{product.name if product else 'Look'} ({kind})"

    @admin.display(description="Image")
    def preview(self, shot):
        return thumbnail(current_image_url(shot), 96)

    @admin.display(description="Product", ordering="shooting_look__product__name")
    def product(self, shot):
        product = shot.shooting_look.product
        return format_html("{}<br><small>{}</small>", product.name, product.sku or "") if product else "-"

    @admin.display(description="Shooting", ordering="shooting_look__shooting__name")
    def shooting(self, shot):
        return shot.shooting_look.shooting.name

    @admin.display(description="Brand")
    def brand(self, shot):
        return shot.shooting_look.shooting.brand or "-"

    @admin.display(description="Due", ordering="due_date")
    def due_date(self, shot):
        return shot.due_date.date() if shot.due_date else "-"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, shot):
        return status_badge(shot.status)

    @admin.display(description="Assignee")
    def assignee(self, shot):
        return shot.shooting_look.assignee or "-"

    @admin.display(description="Rework left")
    def rework(self, shot):
        return shot.rework_available

    def changelist_view(self, request, extra_context=None):
        counts = dict(self.get_queryset(request).order_by().values_list("status").annotate(n=Count("pk")))
        extra_context = {**(extra_context or {}), "title": "Review queue: shots awaiting review, oldest due first",
                         "status_counts": [(s, counts.get(s, 0), STATUS_COLOURS[s]) for s in QUEUE_STATUSES]}
        return super().changelist_view(request, extra_context)

    # --- the review page ------------------------------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("<uuid:shot_id>/review/", self.admin_site.admin_view(self.review_view),
                     name="%s_%s_review" % info), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:shots_reviewshot_review", args=[object_id]))

    def review_view(self, request, shot_id):
        shot = get_object_or_404(
            Shot.objects.select_related("shot_type", "shooting_look__product", "shooting_look__subject",
                                        "shooting_look__shooting", "current_revision"),
            pk=shot_id)
        if not self.has_view_permission(request, shot):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, shot):
                raise PermissionDenied
            self._act(request, shot)
            return HttpResponseRedirect(request.path)
        revisions = (ShotRevision.objects.filter(shot=shot).select_related("owner")
                     .prefetch_related(Prefetch("images", ShotRevisionImage.objects.select_related("image_media",
                                                                                                "sketch_image_media")),
                                       Prefetch("push_records",
                                                ExternalImagePush.objects.select_related("integration")))
                     .order_by("-version"))
        status = shot.current_revision.shot_status if shot.current_revision else "PENDING"
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "shot": shot, "status": status,
            "status_badge": status_badge(status), "revisions": revisions, "reviewable": status in REVIEWABLE,
            "can_change": self.has_change_permission(request, shot), "title": f"Review: {self.label(shot)}",
            "look": shot.shooting_look, "product": shot.shooting_look.product,
            "history": event_history(request.user, shot_id=shot.pk),
        }
        return TemplateResponse(request, "admin/shots/review_shot.html", context)

    def _act(self, request, shot):
        action, user = request.POST.get("action"), request.user
        try:
            if action == "approve":
                services.shot_approve(user=user, shot=shot)
                message = "Approved"
            elif action == "reject":
                shot = services.shot_reject(user=user, shot=shot, notes=request.POST.get("note") or None)
                message = f"Rejected ({shot.rework_available} rework left)"
            elif action in ("set_current", "restore", "export"):
                revision = get_object_or_404(ShotRevision, pk=request.POST.get("revision_id"), shot=shot)
                if action == "set_current":
                    services.revision_set_current(user=user, revision=revision)
                    message = f"Version {revision.version} is now current"
                elif action == "restore":
                    if shot.current_revision_id == revision.pk:
                        message = f"Version {revision.version} is already current"
                    else:
                        services.revision_restore(user=user, revision=revision)
                        message = f"Restored version {revision.version}; later versions deleted"
                else:
                    count = integration_services.revision_export(user=user, revision=revision)
                    message = f"{count.created} export(s) started, {count.skipped} skipped"
            elif action == "repush":
                push = get_object_or_404(ExternalImagePush, pk=request.POST.get("push_id"), revision__shot=shot)
                integration_services.push_retry(user=user, push=push)
                message = "Push queued again"
            else:
                self.message_user(request, "Unknown action", messages.ERROR)
                return
            self.message_user(request, message, messages.SUCCESS)
        except DomainError as error:
            self.message_user(request, error.message, messages.WARNING)

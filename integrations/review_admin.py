"""Staff review in the admin: the review queue and a shot's review page, which approve, reject
(with reasons), restore and export. It sits here, above shots, because it shows a revision's pushes
and calls the export services; shots' own admin stays unaware of integrations.

The review page is made for going through the queue by keyboard (integrations/static/integrations/
review.js): the product's packshot beside the current image, the quality checks beside them, and
the previous and next shot of the queue *as the reviewer filtered and sorted it* (the changelist's
`_changelist_filters`, which Django's changelist adds to its links and the page passes along).
After an approval or a rejection the next shot opens.

Every action calls the same service as the API (shots.services, integrations.services), so the
admin and the API cannot disagree; what a staff user sees follows the tenancy rule.
"""
from __future__ import annotations

import copy
import logging
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, PAGE_VAR
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, Value, When, Window
from django.db.models.functions import Lag, Lead
from django.http import HttpResponseRedirect, QueryDict
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
from sartiq.media.references import shown_url
from shots import services
from shots.admin import CURRENT_IMAGES, STATUS_COLOURS, current_image_url, quality_badge, quality_checks, status_badge
from shots.choices import REVIEWABLE, QualityStatus, RejectionReason, ShotStatus
from shots.models import ReviewShot, Shot, ShotRevision, ShotRevisionImage
from shots.selectors import shot_status_expression

logger = logging.getLogger(__name__)


class ReviewActionForm(helpers.ActionForm):
    note = forms.CharField(required=False, label="Note (for rejections)",
                           widget=forms.TextInput(attrs={"size": 40, "placeholder": "What to fix"}))
    reasons = forms.MultipleChoiceField(required=False, label="Reasons (for rejections)",
                                        choices=RejectionReason.choices,
                                        widget=forms.CheckboxSelectMultiple(attrs={"class": "reason-choices"}))


# The keys that tick each reason in the reject form of the review page: 1-9, then 0.
REASON_KEYS = [(str((index + 1) % 10), value, label)
               for index, (value, label) in enumerate(RejectionReason.choices)]

# The queue sorts by quality worst first: FAILED, WARNING, PENDING (checks running), PASSED, then
# revisions never checked (no image) and shots without a revision.
QUALITY_RANK = Case(*[When(current_revision__quality_status=status, then=Value(rank)) for rank, status in
                      enumerate([QualityStatus.FAILED, QualityStatus.WARNING, QualityStatus.PENDING,
                                 QualityStatus.PASSED])],
                    default=Value(4), output_field=IntegerField())


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


@admin.action(description="Reject selected shots (with the note and reasons)", permissions=["change"])
def reject_shots(modeladmin, request, queryset):
    note = request.POST.get("note") or None
    reasons = request.POST.getlist("reasons")  # RejectionReason values: the action form checked them

    def reject(shot):
        shot = services.shot_reject(user=request.user, shot=shot, notes=note, reasons=reasons)
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
    list_display = ["preview", "product", "shooting", "brand", "due_date", "status_badge", "quality", "shot_type",
                    "assignee", "rework"]
    list_display_links = ["preview", "product"]
    list_filter = [
        StatusFilter,
        ("shooting_look__shooting__organization", admin.RelatedOnlyFieldListFilter),
        ("shooting_look__shooting", admin.RelatedOnlyFieldListFilter),
        BrandFilter,
        ("shooting_look__shooting__due_date", admin.DateFieldListFilter),
        ("shot_type", admin.RelatedOnlyFieldListFilter),
        ("shooting_look__assignee", admin.RelatedOnlyFieldListFilter),
        "current_revision__quality_status",
    ]
    search_fields = ["shooting_look__product__name", "shooting_look__product__sku", "shooting_look__shooting__name"]
    list_per_page = 50
    change_list_template = "admin/shots/reviewshot/change_list.html"

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request)
            .annotate(status=shot_status_expression(), due_date=F("shooting_look__shooting__due_date"),
                      quality_rank=QUALITY_RANK)
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

    @admin.display(description="Quality", ordering="quality_rank")
    def quality(self, shot):
        return quality_badge(shot.current_revision.quality_status if shot.current_revision else "", "not checked")

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The changelist's links carry its filters (`_changelist_filters`): the review page keeps them.
        url = reverse("admin:shots_reviewshot_review", args=[object_id])
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)

    # --- the queue around a shot ----------------------------------------------------------------
    def queue(self, request):
        """The queue as the changelist showed it to the reviewer: its filters, search and order
        (from `_changelist_filters`), the default queue when those no longer apply."""
        queue_request = copy.copy(request)
        queue_request.GET = QueryDict(request.GET.get("_changelist_filters", ""), mutable=True)
        for page in (PAGE_VAR, ALL_VAR):  # the queue is every page of it
            queue_request.GET.pop(page, None)
        try:
            return self.get_changelist_instance(queue_request).queryset
        except (IncorrectLookupParameters, SuspiciousOperation):
            queue_request.GET = QueryDict()
            return self.get_changelist_instance(queue_request).queryset

    def neighbours(self, request, shot) -> tuple:
        """The ids of the shots before and after `shot` in the reviewer's queue, in one query (LAG
        and LEAD over the queue's order). A shot that is not in the queue (decided meanwhile, or
        filtered out) has no previous one, and the queue's first shot as its next."""
        queue = self.queue(request)
        ordering = queue.query.order_by
        around = (queue.prefetch_related(None)
                  .annotate(previous_id=Window(Lag("pk"), order_by=ordering),
                            next_id=Window(Lead("pk"), order_by=ordering))
                  .filter(Q(previous_id=shot.pk) | Q(next_id=shot.pk))
                  .values_list("pk", "previous_id", "next_id"))
        previous = following = None
        for pk, previous_id, next_id in around:
            if next_id == shot.pk:
                previous = pk
            if previous_id == shot.pk:
                following = pk
        if previous is None and following is None:
            following = queue.exclude(pk=shot.pk).values_list("pk", flat=True).first()
        return previous, following

    @staticmethod
    def review_url(request, shot_id) -> str:
        url = reverse("admin:shots_reviewshot_review", args=[shot_id])
        filters = request.GET.get("_changelist_filters")
        return f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url

    @staticmethod
    def queue_url(request) -> str:
        url = reverse("admin:shots_reviewshot_changelist")
        filters = request.GET.get("_changelist_filters")
        return f"{url}?{filters}" if filters else url

    # --- the review page ------------------------------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("<uuid:shot_id>/review/", self.admin_site.admin_view(self.review_view),
                     name="%s_%s_review" % info), *super().get_urls()]

    def review_view(self, request, shot_id):
        shot = get_object_or_404(
            Shot.objects.select_related("shot_type", "shooting_look__product__cover_image_media",
                                        "shooting_look__subject", "shooting_look__shooting", "current_revision"),
            pk=shot_id)
        if not self.has_view_permission(request, shot):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, shot):
                raise PermissionDenied
            # A decision moves on to the next shot of the queue as it was before the decision
            # (which may take this shot out of it); the queue itself once it is done.
            decision = request.POST.get("action") in ("approve", "reject")
            _, following = self.neighbours(request, shot) if decision else (None, None)
            if self._act(request, shot) and decision:
                return HttpResponseRedirect(self.review_url(request, following) if following
                                            else self.queue_url(request))
            return HttpResponseRedirect(request.get_full_path())
        revisions = list(
            ShotRevision.objects.filter(shot=shot).select_related("owner")
            .prefetch_related(Prefetch("images", ShotRevisionImage.objects.select_related("image_media",
                                                                                        "sketch_image_media")),
                              Prefetch("push_records", ExternalImagePush.objects.select_related("integration")))
            .order_by("-version"))
        current = next((revision for revision in revisions if revision.pk == shot.current_revision_id), None)
        status = current.shot_status if current else "PENDING"
        product = shot.shooting_look.product
        previous, following = self.neighbours(request, shot)
        quality = current.quality if current else None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "shot": shot, "status": status,
            "is_nav_sidebar_enabled": False,  # the width goes to the images
            "status_badge": status_badge(status), "revisions": revisions, "reviewable": status in REVIEWABLE,
            "can_change": self.has_change_permission(request, shot), "title": f"Review: {self.label(shot)}",
            "look": shot.shooting_look, "product": product,
            "packshot_url": shown_url(product.cover_image_url, product.cover_image_media) if product else None,
            "current": current, "current_images": [image for image in (current.images.all() if current else [])
                                                   if image.effective_image_url],
            "quality_badge": quality_badge(current.quality_status if current else "", "not checked"),
            "quality_checks": quality_checks(quality),
            "reasons": REASON_KEYS,
            "previous_url": self.review_url(request, previous) if previous else "",
            "next_url": self.review_url(request, following) if following else "",
            "queue_url": self.queue_url(request),
            "history": event_history(request.user, shot_id=shot_id),
        }
        return TemplateResponse(request, "admin/shots/review_shot.html", context)

    def _act(self, request, shot) -> bool:
        """Runs the posted action through its service; says whether it was done."""
        action, user, label = request.POST.get("action"), request.user, self.label(shot)
        try:
            if action == "approve":
                services.shot_approve(user=user, shot=shot)
                message = f"{label}: approved"
            elif action == "reject":
                shot = services.shot_reject(user=user, shot=shot, notes=request.POST.get("note") or None,
                                            reasons=request.POST.getlist("reasons"))
                message = f"{label}: rejected ({shot.rework_available} rework left)"
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
                return False
            self.message_user(request, message, messages.SUCCESS)
            return True
        except DomainError as error:
            self.message_user(request, error.message, messages.WARNING)
            return False

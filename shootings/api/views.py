"""The shootings and looks endpoints of the reference."""
from __future__ import annotations

from integrations import selectors as integration_selectors
from outfits import services as outfit_services
from outfits.api.requests import ManualOutfitCreate
from sartiq.accounts import tenancy
from sartiq.api.conditional import answer, conditional, etag_of
from sartiq.api.rows import Rows
from sartiq.api.serializers import MessageSerializer
from sartiq.api.views import ApiViewSet, ListMixin, RetrieveMixin
from sartiq.catalog import selectors as catalog_selectors
from sartiq.catalog.api.serializers import ShootingGuidelinesPublicSerializer
from sartiq.compiled import Compiled
from sartiq.errors import NotFound
from sartiq.events.api.serializers import EventPublicSerializer
from sartiq.events.api.views import HistoryMixin
from shootings import selectors, services
from shootings.api import documents
from shootings.api import requests as r
from shootings.api import serializers as s
from shootings.filters import LookFilterSet, ShootingFilterSet
from shootings.models import Shooting, ShootingLook
from shots import services as shot_services
from shots.review_report import review_report


def _guidelines(ids: set) -> dict:
    serializer = ShootingGuidelinesPublicSerializer(context={})
    return {guidelines.pk: serializer.to_representation(guidelines)
            for guidelines in catalog_selectors.guidelines().filter(pk__in=ids)}


SHOOTING_ROWS = Rows(s.ShootingPublicSerializer, nested={"default_guidelines": _guidelines})
PAGE_VERSIONS = ("id", "version", "catalog_version")  # what a list page's ETag digests, besides the count
SHOOTING_PAGE = Compiled(lambda kind, skip, limit, *tenant_id: SHOOTING_ROWS.page_query(
    tenancy.scoped(selectors.with_global_version(selectors.shooting_rows()), kind, tenant_id[0] if tenant_id else None),
    skip, limit, PAGE_VERSIONS))


class ShootingViewSet(HistoryMixin, ListMixin, RetrieveMixin, ApiViewSet):
    """Shootings: list, create, read (with looks), update (PUT/PATCH), delete, summaries."""

    not_found = "Shooting"
    lookup_url_kwarg = "shooting_id"
    queryset = Shooting.objects.none()
    lookup_queryset = Shooting.objects.all()
    serializer_class = s.ShootingPublicSerializer
    filterset_class = ShootingFilterSet
    list_actions = ("list", "history")
    list_component_name = {"history": "EventsPublic"}
    history_field = "shooting_id"
    organization_scoped = True
    organization_actions = ("list", "create", "retrieve", "summary", "draft_summary", "review_report")
    body_models = {
        "create": r.ShootingCreate,
        "update": r.ShootingUpdate,
        "partial_update": r.ShootingUpdate,
    }
    query_models = {"summary": r.SummaryQuery}
    response_serializers = {
        "retrieve": s.ShootingDetailPublicSerializer,
        "destroy": MessageSerializer,
        "summary": s.ShootingSummarySerializer,
        "draft_summary": s.DraftLooksSummarySerializer,
        "review_report": s.ShootingReviewReportSerializer,
        "history": EventPublicSerializer,
    }

    def get_queryset(self):
        if self.action == "list":
            return selectors.with_global_version(selectors.shooting_rows())
        return selectors.shootings()

    def list(self, request, *args, **kwargs):
        """Built from rows, not model instances (`sartiq.api.rows`), and without filters (as a web
        app polls it) from SQL compiled once per tenancy scope and page (`sartiq.compiled`). The
        page's query also reads what its ETag digests (the rows' versions, the global version, the
        count), so a 304 costs that one query and a 200 no more than before
        (sartiq/api/conditional.py)."""
        paginator = self.paginator
        if self.filterset is None:
            tenancy.require_member(request.user, self.organization_id)
            kind, tenant_id = tenancy.list_scope(request.user, self.organization_id)
            values = () if tenant_id is None else (tenant_id,)
            rows = SHOOTING_PAGE.rows((kind, paginator.skip, paginator.limit), values)
        else:
            rows = list(SHOOTING_ROWS.page_query(self.get_list_queryset(), paginator.skip, paginator.limit,
                                                 PAGE_VERSIONS))
        # Each row ends with PAGE_VERSIONS and the count of all rows.
        versions = sorted(f"{shooting_id}:{version}" for *_, shooting_id, version, _, _ in rows)
        if rows:
            *_, catalog_version, count = rows[0]
        else:
            count = self.get_list_queryset().count() if paginator.skip else 0
            catalog_version = selectors.global_version()
        etag = etag_of(request, [count, versions, catalog_version], memberships=self.organization_id is not None)

        def build():
            paginator.count = count
            return self.get_paginated_response(SHOOTING_ROWS.dicts(rows))

        return answer(request, etag, build)

    @conditional(lambda view: selectors.read_version(view.get_object(selectors.shooting_versions(products=True))))
    def retrieve(self, request, *args, **kwargs):
        # Built from rows, not serialized from instances (shootings/api/documents.py).
        return self.respond(documents.shooting_detail(request.user, self.get_object()), None)

    def create(self, request, *args, **kwargs):
        shooting = services.shooting_create(user=request.user, organization_id=self.organization_id, data=self.body)
        return self.respond(self.refetch(shooting))

    def update(self, request, *args, **kwargs):
        shooting = services.shooting_update(user=request.user, shooting=self.get_object(), data=self.body)
        return self.respond(self.refetch(shooting), s.ShootingPublicSerializer)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.shooting_delete(user=request.user, shooting=self.get_object())
        return self.respond({"message": "Shooting deleted successfully"}, MessageSerializer)

    def summary(self, request):
        shootings = tenancy.scope(Shooting.objects.all(), request.user, self.organization_id)
        shooting_id = self.query.get("shooting_id")
        if shooting_id is not None:
            shooting = tenancy.get_visible(Shooting.objects.all(), shooting_id, request.user, "Shooting")
            if self.organization_id is not None and shooting.organization_id != self.organization_id:
                raise NotFound("Shooting")
            shootings = Shooting.objects.filter(pk=shooting.pk)
        return self.respond(selectors.summary(shootings), s.ShootingSummarySerializer)

    def draft_summary(self, request, **kwargs):
        return self.respond(selectors.draft_summary(self.get_object()), s.DraftLooksSummarySerializer)

    def review_report(self, request, **kwargs):
        """What review found in the shooting, in total, per shot type and per engine and model (the
        generation that produced a revision; `upload` for uploaded ones): revisions made, the
        first-pass approval rate (shots approved on their first reviewed revision / shots reviewed),
        rejections by reason, rework spent, and the quality checks as predictors (of the reviewed
        revisions whose quality status or check FAILED, and of those that PASSED, how many were
        rejected). Readable by whoever may read the shooting."""
        return self.respond(review_report(self.get_object().pk), s.ShootingReviewReportSerializer)


class LookViewSet(ListMixin, ApiViewSet):
    """Looks, nested under their shooting or by id alone."""

    not_found = "Look"
    lookup_url_kwarg = "look_id"
    queryset = ShootingLook.objects.none()
    lookup_queryset = ShootingLook.objects.all()
    serializing_actions = ()  # the look pages are built from rows (shootings/api/documents.py)
    serializer_class = s.ShootingLookPublicSerializer
    filterset_class = LookFilterSet
    list_actions = ("list", "summary_list")
    list_component_name = {"list": "ShootingLooksPublic", "summary_list": "ShootingLooksSummaryPublic"}
    organization_scoped = True
    organization_actions = ("list", "summary_list", "retrieve", "retrieve_flat")
    tenant_scoped = False  # a look list is one shooting's: the shooting is checked instead
    body_models = {
        "update": r.ShootingLookUpdate,
        "manual_outfit": ManualOutfitCreate,
        "finalize_outfit": r.FinalizeOutfitRequest,
        "create_looks": r.GenerateShootingLooksRequest,
        "start_generations": r.StartGenerationsRequest,
        "start_shot_type_generations": r.StartShotTypeGenerationsRequest,
    }
    optional_body_actions = ("start_generations",)  # the reference's `StartGenerationsRequest | None`
    operation_ids = {"retrieve_flat": "shootings_looks_retrieve_by_id"}
    response_serializers = {
        "summary_list": s.ShootingLookSummarySerializer,
        "destroy": MessageSerializer,
        "create_looks": s.GenerateShootingLooksResponseSerializer,
        "start_generations": s.StartGenerationsResponseSerializer,
        "start_shot_type_generations": s.StartShotTypeGenerationsResponseSerializer,
    }

    def get_queryset(self):
        if self.action == "summary_list":
            return integration_selectors.look_summaries()
        return integration_selectors.looks(self.request.user)

    def shooting(self, queryset=None) -> Shooting:
        """The path's shooting (from `queryset`, default all): 404 unknown, 403 invisible, 404 when
        not in `organization_id`."""
        tenancy.require_member(self.request.user, self.organization_id)
        shooting = tenancy.get_visible(Shooting.objects.all() if queryset is None else queryset,
                                       self.path["shooting_id"], self.request.user, "Shooting")
        if self.organization_id is not None and shooting.organization_id != self.organization_id:
            raise NotFound("Shooting")
        return shooting

    def get_list_queryset(self):
        return self.filter_queryset(self.get_queryset().filter(shooting=self.shooting()))

    def get_object(self):
        look = super().get_object()
        if "shooting_id" in self.path and look.shooting_id != self.path["shooting_id"]:
            raise NotFound("Look")
        return look

    # A page of one shooting's looks: the query string names the page and filters, the shooting's
    # version covers every look (sartiq/api/conditional.py); the full looks show outfits' products.
    @conditional(lambda view: selectors.read_version(view.shooting(selectors.shooting_versions(products=True))))
    def list(self, request, **kwargs):
        # A page of ids; the looks are built from rows (shootings/api/documents.py).
        page = self.paginate_queryset(self.get_list_queryset().prefetch_related(None).values_list("pk", flat=True))
        return self.get_paginated_response(documents.looks_by_id(request.user, page))

    @conditional(lambda view: selectors.read_version(view.shooting(selectors.shooting_versions(products=False))))
    def summary_list(self, request, **kwargs):
        return super().list(request, **kwargs)

    def retrieve(self, request, **kwargs):
        return self.respond(documents.look_document(request.user, self.get_object().pk), None)

    retrieve_flat = retrieve

    def update(self, request, **kwargs):
        look = services.look_update(user=request.user, look=self.get_object(), data=self.body)
        return self.respond(self.refetch(look))

    def destroy(self, request, **kwargs):
        services.look_delete(user=request.user, look=self.get_object())
        return self.respond({"message": "Look deleted successfully"}, MessageSerializer)

    def manual_outfit(self, request, **kwargs):
        look = outfit_services.outfit_create_manual(user=request.user, look=self.get_object(), data=self.body)
        return self.respond(self.refetch(look))

    def finalize_outfit(self, request, **kwargs):
        look = outfit_services.outfit_finalize(user=request.user, look=self.get_object(), data=self.body)
        return self.respond(self.refetch(look))

    def create_looks(self, request, **kwargs):
        shooting = self.shooting()
        look_ids, generation_results = services.looks_generate(user=request.user, shooting=shooting, data=self.body)
        looks = list(integration_selectors.looks(request.user).filter(pk__in=look_ids))
        return self.respond(
            {"looks": looks, "generation_results": generation_results,
             "total_generations_created": len(generation_results)},
            s.GenerateShootingLooksResponseSerializer,
        )

    def start_generations(self, request, **kwargs):
        count = self.body["generations_per_shot_type"]
        started = shot_services.look_generations_start(user=request.user, look=self.get_object(), count=count)
        return self.respond(
            {"message": started.message(), "look_id": self.path["look_id"],
             "generation_ids": started.generation_ids, "generations_per_shot_type": count},
            s.StartGenerationsResponseSerializer,
        )

    def start_shot_type_generations(self, request, **kwargs):
        count, shot_type_id = self.body["generations_count"], self.body["shot_type_id"]
        started = shot_services.look_generations_start(
            user=request.user, look=self.get_object(), count=count, shot_type_id=shot_type_id
        )
        # Nothing started: the reason alone ("Skipped: ..."), as this endpoint always said.
        message = started.message() if started.generation_ids else "Skipped: " + "; ".join(started.skipped)
        return self.respond(
            {"message": message, "look_id": self.path["look_id"], "shot_type_id": shot_type_id,
             "generation_ids": started.generation_ids, "generations_count": count},
            s.StartShotTypeGenerationsResponseSerializer,
        )

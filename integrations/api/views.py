"""Integration, mapping and push endpoints, the reference's two export operations, and the
retailers' signed confirmation callback."""
from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers as drf

from integrations import services
from integrations.api import serializers as s
from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from sartiq.accounts import tenancy
from sartiq.api.filters import ChoiceFilter, FilterSet, UUIDFilter
from sartiq.api.serializers import update_serializer
from sartiq.api.views import ApiViewSet, CrudViewSet, ListMixin, RetrieveMixin
from shootings.models import ShootingLook
from shots.models import ShotRevision


class ExternalIntegrationViewSet(CrudViewSet):
    """Retailer integrations. Credentials are write-only: stored encrypted (or as env:NAME)."""

    not_found = "Integration"
    lookup_url_kwarg = "integration_id"
    queryset = ExternalIntegration.objects.order_by("name", "id")
    serializer_class = s.ExternalIntegrationPublicSerializer
    list_component_name = "ExternalIntegrationsPublic"
    body_serializers = {"create": s.ExternalIntegrationCreateSerializer,
                        "update": update_serializer(s.ExternalIntegrationCreateSerializer),
                        "partial_update": update_serializer(s.ExternalIntegrationCreateSerializer)}
    services = services
    service_prefix = "integration"


class MappingFilterSet(FilterSet):
    product_id = UUIDFilter()
    integration_id = UUIDFilter()

    class Meta:
        model = ExternalProductMapping
        fields = []


class ExternalProductMappingViewSet(CrudViewSet):
    """Which retailer item a product is (style code, colour code, external id)."""

    not_found = "Mapping"
    lookup_url_kwarg = "mapping_id"
    queryset = ExternalProductMapping.objects.select_related("integration").order_by("created_at", "id")
    serializer_class = s.ExternalProductMappingPublicSerializer
    filterset_class = MappingFilterSet
    list_component_name = "ExternalProductMappingsPublic"
    body_serializers = {"create": s.ExternalProductMappingCreateSerializer,
                        "update": s.ExternalProductMappingUpdateSerializer,
                        "partial_update": s.ExternalProductMappingUpdateSerializer}
    services = services
    service_prefix = "mapping"


class PushFilterSet(FilterSet):
    revision_id = UUIDFilter()
    integration_id = UUIDFilter()
    push_status = ChoiceFilter(PushStatus, many=True)

    class Meta:
        model = ExternalImagePush
        fields = []


class ExternalImagePushViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Pushes of revisions to retailers, with every attempt; a failed push can be pushed again."""

    not_found = "Push"
    lookup_url_kwarg = "push_id"
    queryset = ExternalImagePush.objects.prefetch_related("attempt_log").order_by("created_at", "id")
    serializer_class = s.ExternalImagePushDetailSerializer
    filterset_class = PushFilterSet
    list_component_name = "ExternalImagePushesPublic"
    organization_scoped = True
    organization_actions = ("list",)

    def retry(self, request, **kwargs):
        push = services.push_retry(user=request.user, push=self.get_object())
        return self.respond(self.refetch(push))


class ExportViewSet(ApiViewSet):
    """POST /shots/revisions/{id}/export and POST /shots/looks/{id}/export."""

    response_serializers = {"revision": s.ExportRevisionResponseSerializer, "look": s.ExportLookResponseSerializer}
    operation_ids = {"revision": "shots-export_revision", "look": "shots-export_look"}
    queryset = ShotRevision.objects.none()

    def revision(self, request, revision_id):
        revision = tenancy.get_visible(ShotRevision.objects.all(),
                                       self.path["revision_id"], request.user, "Revision", change=True)
        count = services.revision_export(user=request.user, revision=revision)
        return self.respond({"revision_id": revision.pk, "exports_created": count.created,
                             "exports_skipped": count.skipped,
                             "message": f"{count.created} export(s) started, {count.skipped} skipped"},
                            s.ExportRevisionResponseSerializer)

    def look(self, request, look_id):
        look = tenancy.get_visible(ShootingLook.objects.all(), self.path["look_id"],
                                   request.user, "Look", change=True)
        count = services.look_export(user=request.user, look=look)
        return self.respond({"look_id": look.pk, "revisions_processed": count.processed,
                             "revisions_skipped": count.revisions_skipped, "exports_created": count.created,
                             "exports_skipped": count.skipped,
                             "message": f"{count.processed} revision(s) exported: {count.created} export(s) "
                                        f"started, {count.skipped} skipped"},
                            s.ExportLookResponseSerializer)


class CallbackSerializer(drf.Serializer):
    reference = drf.CharField(required=False, allow_null=True)
    idempotency_key = drf.CharField(required=False, allow_null=True)
    status = drf.ChoiceField(["published", "rejected"])
    message = drf.CharField(required=False, allow_null=True, allow_blank=True)


@csrf_exempt
@require_POST
def confirmation_callback(request, integration_id):
    """The retailer confirms (or rejects) an image: a JSON body signed with the integration's
    callback secret in `X-Signature: sha256=<hex HMAC-SHA256 of the body>`."""
    integration = ExternalIntegration.objects.filter(pk=integration_id).first() if _uuid(integration_id) else None
    if integration is None:
        return JsonResponse({"detail": "Integration not found"}, status=404)
    if not services.callback_verify(integration, request.body, request.headers.get("X-Signature")):
        return JsonResponse({"detail": "Invalid signature"}, status=401)
    try:
        payload = CallbackSerializer(data=json.loads(request.body))
    except ValueError:
        return JsonResponse({"detail": "Body is not JSON"}, status=400)
    if not payload.is_valid():
        return JsonResponse({"detail": payload.errors}, status=422)
    data = payload.validated_data
    try:
        push = services.push_for_callback(integration, data.get("reference"), data.get("idempotency_key"))
    except services.NotFound:
        return JsonResponse({"detail": "Push not found"}, status=404)
    changed = services.push_confirm(push=push, confirmed=data["status"] == "published", message=data.get("message"))
    push.refresh_from_db()
    return JsonResponse({"push_id": str(push.pk), "push_status": push.push_status, "changed": changed})


def _uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False

"""Integration, mapping and push endpoints, the reference's two export operations, and the
retailers' signed confirmation callback."""
from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import services
from integrations.api import requests as r
from integrations.api import serializers as s
from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from sartiq.accounts import tenancy
from sartiq.api.filters import ChoiceFilter, FilterSet, UUIDFilter
from sartiq.api.validation import validate_model
from sartiq.api.views import ApiViewSet, CrudViewSet, ListMixin, RetrieveMixin
from sartiq.errors import BusinessRuleError, DomainError, ValidationErrors
from shootings.models import ShootingLook
from shots.models import ShotRevision


class ExternalIntegrationViewSet(CrudViewSet):
    """Retailer integrations: members read them, admins and owners change them. Credentials are
    write-only; the callback secret is shown once, in the answer of the creation and of each
    rotation; both are stored encrypted."""

    not_found = "Integration"
    lookup_url_kwarg = "integration_id"
    queryset = ExternalIntegration.objects.order_by("name", "id")
    serializer_class = s.ExternalIntegrationPublicSerializer
    list_component_name = "ExternalIntegrationsPublic"
    body_models = {"create": r.ExternalIntegrationCreate, "update": r.ExternalIntegrationUpdate,
                   "partial_update": r.ExternalIntegrationUpdate}
    response_serializers = {**CrudViewSet.response_serializers, "create": s.ExternalIntegrationWithSecretSerializer,
                            "rotate_callback_secret": s.ExternalIntegrationWithSecretSerializer}
    create_service = staticmethod(services.integration_create)
    update_service = staticmethod(services.integration_update)
    delete_service = staticmethod(services.integration_delete)

    def create(self, request, *args, **kwargs):
        integration = services.integration_create(user=request.user, organization_id=self.organization_id,
                                                  data=self.body)
        return self.respond(integration)  # not re-read: the answer carries the secret, once

    def rotate_callback_secret(self, request, **kwargs):
        return self.respond(services.integration_rotate_callback_secret(user=request.user,
                                                                        integration=self.get_object()))


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
    body_models = {"create": r.ExternalProductMappingCreate, "update": r.ExternalProductMappingUpdate,
                   "partial_update": r.ExternalProductMappingUpdate}
    create_service = staticmethod(services.mapping_create)
    update_service = staticmethod(services.mapping_update)
    delete_service = staticmethod(services.mapping_delete)


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


@csrf_exempt
@require_POST
def confirmation_callback(request, integration_id):
    """The retailer confirms (or rejects) an image, as a Standard Webhooks message signed with the
    integration's callback secret (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
    HMAC-SHA256 of "<id>.<timestamp>.<body>">`). Unsigned, wrongly signed and stale messages (outside
    five minutes) are refused with 401; a message id received before changes nothing (200,
    `changed: false`), so a sender's retry is harmless and a captured message cannot be replayed."""
    try:
        integration, message_id, timestamp = services.callback_verify(integration_id, request.body, request.headers)
        data = _callback_body(request.body)
        outcome = services.callback_apply(
            integration=integration, message_id=message_id, timestamp=timestamp, reference=data.get("reference"),
            idempotency_key=data.get("idempotency_key"), published=data["status"] == "published",
            message=data.get("message"))
    except ValidationErrors as exc:
        return JsonResponse({"detail": exc.errors}, status=exc.status_code)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status_code)
    if outcome is None:
        return JsonResponse({"detail": "Message already received", "changed": False})
    push, changed = outcome
    return JsonResponse({"push_id": str(push.pk), "push_status": push.push_status, "changed": changed})


def _callback_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise BusinessRuleError("Body is not JSON")
    payload, errors = validate_model(r.Callback, body, ("body",))
    if errors:
        raise ValidationErrors(errors)
    return payload.data()

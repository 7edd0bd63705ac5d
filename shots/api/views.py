"""The shots and revisions endpoints of the reference, plus approve/reject and downloads."""
from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status

from integrations import selectors as integration_selectors
from integrations import services as integration_services
from sartiq.accounts import tenancy
from sartiq.api.conditional import conditional
from sartiq.api.errors import exception_handler
from sartiq.api.serializers import MessageSerializer
from sartiq.api.views import ApiViewSet, ListMixin, RetrieveMixin
from sartiq.errors import DomainError
from sartiq.events.actors import PROVIDER, Actor, acting
from sartiq.events.api.serializers import EventPublicSerializer
from sartiq.events.api.views import HistoryMixin
from shootings.models import ShootingLook
from shots import generation as generation_service
from shots import selectors, services, uploads
from shots.api import requests as r
from shots.api import serializers as s
from shots.exporting import content_disposition
from shots.filters import GenerationFilterSet, ShotFilterSet
from shots.models import Generation, Shot, ShotRevision
from shots.providers import ProviderError, WebhookRefused
from shots.tasks import run_generation


class ShotViewSet(HistoryMixin, ListMixin, RetrieveMixin, ApiViewSet):
    not_found = "Shot"
    lookup_url_kwarg = "shot_id"
    queryset = Shot.objects.none()
    lookup_queryset = Shot.objects.all()
    serializer_class = s.ShotPublicSerializer
    filterset_class = ShotFilterSet
    list_actions = ("list", "history")
    list_component_name = {"list": "ShotsPublic", "history": "EventsPublic"}
    history_field = "shot_id"
    organization_scoped = True
    organization_actions = ("list",)
    serializing_actions = ("retrieve", "destroy")
    body_models = {
        "create": r.ShotCreate,
        "update": r.ShotUpdate,
        "partial_update": r.ShotUpdate,
        "create_revision": r.CreateShotRevisionRequest,
        "reject": r.RejectShot,
        "generate": r.GenerateShotRequest,
    }
    optional_body_actions = ("reject", "generate")  # optional notes; a count with a default
    response_serializers = {"create_revision": s.ShotRevisionPublicSerializer,
                            "generate": s.ShotGenerationsPublicSerializer, "history": EventPublicSerializer}

    def get_queryset(self):
        return integration_selectors.shots()

    # 304 to a matching If-None-Match before building the body (sartiq/api/conditional.py): the
    # shot's tree is its shooting's version, read on the shooting the access check joins.
    @conditional(lambda view: _read_version(view.get_object(selectors.shot_versions())))
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def create(self, request):
        look = tenancy.get_visible(ShootingLook.objects.all(), self.body["shooting_look_id"],
                                   request.user, "Look", change=True)
        shot = services.shot_create(user=request.user, look=look, shot_type_id=self.body.get("shot_type_id"))
        return self.respond(self.refetch(shot))

    def update(self, request, **kwargs):
        shot = services.shot_update(user=request.user, shot=self.get_object(), data=self.body)
        return self.respond(self.refetch(shot))

    def partial_update(self, request, **kwargs):
        return self.update(request, **kwargs)

    def destroy(self, request, **kwargs):
        """Answers the shot as it was (ShotPublic), as the reference does."""
        shot = self.get_object()
        data = self.get_serializer(shot).data
        services.shot_delete(user=request.user, shot=shot)
        return self.respond(data, None)

    def approve(self, request, **kwargs):
        return self.respond(self.refetch(services.shot_approve(user=request.user, shot=self.get_object())))

    def reject(self, request, **kwargs):
        shot = services.shot_reject(user=request.user, shot=self.get_object(), notes=self.body.get("notes"),
                                    reasons=self.body.get("reasons", ()))
        return self.respond(self.refetch(shot))

    def generate(self, request, **kwargs):
        """Start generations for the shot; answers the shot with the new generation ids."""
        shot = self.get_object()
        generations = services.shot_generations_start(user=request.user, shot=shot,
                                                      count=self.body["generations_count"])
        shot = self.refetch(shot)
        shot.generation_ids = [g.pk for g in generations]
        return self.respond(shot, s.ShotGenerationsPublicSerializer)

    def create_revision(self, request, **kwargs):
        body = self.body
        revision = services.revision_create(
            user=request.user, shot=self.get_object(), shot_status=body["shot_status"], images=body["images"],
            notes=body.get("notes"),
            previous_revision_id=body.get("previous_revision_id", services.FOLLOW_CURRENT),
        )
        return self.respond(integration_selectors.revisions().get(pk=revision.pk), s.ShotRevisionPublicSerializer)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY},
                   description="The current revision's image in the caller's export configuration, as an attachment.")
    def download(self, request, **kwargs):
        data, filename, content_type = integration_services.shot_download(user=request.user, shot=self.get_object())
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = content_disposition(filename)
        response["Content-Length"] = str(len(data))
        return response


def _read_version(shot) -> list:
    shooting = shot.shooting_look.shooting
    return [str(shot.pk), str(shooting.pk), shooting.version, shot.catalog_version]


class GenerationViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Asynchronous generations, to poll: status, progress, error, predictions."""

    not_found = "Generation"
    lookup_url_kwarg = "generation_id"
    queryset = Generation.objects.none()
    lookup_queryset = Generation.objects.all()
    serializing_actions = ("retrieve",)
    serializer_class = s.GenerationPublicSerializer
    filterset_class = GenerationFilterSet
    list_component_name = "GenerationsPublic"
    organization_scoped = True
    organization_actions = ("list",)

    def get_queryset(self):
        return selectors.generations()

    def cancel(self, request, **kwargs):
        generation = generation_service.generation_cancel(user=request.user, generation=self.get_object())
        return self.respond(self.refetch(generation))


class RevisionViewSet(RetrieveMixin, ApiViewSet):
    not_found = "Revision"
    lookup_url_kwarg = "revision_id"
    queryset = ShotRevision.objects.none()
    lookup_queryset = ShotRevision.objects.all()
    serializer_class = s.ShotRevisionPublicSerializer
    query_models = {"upload_url": r.UploadUrlQuery}
    response_serializers = {"destroy": None, "upload_url": s.UploadUrlSerializer}

    def get_queryset(self):
        return integration_selectors.revisions()

    def destroy(self, request, **kwargs):
        services.revision_delete(user=request.user, revision=self.get_object())
        return HttpResponse(status=status.HTTP_204_NO_CONTENT)

    def set_current(self, request, **kwargs):
        revision = services.revision_set_current(user=request.user, revision=self.get_object())
        return self.respond(self.refetch(revision))

    def restore(self, request, **kwargs):
        revision = services.revision_restore(user=request.user, revision=self.get_object())
        return self.respond(self.refetch(revision))

    def upload_url(self, request):
        shot = tenancy.get_visible(Shot.objects.all(), self.query["shot_id"],
                                   request.user, "Shot", change=True)
        target = uploads.upload_target(shot=shot, filename=self.query["filename"],
                                       content_type=self.query["content_type"],
                                       site_url=request.build_absolute_uri("/"))
        return self.respond(target, s.UploadUrlSerializer)


class OrganizationEngineViewSet(ApiViewSet):
    """An organization's image engine override (docs/providers.md): members read it, admins and
    owners set or remove it. The key and the webhook secret are write-only, stored encrypted."""

    not_found = "Organization"
    tenant_scoped = False
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.OrganizationEnginePublicSerializer
    body_models = {"update": r.OrganizationEngineUpdate}
    response_serializers = {"destroy": MessageSerializer}
    operation_ids = {"retrieve": "organizations_engine_retrieve", "update": "organizations_engine_update",
                     "destroy": "organizations_engine_destroy"}

    def organization(self):
        return selectors.organization_of(self.request.user, self.path["organization_id"])

    def retrieve(self, request, **kwargs):
        return self.respond(selectors.organization_engine_view(self.organization()))

    def update(self, request, **kwargs):
        organization = self.organization()
        services.organization_engine_set(user=request.user, organization=organization, data=self.body)
        return self.respond(selectors.organization_engine_view(selectors.organization_of(request.user,
                                                                                          organization.pk)))

    def destroy(self, request, **kwargs):
        services.organization_engine_delete(user=request.user, organization=self.organization())
        return self.respond({"message": "Organization engine removed: the server's engine serves its shootings"},
                            MessageSerializer)


class ExportConfigurationViewSet(ApiViewSet):
    """The caller's export configuration (downloads); the default until they change it."""

    serializer_class = s.ExportConfigurationSerializer
    body_models = {"update": r.ExportConfigurationUpdate}

    def retrieve(self, request):
        return self.respond(services.export_configuration_for(request.user))

    def update(self, request):
        return self.respond(services.export_configuration_update(user=request.user, data=self.body))


@csrf_exempt
@require_http_methods(["PUT"])
def receive_upload(request, token: str):
    """PUT target of a local upload URL: the signed token is the credential, as in S3."""
    try:
        key = uploads.receive_local_upload(token=token, content_type=request.content_type, body=request.body)
    except DomainError as error:
        response = exception_handler(error, {})
        return JsonResponse(response.data, status=response.status_code, safe=False)
    return JsonResponse({"key": key})


@csrf_exempt
@require_POST
def provider_webhook(request, engine):
    """An image engine reports a job (`?generation=&token=` as we gave it in the job's webhook
    URL; Replicate's messages are also signed with Standard Webhooks). 401 for a webhook that does
    not prove its origin; 503 (with Retry-After) asks the engine to send again; 200 otherwise, also
    for a replay or a job already settled, which change nothing (docs/providers.md)."""
    try:
        with acting(Actor(PROVIDER, name=engine)):  # what it settles is the engine's doing (docs/events.md)
            result = generation_service.generation_webhook(
                engine=engine, generation_id=request.GET.get("generation", ""), token=request.GET.get("token", ""),
                body=request.body, headers=request.headers)
    except WebhookRefused as exc:
        return JsonResponse({"detail": str(exc)}, status=401)
    except ProviderError as exc:  # a verified message whose body the engine's protocol does not allow
        return JsonResponse({"detail": f"Invalid webhook body: {exc}"}, status=400)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status_code)
    if result.requeue:
        run_generation.apply_async((request.GET.get("generation"),), countdown=5)
    response = JsonResponse({"detail": result.detail, "changed": result.changed}, status=result.status)
    if result.status == 503:
        response["Retry-After"] = "5"
    return response

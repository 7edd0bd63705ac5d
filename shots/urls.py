from django.urls import re_path

from sartiq.api.routes import COLLECTION, endpoint
from shots.api import views

urlpatterns = [
    endpoint("shots/revisions/upload-url", views.RevisionViewSet, {"get": "upload_url"}),
    endpoint("shots/revisions/{revision_id}", views.RevisionViewSet, {"get": "retrieve", "delete": "destroy"}),
    endpoint("shots/revisions/{revision_id}/set-current", views.RevisionViewSet, {"post": "set_current"}),
    endpoint("shots/revisions/{revision_id}/restore", views.RevisionViewSet, {"post": "restore"}),
    endpoint("shots", views.ShotViewSet, COLLECTION),
    endpoint("shots/{shot_id}", views.ShotViewSet,
             {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}),
    endpoint("shots/{shot_id}/revision", views.ShotViewSet, {"post": "create_revision"}),
    endpoint("shots/{shot_id}/download", views.ShotViewSet, {"get": "download"}),
    endpoint("shots/{shot_id}/approve", views.ShotViewSet, {"post": "approve"}),
    endpoint("shots/{shot_id}/reject", views.ShotViewSet, {"post": "reject"}),
    endpoint("shots/{shot_id}/generate", views.ShotViewSet, {"post": "generate"}),
    endpoint("shots/{shot_id}/history", views.ShotViewSet, {"get": "history"}),
    endpoint("generations", views.GenerationViewSet, {"get": "list"}),
    endpoint("generations/{generation_id}", views.GenerationViewSet, {"get": "retrieve"}),
    endpoint("generations/{generation_id}/cancel", views.GenerationViewSet, {"post": "cancel"}),
    endpoint("organizations/{organization_id}/engine", views.OrganizationEngineViewSet,
             {"get": "retrieve", "put": "update", "delete": "destroy"}),
    endpoint("export-configuration", views.ExportConfigurationViewSet, {"get": "retrieve", "put": "update"}),
    re_path(r"^uploads/(?P<token>[^/]+)/?$", views.receive_upload, name="revision-upload"),
    re_path(r"^providers/(?P<engine>[a-z]+)/webhook/?$", views.provider_webhook, name="provider-webhook"),
]

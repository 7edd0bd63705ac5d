from django.urls import re_path

from integrations.api import views
from sartiq.api.routes import crud, endpoint

urlpatterns = [
    endpoint("shots/revisions/{revision_id}/export", views.ExportViewSet, {"post": "revision"}),
    endpoint("shots/looks/{look_id}/export", views.ExportViewSet, {"post": "look"}),
    *crud("external-integrations", views.ExternalIntegrationViewSet),
    endpoint("external-integrations/{integration_id}/rotate-callback-secret", views.ExternalIntegrationViewSet,
             {"post": "rotate_callback_secret"}),
    *crud("external-product-mappings", views.ExternalProductMappingViewSet),
    endpoint("external-image-pushes", views.ExternalImagePushViewSet, {"get": "list"}),
    endpoint("external-image-pushes/{push_id}", views.ExternalImagePushViewSet, {"get": "retrieve"}),
    endpoint("external-image-pushes/{push_id}/retry", views.ExternalImagePushViewSet, {"post": "retry"}),
    re_path(r"^integrations/(?P<integration_id>[^/]+)/callback/?$", views.confirmation_callback,
            name="integration-callback"),
]

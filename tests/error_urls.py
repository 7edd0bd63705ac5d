"""The project's URLs plus two API routes that fail with an unhandled exception, one through DRF and
one a plain Django view: how the server answers an error nobody handled (tests/test_request_robustness.py)."""
from django.urls import path

from sartiq.api.views import ApiViewSet
from sartiq.urls import urlpatterns as project_urlpatterns


class BrokenViewSet(ApiViewSet):
    permission_classes = []

    def fail(self, request):
        raise RuntimeError("a bug nobody handled")


def broken_view(request):
    raise RuntimeError("a bug nobody handled")


urlpatterns = [
    path("api/v1/test-only/drf-error", BrokenViewSet.as_view({"get": "fail"})),
    path("api/v1/test-only/django-error", broken_view),
    *project_urlpatterns,
]

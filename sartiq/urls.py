from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from sartiq.api.health import health_check
from sartiq.media.views import serve_media

admin.site.site_header = "Sartiq staff"
admin.site.site_title = "Sartiq staff"
admin.site.index_title = "Review and catalog"

api_v1 = [
    path("", include("sartiq.accounts.urls")),
    path("", include("sartiq.media.urls")),
    path("", include("sartiq.catalog.urls")),
    path("", include("shootings.urls")),
    path("", include("outfits.urls")),
    path("", include("integrations.urls")),
    path("", include("shots.urls")),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    re_path(r"^utils/health-check/?$", health_check, name="health-check"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/docs", permanent=False)),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage") and settings.MEDIA_URL.startswith("/"):
    # Local storage: the project serves its own media files, only through signed, expiring URLs
    # (S3 serves its presigned URLs in production).
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media"))

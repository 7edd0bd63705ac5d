from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from integrations import urls as integrations_urls
from outfits import urls as outfits_urls
from sartiq.accounts import urls as accounts_urls
from sartiq.api.health import health_check, readiness
from sartiq.api.routes import by_first_segment
from sartiq.catalog import urls as catalog_urls
from sartiq.events import urls as events_urls
from sartiq.media import urls as media_urls
from sartiq.media.views import serve_media
from sartiq.metrics import metrics_view
from shootings import urls as shootings_urls
from shots import urls as shots_urls

admin.site.site_header = "Sartiq staff"
admin.site.site_title = "Sartiq staff"
admin.site.index_title = "Review and catalog"

api_v1 = by_first_segment([
    *accounts_urls.urlpatterns,
    *media_urls.urlpatterns,
    *catalog_urls.urlpatterns,
    *shootings_urls.urlpatterns,
    *outfits_urls.urlpatterns,
    *integrations_urls.urlpatterns,
    *shots_urls.urlpatterns,
    *events_urls.urlpatterns,
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    # Answered by sartiq.api.health.ProbesMiddleware first; here for their other methods (405).
    re_path(r"^utils/health-check/?$", health_check, name="health-check"),
    re_path(r"^utils/ready/?$", readiness, name="ready"),
])

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("", RedirectView.as_view(url="/docs", permanent=False)),
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage") and settings.MEDIA_URL.startswith("/"):
    # Local storage: the project serves its own media files, only through signed, expiring URLs
    # (S3 serves its presigned URLs in production).
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media"))

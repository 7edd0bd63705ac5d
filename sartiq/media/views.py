"""Serving local media files (local storage only; S3 serves its own presigned URLs)."""
from __future__ import annotations

import time

from django.core.files.storage import default_storage
from django.http import FileResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from sartiq.media.models import MediaResource
from sartiq.media.storage import signature_valid

# Nothing a stored file contains may run as a page of this site.
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


@require_http_methods(["GET", "HEAD"])
def serve_media(request, path: str):
    """A media resource's file, for a URL signed by `SignedFileSystemStorage.url()` and not expired
    (403 otherwise; 404 for a file that is not a media resource). Served with the content type the
    server determined when it stored the file, never sniffed, and as an attachment unless it is an
    image."""
    expires = request.GET.get("e")
    if not signature_valid(path, expires, request.GET.get("s")):
        return JsonResponse({"detail": "Media URL is invalid or expired"}, status=403)
    media = MediaResource.objects.filter(file=path).only("file", "content_type", "resource_type").first()
    if media is None or not default_storage.exists(path):
        return JsonResponse({"detail": "Media resource not found"}, status=404)
    response = FileResponse(default_storage.open(path, "rb"),
                            content_type=media.content_type or "application/octet-stream",
                            as_attachment=not (media.content_type or "").startswith("image/"),
                            filename=path.rsplit("/", 1)[-1])
    if not response.has_header("Content-Disposition"):
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = f"private, max-age={max(0, int(expires) - int(time.time()))}"
    return response

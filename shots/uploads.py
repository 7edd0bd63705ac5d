"""Direct uploads of revision images: the one module that talks to object storage for them.

`upload_target()` answers where the client PUTs the file:
- with S3/MinIO storage, a presigned PUT URL of the bucket (boto3 through django-storages);
- with local storage, a signed, expiring URL of this project (`PUT /api/v1/uploads/{token}`),
  received by `receive_local_upload()`.
The key is `uploads/shots/<shot id>/<random>/<name>`: a revision can only reference an upload of
its own shot. Size and type are checked on receipt (local) and again when a revision registers
the file (both), because a presigned PUT cannot cap the size.
"""
from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from sartiq.errors import InvalidInput, NotFound
from sartiq.media.images import inspect_image
from shots.services import UPLOAD_PREFIX

ALLOWED_CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/avif": "avif"}
SALT = "sartiq.shots.upload"


def _safe_name(filename: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename.rsplit("/", 1)[-1]).strip("-.") or "image"
    stem = stem[:80]
    return stem if stem.lower().endswith(f".{extension}") else f"{stem.rsplit('.', 1)[0]}.{extension}"


def _uses_s3() -> bool:
    return hasattr(default_storage, "bucket_name")


def upload_target(*, request, shot, filename: str, content_type: str) -> dict:
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise InvalidInput(f"content_type must be one of {', '.join(sorted(ALLOWED_CONTENT_TYPES))}",
                           loc=("query", "content_type"), input_=content_type)
    key = f"{UPLOAD_PREFIX}/{shot.pk}/{uuid.uuid4().hex}/{_safe_name(filename, ALLOWED_CONTENT_TYPES[content_type])}"
    expires_in = settings.UPLOAD_URL_EXPIRES_SECONDS
    if _uses_s3():
        client = default_storage.connection.meta.client
        upload_url = client.generate_presigned_url(
            "put_object",
            Params={"Bucket": default_storage.bucket_name, "Key": default_storage._normalize_name(key),
                    "ContentType": content_type},
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
    else:
        token = signing.dumps({"key": key, "content_type": content_type, "shot": str(shot.pk)}, salt=SALT)
        upload_url = request.build_absolute_uri(reverse("revision-upload", kwargs={"token": token}))
    return {
        "upload_url": upload_url,
        "method": "PUT",
        "headers": {"Content-Type": content_type},
        "key": key,
        "image_url": default_storage.url(key),
        "expires_in": expires_in,
        "max_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
    }


def receive_local_upload(*, token: str, content_type: str | None, body: bytes) -> str:
    """Store a file PUT to a local upload URL; returns its key. Refuses expired or tampered
    tokens (404, as an unknown URL), other content types and non-images (422)."""
    try:
        claim = signing.loads(token, salt=SALT, max_age=settings.UPLOAD_URL_EXPIRES_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        raise NotFound("Upload URL", message="Upload URL not found or expired")
    if (content_type or "").split(";")[0].strip() != claim["content_type"]:
        raise InvalidInput(f"Content-Type must be {claim['content_type']}", loc=("header", "content-type"))
    if len(body) > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", loc=("body",))
    inspect_image(body, loc=("body",))
    if default_storage.exists(claim["key"]):
        default_storage.delete(claim["key"])
    return default_storage.save(claim["key"], ContentFile(body))

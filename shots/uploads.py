"""Direct uploads of revision images: the one module that talks to object storage for them.

`upload_target()` records a `DirectUpload` and answers where the client PUTs the file:
- with S3/MinIO storage, a presigned PUT URL of the bucket (boto3 through django-storages);
- with local storage, a signed, expiring URL of this project (`PUT /api/v1/uploads/{token}`),
  received by `receive_local_upload()`, which takes one PUT and never overwrites a file.
The key is `uploads/shots/<shot id>/<random>/<name>`: a revision can only reference an upload of
its own shot. Size and type are checked on receipt (local) and again when a revision registers
the file (both), because a presigned PUT cannot cap the size.

Registration (`upload_register()`) is what makes an upload single-use even on S3, whose presigned
URLs can be used any number of times until they expire: the bytes are read once, validated,
hashed and stored as a media resource under a fresh key that no upload URL reaches, the upload
object is removed and the upload is marked registered. A later PUT to the same URL only writes
an orphan that nothing references, and that cannot be registered.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sartiq.errors import Conflict, InvalidInput, NotFound
from sartiq.media.images import inspect_image
from sartiq.media.models import MediaResource
from sartiq.media.services import media_create_from_bytes
from shots.models import DirectUpload

UPLOAD_PREFIX = "uploads/shots"
ALLOWED_CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/avif": "avif"}
SALT = "sartiq.shots.upload"


def _safe_name(filename: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", filename.rsplit("/", 1)[-1]).strip("-.") or "image"
    stem = stem[:80]
    return stem if stem.lower().endswith(f".{extension}") else f"{stem.rsplit('.', 1)[0]}.{extension}"


def _uses_s3() -> bool:
    return hasattr(default_storage, "bucket_name")


def upload_target(*, shot, filename: str, content_type: str, site_url: str) -> dict:
    """`site_url`: where this server is reached (scheme and host), for a local upload URL."""
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise InvalidInput(f"content_type must be one of {', '.join(sorted(ALLOWED_CONTENT_TYPES))}",
                           ("content_type",), source="query", input_=content_type)
    key = f"{UPLOAD_PREFIX}/{shot.pk}/{uuid.uuid4().hex}/{_safe_name(filename, ALLOWED_CONTENT_TYPES[content_type])}"
    expires_in = settings.UPLOAD_URL_EXPIRES_SECONDS
    upload = DirectUpload.objects.create(shot=shot, key=key, content_type=content_type,
                                         expires_at=timezone.now() + timedelta(seconds=expires_in))
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
        token = signing.dumps({"upload": str(upload.pk)}, salt=SALT)
        upload_url = urljoin(site_url, reverse("revision-upload", kwargs={"token": token}))
    return {
        "upload_url": upload_url,
        "method": "PUT",
        "headers": {"Content-Type": content_type},
        "key": key,
        "image_url": default_storage.url(key),
        "expires_in": expires_in,
        "max_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
    }


@transaction.atomic
def receive_local_upload(*, token: str, content_type: str | None, body: bytes) -> str:
    """Store a file PUT to a local upload URL; returns its key. Refuses expired or tampered
    tokens (404, as an unknown URL), other content types and non-images (422), and any second PUT
    (409): the file at the key is never replaced."""
    try:
        claim = signing.loads(token, salt=SALT, max_age=settings.UPLOAD_URL_EXPIRES_SECONDS)
        upload = DirectUpload.objects.select_for_update().filter(pk=uuid.UUID(claim["upload"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):  # BadSignature includes SignatureExpired
        upload = None
    if upload is None:
        raise NotFound("Upload URL", message="Upload URL not found or expired")
    if upload.received_at is not None or upload.registered_at is not None:
        raise Conflict("Upload URL was already used")
    if (content_type or "").split(";")[0].strip() != upload.content_type:
        raise InvalidInput(f"Content-Type must be {upload.content_type}", ("content-type",), source="header")
    if len(body) > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes")
    inspect_image(body, ())
    if default_storage.exists(upload.key):
        raise Conflict("Upload URL was already used")
    name = default_storage.save(upload.key, ContentFile(body))
    if name != upload.key:  # the storage chose another name: someone wrote the key meanwhile
        default_storage.delete(name)
        raise Conflict("Upload URL was already used")
    upload.received_at = timezone.now()
    upload.save(update_fields=["received_at", "updated_at"])
    return name


def check_pending(*, shot, key: str, field: tuple) -> None:
    """`key` must be a direct upload of this shot not registered yet (422 otherwise)."""
    upload = DirectUpload.objects.filter(key=key).only("shot_id", "registered_at").first()
    if upload is None or upload.shot_id != shot.pk:
        if key.startswith(f"{UPLOAD_PREFIX}/"):
            raise InvalidInput(f"{field[-1]} was not uploaded for this shot", field)
        raise InvalidInput(f"{field[-1]} points to the project's storage but names no media resource", field)
    if upload.registered_at is not None:
        raise InvalidInput(f"{field[-1]} was already registered: an upload URL is used once", field)


def upload_register(*, shot, key: str, owner, organization_id, field: tuple, written: list) -> MediaResource:
    """Turn a direct upload of this shot into a media resource: the bytes are read once,
    validated and hashed, and stored under the media's own fresh key; the upload object is removed
    once the transaction commits, and the upload cannot be registered again. `written` collects
    the files to remove if the transaction does not commit."""
    upload = DirectUpload.objects.select_for_update().filter(key=key, shot=shot).first()
    if upload is None or upload.registered_at is not None:  # checked before; a concurrent request took it
        raise InvalidInput(f"{field[-1]} was already registered: an upload URL is used once", field)
    if not default_storage.exists(key):
        raise InvalidInput("The uploaded file was not found in storage", field)
    if default_storage.size(key) > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", field)
    with default_storage.open(key, "rb") as handle:
        data = handle.read(settings.MEDIA_MAX_UPLOAD_BYTES + 1)
    if len(data) > settings.MEDIA_MAX_UPLOAD_BYTES:  # grew between the two looks
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", field)
    media = media_create_from_bytes(owner=owner, organization_id=organization_id, data=data, field=field)
    written.append(media.file.name)
    upload.registered_at = timezone.now()
    upload.save(update_fields=["registered_at", "updated_at"])
    transaction.on_commit(lambda: default_storage.delete(key))
    return media


def uploads_sweep() -> int:
    """Remove uploads whose URL expired without a registration, with their files (the files of a
    PUT whose revision never came). Returns how many."""
    expired = list(DirectUpload.objects.filter(registered_at__isnull=True,
                                               expires_at__lt=timezone.now() - timedelta(hours=1))[:1000])
    for upload in expired:
        default_storage.delete(upload.key)
    DirectUpload.objects.filter(pk__in=[u.pk for u in expired]).delete()
    return len(expired)

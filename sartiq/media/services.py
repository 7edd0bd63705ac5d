"""Storing files as media resources."""
from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.errors import InvalidInput
from sartiq.media.choices import MediaResourceType
from sartiq.media.images import inspect_image
from sartiq.media.models import MediaResource

VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}


def media_create_from_bytes(
    *,
    owner,
    data: bytes,
    organization_id: uuid.UUID | None = None,
    content_type: str | None = None,
    alt_text: str | None = None,
    caption: str | None = None,
    protected: bool = False,
    loc: tuple = ("body", "file"),
) -> MediaResource:
    """Validate and store bytes; images are decoded to prove they are images and measured."""
    if len(data) > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", loc=loc)
    if not data:
        raise InvalidInput("File is empty", loc=loc)
    media = MediaResource(
        owner=owner,
        organization_id=organization_id,
        content_hash=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        alt_text=alt_text,
        caption=caption,
        protected=protected,
    )
    if content_type in VIDEO_TYPES:
        media.resource_type = MediaResourceType.VIDEO
        media.extension = VIDEO_TYPES[content_type]
        media.content_type = content_type
    else:
        info = inspect_image(data, loc=loc)
        media.resource_type = MediaResourceType.IMAGE
        media.extension = info.extension
        media.content_type = info.content_type
        media.width, media.height = info.width, info.height
        media.color_profile, media.dominant_color = info.color_profile, info.dominant_color
    media.file.save(f"{media.id}.{media.extension}", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            media.save()
    except Exception:
        media.file.storage.delete(media.file.name)
        raise
    return media


def media_create(*, user, organization_id=None, data: dict) -> MediaResource:
    """Store an uploaded file (`data["file"]`) for the user or one of their organizations."""
    tenancy.require_member(user, organization_id)
    upload = data["file"]
    return media_create_from_bytes(
        owner=user,
        organization_id=organization_id,
        data=upload.read(settings.MEDIA_MAX_UPLOAD_BYTES + 1),
        content_type=getattr(upload, "content_type", None),
        alt_text=data.get("alt_text"),
        caption=data.get("caption"),
        protected=data.get("protected", False),
    )


@transaction.atomic
def media_update(*, user, instance: MediaResource, data: dict) -> MediaResource:
    for field in ("alt_text", "caption", "protected"):
        if field in data:
            setattr(instance, field, data[field])
    instance.save()
    return instance


def media_delete(*, user, instance: MediaResource) -> None:
    """Delete the row now and the file once the transaction commits."""
    name, storage = instance.file.name, instance.file.storage
    with transaction.atomic():
        instance.delete()
        transaction.on_commit(lambda: storage.delete(name))


def media_release(*, media) -> None:
    """Delete unprotected media rows now and their files once the transaction commits."""
    doomed = list(media.filter(protected=False).values_list("pk", "file"))
    if not doomed:
        return
    MediaResource.objects.filter(pk__in=[pk for pk, _ in doomed]).delete()
    names = [name for _, name in doomed if name]
    storage = MediaResource._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def storage_key_of(url: str) -> str | None:
    """The storage key of a URL of the project's own storage, else None (such a URL is never fetched).

    Works for local files (`/media/<key>`) and S3/MinIO (`https://host/bucket/<key>?X-Amz-...`):
    the storage tells where its URLs start.
    """
    from django.core.files.storage import default_storage

    probe = "__sartiq_probe__"
    prefix = default_storage.url(probe).split(probe, 1)[0]
    if not url or not url.split("?", 1)[0].startswith(prefix):
        return None
    key = url.split("?", 1)[0][len(prefix):]
    if not key or key.startswith("/") or ".." in key.split("/"):
        return None
    return key


def media_register_stored(*, owner, organization_id, key: str, loc: tuple) -> MediaResource:
    """Register a file already in the project's storage (a direct upload) as a media resource,
    after checking that it is a sound image within the size cap."""
    storage = MediaResource._meta.get_field("file").storage
    if not storage.exists(key):
        raise InvalidInput("The uploaded file was not found in storage", loc=loc)
    if storage.size(key) > settings.MEDIA_MAX_UPLOAD_BYTES:
        storage.delete(key)
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", loc=loc)
    with storage.open(key, "rb") as handle:
        data = handle.read()
    info = inspect_image(data, loc=loc)
    media = MediaResource(owner=owner, organization_id=organization_id, content_hash=hashlib.sha256(data).hexdigest(),
                          file_size=len(data), resource_type=MediaResourceType.IMAGE, extension=info.extension,
                          content_type=info.content_type, width=info.width, height=info.height,
                          color_profile=info.color_profile, dominant_color=info.dominant_color)
    media.file.name = key
    media.save()
    return media

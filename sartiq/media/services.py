"""Storing files as media resources."""
from __future__ import annotations

import hashlib
import uuid
from urllib.parse import unquote

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.errors import Conflict, InvalidInput
from sartiq.media.choices import MediaResourceType
from sartiq.media.images import inspect_image
from sartiq.media.models import MediaResource
from sartiq.services import model_update

# Video containers accepted, recognized from their bytes (ISO-BMFF `ftyp` brands, EBML doctype).
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}


def _sniff_video(data: bytes) -> str | None:
    """The content type of an accepted video container, from its first bytes; else None."""
    kind = filetype.video_match(data[:8192])
    return kind.mime if kind is not None and kind.mime in VIDEO_TYPES else None


def media_create_from_bytes(
    *,
    owner,
    data: bytes,
    organization_id: uuid.UUID | None = None,
    content_type: str | None = None,
    alt_text: str | None = None,
    caption: str | None = None,
    protected: bool = False,
    field: tuple = ("file",),
    allow_video: bool = False,
) -> MediaResource:
    """Validate and store bytes under a fresh key. The type is the server's: images are decoded
    (bounded from their header) and measured; videos (where `allow_video`) must be an MP4,
    QuickTime or WebM container. `content_type` (the client's claim) only chooses which error to
    report."""
    if len(data) > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise InvalidInput(f"File is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes", field)
    if not data:
        raise InvalidInput("File is empty", field)
    media = MediaResource(
        owner=owner,
        organization_id=organization_id,
        content_hash=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        alt_text=alt_text,
        caption=caption,
        protected=protected,
    )
    video_type = _sniff_video(data) if allow_video else None
    if allow_video and video_type is None and (content_type or "").startswith("video/"):
        raise InvalidInput("File is not a valid video (MP4, QuickTime or WebM)", field)
    if video_type is not None:
        media.resource_type = MediaResourceType.VIDEO
        media.extension = VIDEO_TYPES[video_type]
        media.content_type = video_type
    else:
        info = inspect_image(data, field)
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
        allow_video=True,
    )


@transaction.atomic
def media_update(*, user, instance: MediaResource, data: dict) -> MediaResource:
    model_update(instance, data, ("alt_text", "caption", "protected"))
    instance.save()
    return instance


def media_referenced(media_ids, *, ignoring: dict | None = None) -> set:
    """The ids among `media_ids` that some row still references, through any foreign key or
    many-to-many to MediaResource (found generically, so a new reference cannot be forgotten).
    `ignoring` maps a model to a queryset of its rows whose references do not count."""
    media_ids = set(media_ids)
    ignoring = ignoring or {}
    referenced: set = set()
    for relation in MediaResource._meta.get_fields(include_hidden=True):
        # Reverse relations only; a many-to-many is covered by its through table's foreign key.
        if relation.concrete or not relation.auto_created or relation.many_to_many:
            continue
        remaining = media_ids - referenced
        if not remaining:
            break
        field = relation.field
        rows = field.model._base_manager.filter(**{f"{field.attname}__in": remaining})
        if field.model in ignoring:
            rows = rows.exclude(pk__in=ignoring[field.model].values("pk"))
        referenced |= set(rows.values_list(field.attname, flat=True).distinct())
    return referenced


def media_delete(*, user, instance: MediaResource) -> None:
    """Delete the row now and the file once the transaction commits; 409 while anything uses it."""
    name, storage = instance.file.name, instance.file.storage
    with transaction.atomic():
        MediaResource.objects.select_for_update().filter(pk=instance.pk).first()
        if media_referenced([instance.pk]):
            raise Conflict("Media resource is in use")
        instance.delete()
        transaction.on_commit(lambda: storage.delete(name))


def media_release(*, media_ids) -> None:
    """After the rows using them were deleted: delete the media among `media_ids` that are not
    protected and that nothing references any more; their files go once the transaction commits."""
    candidates = set(MediaResource.objects.filter(pk__in=set(media_ids) - {None}, protected=False)
                     .values_list("pk", flat=True))
    doomed = list(MediaResource.objects.filter(pk__in=candidates - media_referenced(candidates))
                  .values_list("pk", "file"))
    if not doomed:
        return
    MediaResource.objects.filter(pk__in=[pk for pk, _ in doomed]).delete()
    names = [name for _, name in doomed if name]
    storage = MediaResource._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def _url_prefix(storage) -> str:
    """Where the storage's URLs start (cached on the storage object)."""
    prefix = getattr(storage, "_sartiq_url_prefix", None)
    if prefix is None:
        probe = "__sartiq_probe__"
        prefix = storage.url(probe).split(probe, 1)[0]
        storage._sartiq_url_prefix = prefix
    return prefix


def storage_url_prefix() -> str:
    """Where URLs of the project's storage start: a URL that does not start with it is no storage
    URL (`storage_key_of` is None), which a reader of many URLs can tell without parsing them."""
    return _url_prefix(default_storage)


def storage_key_of(url: str | None) -> str | None:
    """The storage key of a URL of the project's own storage, else None (such a URL is never fetched).

    Works for local files (`/media/<key>?e=...&s=...`) and S3/MinIO (`https://host/bucket/<key>?X-Amz-...`):
    the storage tells where its URLs start; signatures and expiry are ignored here (the key only
    names a file; what may use it is decided by the media resource it belongs to).
    """
    if not url:
        return None
    prefix = _url_prefix(default_storage)
    path = url.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith(prefix):
        return None
    key = unquote(path[len(prefix):])
    if not key or key.startswith("/") or "\\" in key or ".." in key.split("/"):
        return None
    return key

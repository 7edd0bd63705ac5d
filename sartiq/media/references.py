"""Media references: how inputs name stored files, and who may read them.

Inputs name a stored file either by media id (`cover_image_media_id`, `media_resource_id`, ...)
or by a URL of the project's storage (`image_url`, `cover_image_url`, ...). `MediaReferences`
resolves both to the `MediaResource` and checks it in one way, against the audience of the
resource being written (contract §3, `tenancy.check_usable`): 404 unknown id, 403 not visible,
400 of another organization; a storage URL that names no media resource is a 422. A URL outside
the storage is no reference at all: it is stored as given and never fetched.

Readers of stored bytes (generation inputs, downloads, pushes) go through `media_bytes()`: only a
media resource, never a key taken from a URL, and only one the reading shooting's audience (or the
resource that references it) shares.
"""
from __future__ import annotations

import uuid
from typing import Iterable

from django.core.files.storage import default_storage

from sartiq.accounts import tenancy
from sartiq.errors import InvalidInput
from sartiq.media.models import MediaResource
from sartiq.media.services import storage_key_of

THING = "Media resource"


def upload_to(organization_id) -> str:
    """How a personal file becomes the organization's: uploaded again, to it."""
    return (f"upload the file to the organization (POST /api/v1/media-resources/?organization_id={organization_id}) "
            f"and use the new media resource")


def _name(field: tuple) -> str:
    """The name of the field an error is about: the last name in its path (not a list index)."""
    return next(part for part in reversed(field) if isinstance(part, str))


class MediaReferences:
    """The media references of one input, for a target of `organization_id` (None: personal)
    written by `user`."""

    def __init__(self, user, organization_id: uuid.UUID | None):
        self.user = user
        self.organization_id = organization_id

    def by_id(self, pk) -> MediaResource:
        return tenancy.get_usable(MediaResource.objects, pk, self.user, self.organization_id, THING, upload_to)

    def by_ids(self, pks: Iterable) -> list[MediaResource]:
        return tenancy.get_many_usable(MediaResource.objects, pks, self.user, self.organization_id, THING, upload_to)

    def by_url(self, url: str | None, field: tuple) -> MediaResource | None:
        """The media resource a URL of the project's storage names (checked); None for an
        outside URL. A storage URL naming no media resource is a 422."""
        key = storage_key_of(url)
        if key is None:
            return None
        media = self.by_key(key, field)
        if media is None:
            raise InvalidInput(f"{_name(field)} points to the project's storage but names no media resource", field)
        return media

    def by_key(self, key: str, field: tuple) -> MediaResource | None:
        """The media resource stored under `key` (checked), or None when there is none."""
        media = MediaResource.objects.filter(file=key).first()
        if media is not None:
            tenancy.check_usable(self.user, media, self.organization_id, THING, upload_to)
        return media

    def by_url_or_id(self, url: str | None, media_id, *, field: tuple, id_key: str) -> MediaResource | None:
        """An image given by URL and/or media id (`id_key`): a storage URL stands for its media
        resource, and must name the same one as the id when both are given."""
        media = self.by_url(url, field) if url else None
        if media_id is not None:
            if media is not None and media.pk != media_id:
                raise InvalidInput(f"{_name(field)} and {id_key} name different media resources", field)
            media = media or self.by_id(media_id)
        return media

    @staticmethod
    def outside_only(url: str | None, field: tuple, hint: str | None = None) -> None:
        """A URL field that cannot hold a stored file (it has no media twin): storage URLs are refused."""
        if storage_key_of(url) is not None:
            where = f"give the media resource id in {hint}" if hint else "only outside URLs are stored here"
            raise InvalidInput(f"{_name(field)} cannot point to the project's storage: {where}", field)


def shown_url(url: str | None, media: MediaResource | None) -> str | None:
    """The URL to show for an image given by URL and/or stored media: an outside URL as given,
    else the stored file's current (signed) URL. A URL of our storage is never shown as stored:
    it expires, and the media resource is what the row holds."""
    if url and storage_key_of(url) is None:
        return url
    return media.url if media is not None else None


def _same_audience(media: MediaResource, tenant) -> bool:
    if tenant.organization_id is not None:
        return media.organization_id == tenant.organization_id
    return media.organization_id is None and media.owner_id == tenant.owner_id


def media_readable(media: MediaResource, audience, via=None) -> bool:
    """May `audience` (a shooting) read `media`, referenced by `via` (a product, a subject, a set
    design: a resource the shooting may use)? The media must share the audience of the shooting or
    of `via` (whose writer was checked against it), or have been stored by a superuser."""
    if _same_audience(media, audience) or (via is not None and _same_audience(media, tenancy.tenant_of(via))):
        return True
    return bool(media.owner.is_superuser)


def media_bytes(media: MediaResource | None, *, audience, via=None) -> bytes | None:
    """The stored bytes of `media` when `audience` may read them (see `media_readable`), else None."""
    if media is None or not media.file or not media_readable(media, audience, via):
        return None
    if not default_storage.exists(media.file.name):
        return None
    with default_storage.open(media.file.name, "rb") as handle:
        return handle.read()

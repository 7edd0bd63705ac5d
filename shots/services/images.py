"""The images of a revision request: resolved and checked first (decoded data, storage URLs,
predictions of the shot), then written; and the release of stored images after a deletion."""
from __future__ import annotations

import base64
import binascii
from contextlib import contextmanager
from dataclasses import dataclass

from sartiq.errors import InvalidInput
from sartiq.media.models import MediaResource
from sartiq.media.references import MediaReferences
from sartiq.media.services import media_create_from_bytes, media_release, storage_key_of
from shots import uploads
from shots.choices import RevisionSource
from shots.models import Prediction, ShotRevisionImage


@dataclass
class RequestImage:
    """One image of a revision request, resolved and checked but not yet written."""

    index: int
    data: dict
    media: MediaResource | None = None
    sketch_media: MediaResource | None = None
    image_bytes: bytes | None = None
    sketch_bytes: bytes | None = None
    image_upload: str | None = None  # key of a direct upload of this shot, registered by _store
    sketch_upload: str | None = None


def _decode(value: str, field: tuple) -> bytes:
    """Base64 image data, raw or as a data URL."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("Invalid base64 image data", field)
    if not data:
        raise InvalidInput("Empty image data", field)
    return data


def _stored(references: MediaReferences, shot, url: str, field: tuple) -> tuple[MediaResource | None, str | None]:
    """An image URL must be in the project's storage: a media resource the shot's audience may use
    (checked as every media reference is), or a direct upload made for this shot and not yet
    registered. Anything else is refused, never fetched. Returns (media, upload key)."""
    key = storage_key_of(url)
    if key is None:
        raise InvalidInput(f"{field[-1]} must point to the project's storage (use the upload URL flow)", field)
    media = references.by_key(key, field)
    if media is not None:
        return media, None
    uploads.check_pending(shot=shot, key=key, field=field)
    return None, key


def resolve_image(references: MediaReferences, shot, index: int, data: dict) -> RequestImage:
    field = ("images", index)
    image = RequestImage(index, data)
    source = data.get("source_type") or RevisionSource.UPLOAD
    if data.get("image_data"):
        image.image_bytes = _decode(data["image_data"], (*field, "image_data"))
    elif data.get("image_url"):
        image.media, image.image_upload = _stored(references, shot, data["image_url"], (*field, "image_url"))
    elif source == RevisionSource.PREDICTION and data.get("prediction_id"):
        # A prediction of this shot's own generations: its media is the shot's.
        prediction = Prediction.objects.select_related("media", "generation").filter(pk=data["prediction_id"]).first()
        if prediction is None or prediction.generation.shot_id != shot.pk:
            raise InvalidInput("prediction_id is not a prediction of this shot", (*field, "prediction_id"))
        image.media = prediction.media
    else:
        raise InvalidInput("Each image needs image_data, image_url or (for a prediction) prediction_id", field)
    if data.get("sketch_image_data"):
        image.sketch_bytes = _decode(data["sketch_image_data"], (*field, "sketch_image_data"))
    elif data.get("sketch_image_url"):
        image.sketch_media, image.sketch_upload = _stored(references, shot, data["sketch_image_url"],
                                                          (*field, "sketch_image_url"))
    return image


def store_image(user, org, shot, image: RequestImage, written: list) -> None:
    """Write the image's files (decoded data, registered uploads, each under a fresh key of its
    own media resource); `written` collects what to remove if the transaction does not commit."""
    field = ("images", image.index)
    if image.image_bytes is not None:
        image.media = media_create_from_bytes(owner=user, organization_id=org, data=image.image_bytes,
                                              field=(*field, "image_data"))
        written.append(image.media.file.name)
    elif image.image_upload is not None:
        image.media = uploads.upload_register(shot=shot, key=image.image_upload, owner=user, organization_id=org,
                                              field=(*field, "image_url"), written=written)
    if image.sketch_bytes is not None:
        image.sketch_media = media_create_from_bytes(owner=user, organization_id=org, data=image.sketch_bytes,
                                                     field=(*field, "sketch_image_data"))
        written.append(image.sketch_media.file.name)
    elif image.sketch_upload is not None:
        image.sketch_media = uploads.upload_register(shot=shot, key=image.sketch_upload, owner=user,
                                                     organization_id=org, field=(*field, "sketch_image_url"),
                                                     written=written)


@contextmanager
def media_released_after(*, revisions=None, shots=None):
    """Around the deletion of revisions (or of whole shots): collect the media their images (and the
    shots' predictions) use, and after the block release those nothing references any more
    (`media_release` checks every reference to a media resource, and keeps protected ones)."""
    media_ids = set()
    if revisions is not None:
        images = ShotRevisionImage.objects.filter(shot_revision__in=revisions)
    else:
        images = ShotRevisionImage.objects.filter(shot_revision__shot__in=shots)
        media_ids |= set(Prediction.objects.filter(generation__shot__in=shots, media__isnull=False)
                         .values_list("media_id", flat=True))
    for media_id, sketch_id in images.values_list("image_media_id", "sketch_image_media_id"):
        media_ids |= {media_id, sketch_id}
    yield
    media_release(media_ids=media_ids - {None})

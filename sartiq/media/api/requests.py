"""Media request shapes: the upload and its update, and `MediaInput`, an image given by reference
in other bodies (a look's outfit reference images)."""
import uuid
from typing import Annotated, Any, Optional, Union

from pydantic import Field, PlainValidator, WithJsonSchema, WrapValidator, model_validator

from sartiq.api.requests import Float, PositiveInt32, RequestModel, text
from sartiq.media.models import MediaResource


def _uploaded_file(value: Any) -> Any:
    """An uploaded file with a name and content (DRF's FileField wording, kept by the API)."""
    name, size = getattr(value, "name", None), getattr(value, "size", None)
    if name is None or size is None:
        raise ValueError("The submitted data was not a file. Check the encoding type on the form.")
    if not name:
        raise ValueError("No filename could be determined.")
    if not size:
        raise ValueError("The submitted file is empty.")
    return value


# A file picker in the docs (`format: binary`), not the URL it is read back as.
UploadedFile = Annotated[Any, PlainValidator(_uploaded_file), WithJsonSchema({"type": "string", "format": "binary"})]


class MediaResourceCreate(RequestModel):
    db_model = MediaResource

    file: UploadedFile
    alt_text: Optional[text(500)] = None
    caption: Optional[text(5000)] = None
    protected: bool = False


class MediaResourceUpdate(RequestModel):
    db_model = MediaResource

    alt_text: Optional[text(500)] = None
    caption: Optional[text(5000)] = None
    protected: bool = None


class MediaInput(RequestModel):
    """An image by reference: a URL or a media resource of the project (one is required)."""

    db_model = MediaResource
    # Taken as given and not stored (the media resource is, its file and metadata measured).
    unbound = ("url", "media_resource_id")

    url: Optional[text(2000)] = None
    media_resource_id: Optional[uuid.UUID] = None
    alt_text: Optional[text(500)] = None
    caption: Optional[text(5000)] = None
    color_profile: Optional[text(64)] = None
    dominant_color: Optional[text(7)] = None
    duration: Optional[Float] = None
    width: Optional[PositiveInt32] = None
    height: Optional[PositiveInt32] = None
    protected: bool = False

    @model_validator(mode="after")
    def _url_or_media(self):
        if not self.url and not self.media_resource_id:
            raise ValueError("Give url or media_resource_id")
        return self


NOT_A_REFERENCE = "Input should be a valid string or a MediaInput object"


def _reference_image(value: Any, handler) -> Any:
    """A URL string becomes `{"url": ...}`; an object is a MediaInput (its errors located inside it)."""
    if isinstance(value, str):
        if not value or len(value) > 2000:
            raise ValueError(NOT_A_REFERENCE)
        return {"url": value}
    if isinstance(value, dict):
        return MediaInput.model_validate(value, from_attributes=True)
    raise ValueError(NOT_A_REFERENCE)


# `str | MediaInput`, as the reference declares an outfit's reference images.
ReferenceImage = Annotated[Union[str, MediaInput], WrapValidator(_reference_image)]
ReferenceImages = Optional[Annotated[list[ReferenceImage], Field(max_length=50)]]

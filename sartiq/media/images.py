"""Reading images safely: every image the project decodes is opened here.

`open_bounded()` reads only the header and refuses, before a single pixel is decoded, anything
that is not an accepted still format (JPEG, PNG, WebP, AVIF) or is wider, taller or larger than
the settings allow (`MEDIA_MAX_DIMENSION`, `MEDIA_MAX_PIXELS`): a 600 KiB PNG that claims
13000x13000 pixels would otherwise take more than a gigabyte to decode. Pillow's own
decompression-bomb limit is kept at the same number (see `MediaConfig.ready`), and only the
plugins of the accepted formats are ever asked to parse the bytes.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageCms, UnidentifiedImageError

from sartiq.errors import InvalidInput

# Accepted formats, as Pillow names them, and the extension they are stored with. MPO is how
# Pillow reads many cameras' JPEGs (a JPEG with extra pictures); only its first picture is used.
FORMAT_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
OPENERS = ["JPEG", "PNG", "WEBP", "AVIF"]  # the Pillow plugins allowed to parse input

# Images over Pillow's limit only warn; ours is checked explicitly right after, so the warning is noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

# Errors raised by decoders on broken or hostile data.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


class ImageRefused(ValueError):
    """The bytes are not an image the project will decode; the message says why."""


class ImageTooLarge(ImageRefused):
    pass


def sync_pillow_limit() -> None:
    """Pillow's decompression-bomb limit, the same as ours."""
    Image.MAX_IMAGE_PIXELS = settings.MEDIA_MAX_PIXELS


def _max_pixels() -> int:
    # The lower of the setting and Pillow's own limit (a test or an operator may lower either).
    return min(settings.MEDIA_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or settings.MEDIA_MAX_PIXELS)


def open_bounded(data: bytes) -> Image.Image:
    """Open an image from its header only, after checking format, frames, dimensions and pixels.

    Use as `with open_bounded(data) as image: image.load()`. Raises `ImageTooLarge` or
    `ImageRefused`; decoding itself (`load()`) may still raise one of `DECODE_ERRORS`.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=OPENERS)
    except Image.DecompressionBombError:
        raise ImageTooLarge("Image is too large")
    except DECODE_ERRORS:
        raise ImageRefused("File is not a valid image")
    try:
        width, height = image.size
        if image.format not in FORMAT_EXTENSIONS:
            raise ImageRefused(f"Unsupported image format {image.format or 'unknown'}")
        if width < 1 or height < 1:
            raise ImageRefused("File is not a valid image")
        if (max(width, height) > settings.MEDIA_MAX_DIMENSION or width * height > _max_pixels()):
            raise ImageTooLarge("Image is too large")
        if image.format != "MPO" and getattr(image, "n_frames", 1) != 1:
            raise ImageRefused("Animated images are not accepted")
    except ImageRefused:
        image.close()
        raise
    except DECODE_ERRORS:
        image.close()
        raise ImageRefused("File is not a valid image")
    return image


@dataclass
class ImageInfo:
    width: int
    height: int
    extension: str
    content_type: str
    color_profile: str | None
    dominant_color: str | None


def inspect_image(data: bytes, field: tuple = ("file",)) -> ImageInfo:
    """Identify and fully decode an image; 422 for anything that is not a sound, bounded image."""
    try:
        with open_bounded(data) as probe:
            probe.verify()
        with open_bounded(data) as image:
            image.load()
            fmt = image.format
            profile = _profile_name(image)
            dominant = _dominant_color(image)
            width, height = image.size
    except ImageRefused as refused:
        raise InvalidInput(str(refused), field)
    except DECODE_ERRORS:
        raise InvalidInput("File is not a valid image", field)
    extension = FORMAT_EXTENSIONS[fmt]
    return ImageInfo(width, height, extension, CONTENT_TYPES[extension], profile, dominant)


def _profile_name(image: Image.Image) -> str | None:
    icc = image.info.get("icc_profile")
    if not icc:
        return image.mode
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or image.mode
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image.mode


def _dominant_color(image: Image.Image) -> str | None:
    # Downscale first so that the colour conversion touches a few thousand pixels, not millions.
    small = image.resize((32, 32), Image.Resampling.BOX) if image.mode in ("RGB", "RGBA", "L", "LA") else image.resize((32, 32))
    r, g, b = small.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return f"#{r:02x}{g:02x}{b:02x}"

"""Reading images safely: Pillow with its decompression-bomb limit on, errors as domain errors."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, UnidentifiedImageError

from sartiq.errors import InvalidInput

# Pillow refuses images over this many pixels (about 16k x 10k): a 'bomb' never reaches memory.
Image.MAX_IMAGE_PIXELS = 178_956_970

FORMAT_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif", "GIF": "gif", "TIFF": "tiff", "MPO": "jpg"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif",
                 "gif": "image/gif", "tiff": "image/tiff"}


@dataclass
class ImageInfo:
    width: int
    height: int
    extension: str
    content_type: str
    color_profile: str | None
    dominant_color: str | None


def inspect_image(data: bytes, loc: tuple = ("body", "file")) -> ImageInfo:
    """Identify and fully decode an image; 422 for anything that is not a sound, bounded image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                fmt = image.format or ""
                profile = _profile_name(image)
                dominant = _dominant_color(image)
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("Image is too large", loc=loc)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput("File is not a valid image", loc=loc)
    extension = FORMAT_EXTENSIONS.get(fmt)
    if extension is None:
        raise InvalidInput(f"Unsupported image format {fmt or 'unknown'}", loc=loc)
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

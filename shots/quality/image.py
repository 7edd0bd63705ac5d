"""An image prepared once for all the checks, and the dominant colours of a product's packshot.

Colour work runs on the picture scaled to `COLOUR_SIDE` pixels on its longest side (tens of
thousands of pixels: CIELAB conversion and ΔE of every pixel stay in milliseconds), blur on
`SHARPNESS_SIDE`; the size check reads the dimensions the file has. Conversions and distances are
scikit-image's (`rgb2lab`, `deltaE_ciede2000`), clustering SciPy's `kmeans2`: no hand-written colour
science.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import imagehash
import numpy as np
from PIL import Image
from scipy.cluster.vq import kmeans2
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

from sartiq.media.images import DECODE_ERRORS, ImageRefused, open_bounded

COLOUR_SIDE = 256
SHARPNESS_SIDE = 768
# A pixel this far (ΔE) from the background's colour belongs to the picture: a light backdrop blown
# to white by a brighter rendering (ΔE 3-7) is still the backdrop.
FOREGROUND_DELTA_E = 10.0
# The border strips (top, left, right: the floor and the caption are at the bottom), as a share of
# the shorter side.
BORDER_SHARE = 0.03


class Undecodable(Exception):
    """The stored bytes are not an image the checks can read."""


def decode(data: bytes, side: int) -> tuple[tuple[int, int], Image.Image]:
    """Stored bytes decoded within the media limits (`open_bounded`): the file's dimensions, and the
    image (a JPEG at the smallest power-of-two reduction still `side` pixels or more)."""
    try:
        with open_bounded(data) as image:
            size = image.size
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (side, side))
            image.load()
            return size, image.copy()
    except (ImageRefused, *DECODE_ERRORS) as error:
        raise Undecodable(str(error) or "not an image") from None


def _scaled(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.BOX)


class QualityImage:
    """One image of a revision: its dimensions as stored, and the arrays the checks share (computed
    on first use)."""

    def __init__(self, image: Image.Image, size: tuple[int, int] | None = None):
        self.image = image if image.mode == "RGB" else image.convert("RGB")
        # The file's dimensions (a JPEG may have been decoded at a reduced scale: `from_bytes`).
        self.width, self.height = size or image.size

    @classmethod
    def from_bytes(cls, data: bytes) -> QualityImage:
        size, image = decode(data, SHARPNESS_SIDE)
        return cls(image, size)  # __init__ converts to RGB

    @cached_property
    def rgb(self) -> np.ndarray:
        """RGB in [0, 1] at the colour scale."""
        return np.asarray(_scaled(self.image, COLOUR_SIDE), dtype=np.float64) / 255.0

    @cached_property
    def lab(self) -> np.ndarray:
        return rgb2lab(self.rgb)

    @cached_property
    def border_pixels(self) -> np.ndarray:
        """The Lab pixels of the top, left and right strips."""
        lab = self.lab
        strip = max(1, round(min(lab.shape[:2]) * BORDER_SHARE))
        return np.concatenate([lab[:strip].reshape(-1, 3), lab[strip:, :strip].reshape(-1, 3),
                               lab[strip:, -strip:].reshape(-1, 3)])

    @cached_property
    def border_colour(self) -> np.ndarray:
        return np.median(self.border_pixels, axis=0)

    @cached_property
    def foreground(self) -> np.ndarray:
        """The pixels that are not the background (the border's colour), as a mask."""
        return self.unlike(self.border_colour)

    def unlike(self, lab: np.ndarray) -> np.ndarray:
        """The pixels farther than FOREGROUND_DELTA_E from the colour `lab`, as a mask."""
        return deltaE_ciede2000(self.lab, np.asarray(lab)[None, None, :]) > FOREGROUND_DELTA_E

    @cached_property
    def phash(self) -> imagehash.ImageHash:
        return imagehash.phash(self.image)

    @cached_property
    def grey(self) -> np.ndarray:
        """Grey levels 0-255 (float) at the sharpness scale."""
        return np.asarray(_scaled(self.image, SHARPNESS_SIDE).convert("L"), dtype=np.float64)


@dataclass(frozen=True)
class Colour:
    """A dominant colour: CIELAB, and its share of the garment's pixels."""

    lab: tuple[float, float, float]
    weight: float

    @property
    def hex(self) -> str:
        return lab_hex(self.lab)


def lab_hex(lab) -> str:
    r, g, b = (np.clip(lab2rgb(np.asarray(lab, dtype=np.float64).reshape(1, 1, 3)), 0, 1)[0, 0] * 255).round()
    return f"#{int(r):02x}{int(g):02x}{int(b):02x}"


def hex_lab(value: str | None) -> np.ndarray | None:
    """A "#rrggbb" colour in CIELAB (None when it is no such colour)."""
    if not value or len(value) != 7 or not value.startswith("#"):
        return None
    try:
        rgb = [int(value[i:i + 2], 16) / 255.0 for i in (1, 3, 5)]
    except ValueError:
        return None
    return rgb2lab(np.asarray(rgb, dtype=np.float64).reshape(1, 1, 3))[0, 0]


# A packshot's background: white (every channel above this), as the local engine cuts it out too.
WHITE_LEVEL = 240
CLUSTERS = 4
# Clusters closer than this (ΔE) are one colour in two shades (a fold, a shadow): merged.
MERGE_DELTA_E = 12.0
# Colours under this share of the garment are details (a button, a print), not judged.
MIN_WEIGHT = 0.15
PACKSHOT_SIDE = 160


def packshot_colours_of(data: bytes) -> list[Colour]:
    """`packshot_colours` of stored bytes (Undecodable when they are no image)."""
    return packshot_colours(decode(data, PACKSHOT_SIDE)[1])


def packshot_colours(image: Image.Image) -> list[Colour]:
    """The garment's dominant colours in its packshot (white background and transparency removed),
    heaviest first; empty when nothing but background is left (a white garment on white)."""
    small = _scaled(image.convert("RGBA"), PACKSHOT_SIDE)
    pixels = np.asarray(small, dtype=np.float64).reshape(-1, 4)
    keep = (pixels[:, 3] >= 128) & ~np.all(pixels[:, :3] > WHITE_LEVEL, axis=1)
    garment = pixels[keep, :3] / 255.0
    if len(garment) < max(50, 0.01 * len(pixels)):
        return []
    lab = rgb2lab(garment.reshape(-1, 1, 3)).reshape(-1, 3)
    k = min(CLUSTERS, len(np.unique(lab.round(1), axis=0)))
    with warnings.catch_warnings():  # an empty cluster is left out below
        warnings.simplefilter("ignore")
        _, labels = kmeans2(lab, k, seed=np.random.default_rng(0), minit="++")
    groups = [[int(i)] for i in range(k) if np.any(labels == i)]
    # Merge shades of one colour, closest pair first.
    while len(groups) > 1:
        means = [_mean(lab, labels, group) for group in groups]
        best = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                distance = float(deltaE_ciede2000(means[i], means[j]))
                if distance < MERGE_DELTA_E and (best is None or distance < best[0]):
                    best = (distance, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] += groups.pop(j)
    colours = []
    for group in groups:
        members = np.isin(labels, group)
        weight = float(members.mean())
        if weight >= MIN_WEIGHT:
            colours.append(Colour(tuple(float(v) for v in lab[members].mean(axis=0)), weight))
    return sorted(colours, key=lambda colour: -colour.weight)


def _mean(lab: np.ndarray, labels: np.ndarray, group: list[int]) -> np.ndarray:
    return lab[np.isin(labels, group)].mean(axis=0)

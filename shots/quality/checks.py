"""The checks: each a function of (image, context) returning
`{"name", "score", "threshold", "passed", "detail"}`. Measures, defaults and the reasons behind them
are in docs/quality.md; the thresholds' table (defaults, bounds, direction) in
sartiq/catalog/quality.py, where the guidelines read it.

A check that has nothing to compare with (no packshot, no background preset, no size asked, no
earlier revision) passes with `score: null` and says why in `detail`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import imagehash
import numpy as np
from skimage.color import deltaE_ciede2000
from skimage.filters import laplace

from sartiq.catalog.quality import DEFAULTS, THRESHOLDS
from shots.quality.image import Colour, QualityImage, hex_lab, lab_hex

# The garment is judged by the image's pixels closest to each of its colours: the closest
# GARMENT_SHARE of the picture (a garment's main colour covers at least that in any framing the
# shot types describe; a colour found nowhere leaves the closest pixels far away).
GARMENT_SHARE = 0.01
GARMENT_MIN_PIXELS = 20
# Blur: the Laplacian's variance per TILE x TILE tile (at the sharpness scale), averaged over the
# sharpest SHARP_SHARE of the tiles: the subject in focus, whatever the share of plain backdrop.
TILE = 32
SHARP_SHARE = 0.1
# Clipped: a luminance (Rec. 709) at or above 250 (blown to white), or at or below 5 (crushed to
# black), of 255. A saturated colour (a red at 255, 0, 0) is not clipped.
CLIPPED_HIGH, CLIPPED_LOW = 250 / 255, 5 / 255
LUMINANCE = np.array([0.2126, 0.7152, 0.0722])
# Below this share of foreground, the picture is all background: exposure is judged on all of it.
MIN_FOREGROUND = 0.05


@dataclass(frozen=True)
class Context:
    """What an image is checked against (shots/services/quality.py builds it from the revision's
    shot, look, product and guidelines)."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))
    # The packshot's dominant colours (None: no packshot; empty: nothing but white background).
    garment: list[Colour] | None = None
    # The size the look asked for (None: nothing asked), and the least the picture must measure
    # (what a generation renders: the asked size within GENERATION_MAX_SIZE).
    asked: tuple[int, int] | None = None
    minimum: tuple[int, int] | None = None
    background: str | None = None  # the background preset's "#rrggbb"
    previous: tuple[imagehash.ImageHash, ...] = ()  # the earlier revisions' images
    generated: bool = True  # a generation's revision (not an upload)


def result(name: str, score, threshold: float, passed: bool, detail: str) -> dict:
    return {"name": name, "score": None if score is None else round(float(score), 4), "threshold": threshold,
            "passed": bool(passed), "detail": detail}


def _passes(name: str, score: float, threshold: float) -> bool:
    return score <= threshold if THRESHOLDS[name].passes == "max" else score >= threshold


def garment_colour(image: QualityImage, context: Context) -> dict:
    """CIEDE2000 ΔE between each dominant colour of the packshot and the picture's closest
    GARMENT_SHARE of pixels; the score is the worst colour's. A red shirt rendered orange leaves
    no pixel near its red."""
    name, threshold = "garment_colour", context.thresholds["garment_colour"]
    if context.garment is None:
        return result(name, None, threshold, True, "skipped: the product has no stored packshot")
    if not context.garment:
        return result(name, None, threshold, True, "skipped: the packshot shows nothing but its white background")
    lab = image.lab.reshape(-1, 3)
    closest = max(GARMENT_MIN_PIXELS, math.ceil(GARMENT_SHARE * len(lab)))
    found = []
    for colour in context.garment:
        distances = deltaE_ciede2000(lab, np.asarray(colour.lab)[None, :])
        found.append(float(np.partition(distances, closest - 1)[closest - 1]))
    score = max(found)
    detail = "; ".join(f"{colour.hex} ({colour.weight:.0%} of the garment): ΔE {distance:.1f}"
                       for colour, distance in zip(context.garment, found))
    return result(name, score, threshold, _passes(name, score, threshold), detail)


def sharpness(image: QualityImage, context: Context) -> dict:
    """Variance of the Laplacian (grey levels 0-255), per tile of the picture scaled to 768 px on its
    longest side, averaged over the sharpest tenth of the tiles: blur lowers it everywhere, a plain
    backdrop does not."""
    name, threshold = "sharpness", context.thresholds["sharpness"]
    response = laplace(image.grey, ksize=3)
    rows, cols = response.shape[0] // TILE, response.shape[1] // TILE
    if rows * cols < 4:
        score = float(response.var())
    else:
        tiles = response[:rows * TILE, :cols * TILE].reshape(rows, TILE, cols, TILE).var(axis=(1, 3)).ravel()
        top = max(1, round(SHARP_SHARE * len(tiles)))
        score = float(np.sort(tiles)[-top:].mean())
    passed = _passes(name, score, threshold)
    return result(name, score, threshold, passed, "sharp" if passed else "blurred: too little fine detail")


def size(image: QualityImage, context: Context) -> dict:
    """The picture's aspect ratio against the look's (relative error), and how far it falls short of
    the size a generation renders for the look; the score is the larger."""
    name, threshold = "size", context.thresholds["size"]
    measured = f"{image.width}x{image.height}"
    if context.asked is None:
        return result(name, None, threshold, True, f"skipped: the look asks no size ({measured})")
    width, height = context.asked
    aspect_error = abs((image.width / image.height) / (width / height) - 1)
    shortfall = 0.0
    if context.minimum is not None:
        shortfall = max(0.0, 1 - image.width / context.minimum[0], 1 - image.height / context.minimum[1])
    score = max(aspect_error, shortfall)
    detail = f"{measured} for {width}x{height} asked: aspect ratio off by {aspect_error:.1%}"
    if context.minimum is not None:
        detail += f", at least {context.minimum[0]}x{context.minimum[1]} expected"
    return result(name, score, threshold, _passes(name, score, threshold), detail)


def background(image: QualityImage, context: Context) -> dict:
    """CIEDE2000 ΔE between the border (top, left and right strips) and the background preset's
    colour: the median over the border's pixels, so a figure touching the edge does not count."""
    name, threshold = "background", context.thresholds["background"]
    preset = hex_lab(context.background)
    if preset is None:
        return result(name, None, threshold, True, "skipped: no background preset colour")
    score = float(np.median(deltaE_ciede2000(image.border_pixels, preset[None, :])))
    detail = f"border {lab_hex(image.border_colour)} for {context.background.lower()}: ΔE {score:.1f}"
    return result(name, score, threshold, _passes(name, score, threshold), detail)


def exposure(image: QualityImage, context: Context) -> dict:
    """The share of the picture, background excluded, clipped to white (blown highlights) or to
    black (crushed shadows); the score is the larger. The background is the preset's colour where
    one is set (a backdrop blown out of its colour is the background check's), else the border's (a
    white studio backdrop is no highlight)."""
    name, threshold = "exposure", context.thresholds["exposure"]
    preset = hex_lab(context.background)
    mask = image.foreground if preset is None else image.unlike(preset)
    if mask.mean() < MIN_FOREGROUND:
        mask = np.ones(mask.shape, bool)
    luminance = image.rgb[mask] @ LUMINANCE
    high, low = float((luminance >= CLIPPED_HIGH).mean()), float((luminance <= CLIPPED_LOW).mean())
    score = max(high, low)
    detail = f"highlights clipped: {high:.1%}, shadows clipped: {low:.1%}"
    return result(name, score, threshold, _passes(name, score, threshold), detail)


def duplicate(image: QualityImage, context: Context) -> dict:
    """The perceptual hash's (pHash, 64 bits) distance to the closest image of the shot's earlier
    revisions: a "regeneration" that returned the same picture is closer than the threshold."""
    name, threshold = "duplicate", context.thresholds["duplicate"]
    if not context.previous:
        return result(name, None, threshold, True, "skipped: no earlier revision with stored images")
    score = min(image.phash - earlier for earlier in context.previous)
    passed = _passes(name, score, threshold)
    return result(name, score, threshold, passed,
                  f"closest earlier image: {score} bits of 64 apart" + ("" if passed else " (the same picture)"))


CHECKS = (garment_colour, sharpness, size, background, exposure, duplicate)

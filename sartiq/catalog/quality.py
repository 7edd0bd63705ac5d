"""What a shooting's guidelines may say about the automatic quality checks (shots/quality,
docs/quality.md): a threshold per check, overriding its default, and how many automatic
regenerations a shot may get after a FAILED check.

The table is here, below the shots app, because the guidelines (their model, request body and
admin form) validate against it; the checks read their defaults from it. One declaration: the API's
request model (`ShootingGuidelinesCreate.quality_thresholds`) is built from it, and the model field's
validator applies the same bounds to the admin's form.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Threshold:
    default: float
    low: float
    high: float
    # Which way a score passes: "max" (at most the threshold) or "min" (at least the threshold).
    passes: str
    meaning: str


THRESHOLDS: dict[str, Threshold] = {
    "garment_colour": Threshold(
        8.0, 0.0, 100.0, "max",
        "CIEDE2000 ΔE between each dominant colour of the product's packshot and the image's closest pixels"),
    "sharpness": Threshold(
        60.0, 0.0, 100000.0, "min",
        "variance of the Laplacian of the sharpest tiles (grey levels 0-255, picture scaled to 768 px)"),
    "size": Threshold(
        0.02, 0.0, 1.0, "max",
        "relative error of the aspect ratio against the look's, and shortfall of the size"),
    "background": Threshold(
        10.0, 0.0, 100.0, "max",
        "CIEDE2000 ΔE between the picture's border and the background preset's colour (median over the border)"),
    "exposure": Threshold(
        0.1, 0.0, 1.0, "max",
        "share of the picture (background excluded) clipped to white or to black"),
    "duplicate": Threshold(
        8.0, 0.0, 64.0, "min",
        "perceptual-hash distance (bits of 64) to the closest image of the shot's earlier revisions; closer "
        "than the threshold, the image is a duplicate"),
}
DEFAULTS: dict[str, float] = {name: spec.default for name, spec in THRESHOLDS.items()}

# The most automatic regenerations a guideline may allow per shot (each one is a paid generation).
AUTO_REGENERATE_MAX = 10


def validate_thresholds(value) -> None:
    """A guideline's `quality_thresholds`: an object of known check names to numbers within each
    check's bounds (Django's ValidationError, for the admin's form and the model's full_clean)."""
    if not isinstance(value, dict):
        raise ValidationError("Quality thresholds are an object of check name to number.", code="quality_threshold")
    for name, number in value.items():
        spec = THRESHOLDS.get(name)
        if spec is None:
            raise ValidationError(f"{name!r} is not a quality check: use {', '.join(THRESHOLDS)}.",
                                  code="quality_threshold")
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise ValidationError(f"{name}: a number is required.", code="quality_threshold")
        if not spec.low <= number <= spec.high:
            raise ValidationError(f"{name}: between {spec.low:g} and {spec.high:g}.", code="quality_threshold")


def effective_thresholds(overrides: dict | None) -> dict[str, float]:
    """The defaults with a guideline's overrides (values validated when they were stored)."""
    found = dict(DEFAULTS)
    for name, number in (overrides or {}).items():
        if name in found and isinstance(number, (int, float)) and not isinstance(number, bool):
            found[name] = float(number)
    return found

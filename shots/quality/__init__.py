"""Automatic quality checks of a revision's images (issue 16, docs/quality.md).

Six checks (`checks.py`), each a function of (image, context) giving
`{"name", "score", "threshold", "passed", "detail"}`: garment colour, sharpness, size and framing,
background, exposure, duplicate. `assess()` runs them on every image of a revision and keeps, per
check, the worst image's result; the revision's status follows from which checks failed:

- FAILED when an **error** check failed: garment colour, sharpness, size, background, and duplicate
  on a generated revision (the engine returned the same picture: a wasted generation, which the
  guidelines' automatic regeneration may replace);
- WARNING when only **soft** checks failed: exposure (a dark garment or a high-key look may be
  meant), and duplicate on an upload (a retouch rightly resembles the revision it retouches);
- PASSED otherwise.

This package is pure image work: no database. shots/services/quality.py reads the revision, builds
the `Context` and stores the result.
"""
from __future__ import annotations

from sartiq.catalog.quality import THRESHOLDS
from shots.quality.checks import CHECKS, Context, result
from shots.quality.image import Colour, QualityImage, Undecodable, packshot_colours, packshot_colours_of

__all__ = ["CHECKS", "Colour", "Context", "QualityImage", "Undecodable", "assess",
           "packshot_colours", "packshot_colours_of", "severity", "status_of"]

ERROR, WARNING = "error", "warning"


def severity(name: str, context: Context) -> str:
    """Whether a failed check fails the revision (error) or warns (soft)."""
    if name == "exposure" or (name == "duplicate" and not context.generated):
        return WARNING
    return ERROR


def status_of(checks: list[dict], context: Context) -> str:
    failed = [check["name"] for check in checks if not check["passed"]]
    if any(severity(name, context) == ERROR for name in failed):
        return "FAILED"
    return "WARNING" if failed else "PASSED"


def _badness(check: dict, lower_is_worse: bool) -> tuple:
    """Orders one check's results over images: failed first, then the score's side of worse."""
    score = check["score"]
    if score is None:
        return (not check["passed"], float("-inf"))
    return (not check["passed"], -score if lower_is_worse else score)


def assess(images: list[QualityImage | None], context: Context) -> dict:
    """`{"status", "checks"}` for a revision's images (None: an image whose file could not be read,
    which fails the revision)."""
    total = len(images)
    checks = []
    unreadable = [index for index, image in enumerate(images, 1) if image is None]
    if unreadable:
        checks.append(result("image", None, 0, False, "unreadable: image " + ", ".join(map(str, unreadable))))
    readable = [(index, image) for index, image in enumerate(images, 1) if image is not None]
    for check in CHECKS:
        found = []
        for index, image in readable:
            outcome = check(image, context)
            if total > 1:
                outcome["detail"] = f"image {index} of {total}: {outcome['detail']}"
            found.append(outcome)
        if found:
            lower_is_worse = THRESHOLDS[found[0]["name"]].passes == "min"
            checks.append(max(found, key=lambda outcome: _badness(outcome, lower_is_worse)))
    return {"status": status_of(checks, context), "checks": checks}

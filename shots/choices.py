"""Shot and revision enumerations, and the status order of contract §3."""
from django.db import models


class ShotStatus(models.TextChoices):
    PENDING = "PENDING"
    PROPOSAL = "PROPOSAL"
    REJECTED = "REJECTED"
    POST_PROD = "POST_PROD"
    POST_PROD_REJECTED = "POST_PROD_REJECTED"
    REVIEW = "REVIEW"
    APPROVED = "APPROVED"


class ShotRevisionStatus(models.TextChoices):
    """Where a revision is in production (the project's choice; `shot_status` is the verdict)."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ARCHIVED = "ARCHIVED"


class RevisionSource(models.TextChoices):
    PREDICTION = "PREDICTION"
    REFINE = "REFINE"
    UPLOAD = "UPLOAD"


class GenerationStatus(models.TextChoices):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class GenerationKind(models.TextChoices):
    SHOT = "SHOT", "Shot image"
    BASE_IMAGE = "BASE_IMAGE", "Subject base image"


class Engine(models.TextChoices):
    """The image engines (shots/providers/; the values of IMAGE_PROVIDER, settings.IMAGE_PROVIDERS)."""

    LOCAL = "local"
    FASHN = "fashn"
    REPLICATE = "replicate"
    COG = "cog"


class ExportFormat(models.TextChoices):
    """The export configuration's formats (contract §3). Inputs also take `JPG` (`EXPORT_FORMAT_ALIASES`),
    the looks' and guidelines' spelling; answers say `JPEG`."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"
    AVIF = "AVIF"


EXPORT_FORMAT_ALIASES = {"JPG": ExportFormat.JPEG.value}


class MetadataAdapter(models.TextChoices):
    DEFAULT = "DEFAULT"
    OVS = "OVS"


# Least to most progressed (contract §3). WITHOUT_STATUS (a look with no shots) ranks lowest:
# such a look cannot progress until it has shots.
STATUS_ORDER = [
    "WITHOUT_STATUS",
    "DRAFT",
    "READY",
    ShotStatus.PENDING,
    ShotStatus.PROPOSAL,
    ShotStatus.REJECTED,
    ShotStatus.POST_PROD,
    ShotStatus.POST_PROD_REJECTED,
    ShotStatus.REVIEW,
    ShotStatus.APPROVED,
]
# Statuses a reviewer can act on (approve / reject).
REVIEWABLE = (ShotStatus.PROPOSAL, ShotStatus.REVIEW, ShotStatus.POST_PROD)


class QualityStatus(models.TextChoices):
    """A revision's automatic quality checks (shots/quality): PENDING until they ran."""

    PENDING = "PENDING"
    PASSED = "PASSED"
    WARNING = "WARNING"
    FAILED = "FAILED"


class RejectionReason(models.TextChoices):
    """Why a reviewer rejected a shot (POST /shots/{id}/reject `reasons`)."""

    COLOR = "COLOR"
    FIT = "FIT"
    GARMENT_DETAIL = "GARMENT_DETAIL"
    FACE = "FACE"
    HANDS = "HANDS"
    POSE = "POSE"
    BACKGROUND = "BACKGROUND"
    CROP = "CROP"
    ARTIFACT = "ARTIFACT"
    OTHER = "OTHER"

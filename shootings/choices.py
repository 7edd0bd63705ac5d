from django.db import models


class ShootingLookStatus(models.TextChoices):
    DRAFT = "DRAFT"
    READY = "READY"


class ShootingLookComputedStatus(models.TextChoices):
    """A look's summary status, a shooting's status and the `statuses` filters' values."""

    PENDING = "PENDING"
    PROPOSAL = "PROPOSAL"
    REJECTED = "REJECTED"
    POST_PROD = "POST_PROD"
    POST_PROD_REJECTED = "POST_PROD_REJECTED"
    REVIEW = "REVIEW"
    APPROVED = "APPROVED"
    DRAFT = "DRAFT"
    READY = "READY"
    WITHOUT_STATUS = "WITHOUT_STATUS"

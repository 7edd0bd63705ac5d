from django.db import models


class OutfitGenerationStatus(models.TextChoices):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class OutfitSource(models.TextChoices):
    MANUAL = "MANUAL", "Made by a person"
    STYLIST = "STYLIST", "Proposed by the stylist"

from __future__ import annotations

from django.db import models

from sartiq.media.choices import MediaResourceType, Orientation
from sartiq.models import TenantModel


def media_upload_to(instance: "MediaResource", filename: str) -> str:
    return f"uploads/{instance.id}/{filename}"


class MediaResource(TenantModel):
    """A file in the project's storage (local files or S3/MinIO through django-storages)."""

    file = models.FileField(upload_to=media_upload_to, max_length=500)
    resource_type = models.CharField(max_length=16, choices=MediaResourceType.choices, default=MediaResourceType.IMAGE)
    content_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the bytes")
    extension = models.CharField(max_length=16)
    content_type = models.CharField(max_length=100, blank=True, default="")
    file_size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, for videos")
    color_profile = models.CharField(max_length=64, null=True, blank=True)
    dominant_color = models.CharField(max_length=7, null=True, blank=True, help_text="#rrggbb")
    alt_text = models.CharField(max_length=500, null=True, blank=True)
    caption = models.TextField(null=True, blank=True)
    protected = models.BooleanField(default=False, help_text="Kept when the objects using it are deleted")

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file.name

    @property
    def url(self) -> str:
        return self.file.url if self.file else ""

    @property
    def aspect_ratio(self) -> float | None:
        return aspect_ratio(self.width, self.height)

    @property
    def orientation(self) -> str | None:
        return orientation(self.width, self.height)


def aspect_ratio(width: int | None, height: int | None) -> float | None:
    """Width over height to 4 places; None unless both are known (also for rows without objects)."""
    return round(width / height, 4) if width and height else None


def orientation(width: int | None, height: int | None) -> str | None:
    if not (width and height):
        return None
    if width == height:
        return Orientation.SQUARE
    return Orientation.LANDSCAPE if width > height else Orientation.PORTRAIT

"""Shootings and their looks."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from sartiq.catalog.choices import FileFormat
from sartiq.models import TenantModel, TimestampedModel
from shootings.choices import ShootingLookStatus


class Shooting(TenantModel):
    """A brand's photo shoot: a season's collection, a due date and default guidelines."""

    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True, db_index=True)
    archived = models.BooleanField(default=False)
    season = models.CharField(max_length=255, null=True, blank=True)
    collection = models.CharField(max_length=255, null=True, blank=True)
    brand = models.CharField(max_length=255, null=True, blank=True)
    default_guidelines = models.ForeignKey(
        "catalog.ShootingGuidelines", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Maintained by PostgreSQL in the writing transaction (the read-version triggers: sartiq/read_versions.py,
    # installed by integrations/migrations/0008_read_versions.py); whatever Django writes here is ignored.
    # `version` grows with every change anything under the shooting shows (its ETag, docs/performance.md);
    # the ranks are the computed statuses of contract §3 (shots.selectors.RANK), NULL without shots / looks.
    version = models.BigIntegerField(default=0, editable=False)
    shot_status_rank = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    status_rank = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    lock_name = "Shooting"  # the root of the tree writers lock (sartiq/locking.py)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.name


class ShootingLook(TimestampedModel):
    """One subject wearing one product (plus an outfit) in a shooting; one shot per shot type."""

    shooting = models.ForeignKey(Shooting, on_delete=models.CASCADE, related_name="looks")
    subject = models.ForeignKey("catalog.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="looks")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="looks")
    style = models.ForeignKey("catalog.Style", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_preset = models.ForeignKey(
        "catalog.ResolutionPreset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    background_preset = models.ForeignKey(
        "catalog.BackgroundPreset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_design = models.ForeignKey("catalog.SetDesign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_format = models.CharField(max_length=8, choices=FileFormat.choices, default=FileFormat.JPG)
    instructions = models.TextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=ShootingLookStatus.choices, default=ShootingLookStatus.DRAFT)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pose_presets = models.ManyToManyField("catalog.PosePreset", blank=True, related_name="+")
    outfit = models.ForeignKey("outfits.Outfit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    tenant_path = "shooting"
    lock_parent, lock_name = "shooting", "Look"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["shooting", "status"], name="shootings_look_status")]

    def __str__(self) -> str:
        return f"Look {self.pk}"

    # Read from `outfit_list`, the outfits the look selector prefetches: THE outfit and the others.
    @property
    def selected_outfit(self):
        return next((o for o in self.outfit_list if o.pk == self.outfit_id), None) if self.outfit_id else None

    @property
    def outfit_proposals(self):
        return [o for o in self.outfit_list if o.pk != self.outfit_id]

    @property
    def outfit_ref_imgs_urls(self) -> list[str]:
        outfit = self.selected_outfit
        return outfit.shown_ref_imgs_urls if outfit else []

    @property
    def outfit_instruction(self) -> str | None:
        outfit = self.selected_outfit
        return outfit.outfit_instruction if outfit else None

    @property
    def outfit_product_ids(self) -> list:
        outfit = self.selected_outfit
        return outfit.outfit_product_ids if outfit else []

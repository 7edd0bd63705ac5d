"""Shots, their revisions (a chain per shot) and images, generations and export preferences."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from sartiq.media.references import shown_url
from sartiq.models import JSONField, TimestampedModel
from shots import choices


class Shot(TimestampedModel):
    """One picture of a look, of one shot type. Its status is its current revision's."""

    shooting_look = models.ForeignKey("shootings.ShootingLook", on_delete=models.CASCADE, related_name="shots")
    shot_type = models.ForeignKey("catalog.ShotType", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pose_preset = models.ForeignKey("catalog.PosePreset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rework_available = models.PositiveIntegerField(default=settings.SHOT_DEFAULT_REWORK)
    rework_used = models.PositiveIntegerField(default=0)
    # Generations started automatically after a FAILED quality check (guidelines' option): they
    # spend none of the client's rework, and are bounded by the guideline's maximum.
    quality_regenerations = models.PositiveIntegerField(default=0)
    current_revision = models.ForeignKey(
        "ShotRevision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The highest revision version ever given to this shot. It only grows (revision_create raises
    # it under the shot's lock), so a version is never given twice, even after deletions: two
    # different images never share a `_v<n>` download name.
    last_revision_version = models.PositiveIntegerField(default=0, editable=False)

    tenant_path = "shooting_look__shooting"
    lock_parent, lock_name = "shooting_look", "Shot"

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shooting_look", "shot_type"], name="shots_one_per_shot_type",
                                    condition=models.Q(shot_type__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Shot {self.pk}"

    def save(self, *args, **kwargs):
        """A full save of a shot read earlier (the admin's form) leaves the version counter as it is
        in the database: only revision_create writes it, naming it, under the shot's lock."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [field.name for field in self._meta.concrete_fields
                                       if not field.primary_key and field.name != "last_revision_version"]
        super().save(*args, **kwargs)


class ShotRevision(TimestampedModel):
    """A version of a shot's picture; revisions chain through `previous_revision`."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    notes = models.TextField(null=True, blank=True)
    shot_status = models.CharField(max_length=20, choices=choices.ShotStatus.choices)
    shot_revision_status = models.CharField(
        max_length=16, choices=choices.ShotRevisionStatus.choices, null=True, blank=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # DO_NOTHING: a cascade deletes whole chains; deleting one referenced revision alone is refused
    # by the service (409) and, as a backstop, by the database's deferred foreign key at commit.
    previous_revision = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="next_revisions"
    )
    # Automatic quality checks (shots/quality): {"status": PENDING|PASSED|WARNING|FAILED, "checks":
    # [{"name", "score", "threshold", "passed", "detail"}]}; the status also as a column, for the
    # review queue's filter and order ("": a revision without images, never checked).
    quality = JSONField(default=dict, blank=True)
    quality_status = models.CharField(max_length=8, choices=choices.QualityStatus.choices, blank=True, default="",
                                      db_index=True)
    # The reviewer's reasons when this revision was rejected (RejectionReason values).
    rejection_reasons = JSONField(default=list, blank=True)

    tenant_path = "shot__shooting_look__shooting"

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["shot", "version"], name="shots_revision_version_unique")]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def display_name(self) -> str:
        return f"Version {self.version}"


class ShotRevisionImage(TimestampedModel):
    shot_revision = models.ForeignKey(ShotRevision, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    source_type = models.CharField(max_length=16, choices=choices.RevisionSource.choices)
    prediction_id = models.UUIDField(null=True, blank=True)
    refine_id = models.UUIDField(null=True, blank=True)
    image_url = models.CharField(max_length=2000, null=True, blank=True)
    sketch_image_url = models.CharField(max_length=2000, null=True, blank=True)
    image_media = models.ForeignKey("media.MediaResource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sketch_image_media = models.ForeignKey(
        "media.MediaResource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(null=True, blank=True)
    autogenerated = models.BooleanField(default=False)

    tenant_path = "shot_revision__shot__shooting_look__shooting"

    class Meta:
        ordering = ["position", "created_at", "id"]

    @property
    def effective_image_url(self) -> str | None:
        """The picture to show: the stored file when there is one, else the (outside) URL given."""
        media = self.image_media if self.image_media_id else None
        return media.url if media is not None else shown_url(self.image_url, None)


class Generation(TimestampedModel):
    """One asynchronous image generation, polled by clients."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="generations")
    kind = models.CharField(max_length=16, choices=choices.GenerationKind.choices, default=choices.GenerationKind.SHOT)
    status = models.CharField(max_length=16, choices=choices.GenerationStatus.choices, default=choices.GenerationStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    error = models.TextField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The engine (`local`, `fashn`, `replicate`, `cog`) and model it was submitted to, the engine's
    # job id, and what the engine reported it cost (shots/providers/).
    provider = models.CharField(max_length=64, blank=True, default="")
    model = models.CharField(max_length=255, blank=True, default="")
    provider_job_id = models.CharField(max_length=255, null=True, blank=True)
    # Whose account the job runs on ("server" or "organization"): it is followed, cancelled and its
    # webhooks verified with that account's credentials, whatever the override says since.
    provider_account = models.CharField(max_length=16, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    cost_unit = models.CharField(max_length=16, blank=True, default="")
    prompt = models.TextField(blank=True, default="")
    negative_prompt = models.TextField(blank=True, default="")
    params = JSONField(default=dict, blank=True)
    revision = models.ForeignKey(ShotRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker holding the generation: its token fences every write, its lease says until when
    # it is presumed alive (see shots/generation.py).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)

    tenant_path = "shot__shooting_look__shooting"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="shots_generation_status"),
                   models.Index(fields=["provider", "provider_job_id"], name="shots_generation_job")]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="shots_generation_progress")]


class OrganizationEngine(TimestampedModel):
    """An organization's image engine for its shootings, instead of the server's (shots/engines.py,
    docs/providers.md): the engine, the model, and the organization's own credentials for it,
    encrypted (sartiq/secrets.py) and never shown. No base URL: the engine's host is the server's
    setting, so a tenant can neither point the server at a host of its choosing nor receive the
    server's key."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE,
                                        related_name="image_engine")
    engine = models.CharField(max_length=16, choices=choices.Engine.choices)
    # "" = the server's model for that engine (FASHN: chosen per look).
    model = models.CharField(max_length=255, blank=True, default="")
    # The organization's API key / token at the engine, sealed; "" = the server's credentials.
    api_key = models.TextField(blank=True, default="", editable=False)
    # Replicate's `whsec_` of the organization's account, sealed; "" = its jobs are polled.
    webhook_secret = models.TextField(blank=True, default="", editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        verbose_name = "organization engine"

    def __str__(self) -> str:
        return f"{self.organization}: {self.engine}" + (f" ({self.model})" if self.model else "")


class ProviderWebhookMessage(models.Model):
    """A signed webhook an engine sent (its `webhook-id`), kept while its timestamp is within the
    tolerance, so a replayed message is recognised and changes nothing."""

    engine = models.CharField(max_length=64)
    message_id = models.CharField(max_length=255)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engine", "message_id"], name="shots_provider_webhook_once")]


class Prediction(TimestampedModel):
    """One output image of a generation."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="predictions")
    index = models.PositiveSmallIntegerField(default=0)
    media = models.ForeignKey("media.MediaResource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seed = models.BigIntegerField(null=True, blank=True)

    tenant_path = "generation__shot__shooting_look__shooting"

    class Meta:
        ordering = ["index", "id"]


class ExportConfiguration(TimestampedModel):
    """How a user's downloads are rendered: format, quality, metadata adapter."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_configuration")
    format = models.CharField(max_length=8, choices=choices.ExportFormat.choices, default=choices.ExportFormat.JPEG)
    quality = models.PositiveSmallIntegerField(default=90, validators=[MaxValueValidator(100)])
    adapter = models.CharField(max_length=16, choices=choices.MetadataAdapter.choices, default=choices.MetadataAdapter.DEFAULT)
    copyright = models.CharField(max_length=255, null=True, blank=True)


class ReviewShot(Shot):
    """The shots awaiting review, as the admin's review queue shows them."""

    class Meta:
        proxy = True
        verbose_name = "shot to review"
        verbose_name_plural = "review queue"


class DirectUpload(TimestampedModel):
    """A direct-upload URL handed out for one shot (shots/uploads.py), usable once.

    The file PUT to `key` is only a candidate: when a revision registers it, its bytes are
    validated, hashed and copied to a media resource under a fresh key (which no upload URL can
    reach), and the upload object is removed. A registered upload cannot be registered again, and
    a local upload URL refuses a second PUT.
    """

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=500, unique=True)
    content_type = models.CharField(max_length=100)
    expires_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True, help_text="A local PUT stored the file")
    registered_at = models.DateTimeField(null=True, blank=True, help_text="A revision took the file")

    tenant_path = "shot__shooting_look__shooting"

    class Meta:
        ordering = ["created_at", "id"]

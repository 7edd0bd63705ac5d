"""Shooting and look serializers (the reference's Shooting*/ShootingLook* components)."""
from rest_framework import serializers

from outfits.api.serializers import ShootingLookOutfitPublicSerializer
from sartiq.accounts.api.serializers import UserSummarySerializer
from sartiq.api.serializers import ReadSerializer
from sartiq.catalog.api.serializers import (
    PosePresetPublicSerializer,
    SetDesignPublicSerializer,
    ShootingGuidelinesPublicSerializer,
    TenantPublicSerializer,
)
from sartiq.media.references import shown_url
from shootings.choices import ShootingLookComputedStatus
from shootings.models import Shooting, ShootingLook
from shots.api.fields import RankedStatusField
from shots.api.serializers import ShotPublicSerializer, ShotSummarySerializer
from shots.choices import QualityStatus, RejectionReason, ShotStatus


# --- output ---------------------------------------------------------------------------------------
class ShootingPublicSerializer(TenantPublicSerializer):
    default_guidelines_id = serializers.UUIDField(read_only=True, allow_null=True)
    default_guidelines = ShootingGuidelinesPublicSerializer(read_only=True, allow_null=True)
    shot_status = RankedStatusField(ShotStatus, source="shot_status_rank")
    status = RankedStatusField(ShootingLookComputedStatus, source="status_rank")

    class Meta:
        model = Shooting
        fields = ["id", "created_at", "updated_at", "name", "description", "due_date", "owner_id",
                  "organization_id", "archived", "season", "collection", "brand", "default_guidelines_id",
                  "default_guidelines", "shot_status", "status"]


class LookProductFields(serializers.Serializer):
    """The product and assignee fields shared by the full look and its summary."""

    product_id = serializers.UUIDField(read_only=True, allow_null=True)
    product_name = serializers.CharField(source="product.name", read_only=True, allow_null=True, default=None)
    product_sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True, default=None)
    product_cover_image_url = serializers.SerializerMethodField()
    assignee_id = serializers.UUIDField(read_only=True, allow_null=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    shot_status = RankedStatusField(ShotStatus, source="shot_status_rank")

    def get_product_cover_image_url(self, look) -> str | None:
        product = look.product
        if product is None:
            return None
        return shown_url(product.cover_image_url, product.cover_image_media if product.cover_image_media_id else None)


class ShootingLookPublicSerializer(LookProductFields, ReadSerializer):
    shooting_id = serializers.UUIDField(read_only=True)
    subject_id = serializers.UUIDField(read_only=True, allow_null=True)
    subject_name = serializers.SerializerMethodField()
    style_id = serializers.UUIDField(read_only=True, allow_null=True)
    resolution_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    background_preset_id = serializers.UUIDField(read_only=True, allow_null=True)
    set_design_id = serializers.UUIDField(read_only=True, allow_null=True)
    set_design = SetDesignPublicSerializer(read_only=True, allow_null=True)
    pose_presets = PosePresetPublicSerializer(many=True, read_only=True, source="pose_preset_list")
    shots = ShotPublicSerializer(many=True, read_only=True, source="shot_list")
    outfit_proposals = ShootingLookOutfitPublicSerializer(many=True, read_only=True)
    outfit_id = serializers.UUIDField(read_only=True, allow_null=True)
    outfit = ShootingLookOutfitPublicSerializer(source="selected_outfit", read_only=True, allow_null=True)
    outfit_ref_imgs_urls = serializers.ListField(child=serializers.CharField(), read_only=True)
    outfit_instruction = serializers.CharField(read_only=True, allow_null=True)
    outfit_product_ids = serializers.ListField(child=serializers.UUIDField(), read_only=True)

    class Meta:
        model = ShootingLook
        fields = [
            "id", "created_at", "updated_at", "shooting_id", "subject_id", "subject_name", "product_id",
            "product_name", "product_sku", "product_cover_image_url", "style_id", "resolution_preset_id", "width",
            "height", "background_preset_id", "set_design_id", "set_design", "file_format", "instructions", "status",
            "shot_status", "assignee_id", "assignee", "pose_presets", "shots", "outfit_proposals", "outfit_id",
            "outfit", "outfit_ref_imgs_urls", "outfit_instruction", "outfit_product_ids",
        ]

    def get_subject_name(self, look) -> str | None:
        return str(look.subject) if look.subject_id and look.subject else None


class ShootingLookSummarySerializer(LookProductFields, ReadSerializer):
    shooting_id = serializers.UUIDField(read_only=True)
    outfit_generation_status = serializers.CharField(read_only=True, allow_null=True)
    outfit_products_count = serializers.IntegerField(read_only=True)
    shots = ShotSummarySerializer(many=True, read_only=True, source="shot_list")

    class Meta:
        model = ShootingLook
        fields = ["id", "created_at", "updated_at", "shooting_id", "product_id", "product_name", "product_sku",
                  "product_cover_image_url", "status", "shot_status", "assignee_id", "assignee",
                  "outfit_generation_status", "outfit_products_count", "shots"]


class ShootingDetailPublicSerializer(ShootingPublicSerializer):
    looks = ShootingLookPublicSerializer(many=True, read_only=True)

    class Meta(ShootingPublicSerializer.Meta):
        fields = [*ShootingPublicSerializer.Meta.fields, "looks"]


class ShootingStatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(ShootingLookComputedStatus.choices)
    count = serializers.IntegerField()


class ShootingSummarySerializer(serializers.Serializer):
    total_products = serializers.IntegerField()
    total_shooting_looks = serializers.IntegerField()
    status_breakdown = ShootingStatusCountSerializer(many=True)


class DraftLooksSummarySerializer(serializers.Serializer):
    total_draft_looks = serializers.IntegerField()
    generating_count = serializers.IntegerField()


class GenerationCreationResultSerializer(serializers.Serializer):
    generation_id = serializers.UUIDField()
    look_id = serializers.UUIDField()
    shot_id = serializers.UUIDField()


class GenerateShootingLooksResponseSerializer(serializers.Serializer):
    looks = ShootingLookPublicSerializer(many=True)
    generation_results = GenerationCreationResultSerializer(many=True, default=list)
    total_generations_created = serializers.IntegerField(default=0)


class StartGenerationsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    look_id = serializers.UUIDField()
    generation_ids = serializers.ListField(child=serializers.UUIDField())
    generations_per_shot_type = serializers.IntegerField()

class StartShotTypeGenerationsResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    look_id = serializers.UUIDField()
    shot_type_id = serializers.UUIDField()
    generation_ids = serializers.ListField(child=serializers.UUIDField())
    generations_count = serializers.IntegerField()


# --- the review report (shots/review_report.py) -----------------------------------------------------
class ReviewRateSerializer(serializers.Serializer):
    reviewed = serializers.IntegerField(help_text="Reviewed revisions (approved or rejected)")
    rejected = serializers.IntegerField()
    rejection_rate = serializers.FloatField(allow_null=True, help_text="rejected / reviewed; null without any")


class QualityStatusPredictionSerializer(ReviewRateSerializer):
    quality_status = serializers.ChoiceField(QualityStatus.choices)


class QualityCheckPredictionSerializer(serializers.Serializer):
    name = serializers.CharField()
    failed = ReviewRateSerializer(help_text="Reviewed revisions where the check failed")
    passed = ReviewRateSerializer(help_text="Reviewed revisions where the check passed")


class QualityPredictionSerializer(serializers.Serializer):
    by_status = QualityStatusPredictionSerializer(many=True)
    checks = QualityCheckPredictionSerializer(many=True)


# One count per reason, and the rejections given none.
RejectionsByReasonSerializer = type("RejectionsByReasonSerializer", (serializers.Serializer,), {
    **{reason: serializers.IntegerField() for reason in RejectionReason.values},
    "without_reason": serializers.IntegerField(),
})


class ReviewTallySerializer(serializers.Serializer):
    revisions = serializers.IntegerField(help_text="Revisions made (generated or uploaded)")
    approvals = serializers.IntegerField()
    rejections = serializers.IntegerField()
    rejections_by_reason = RejectionsByReasonSerializer()
    shots_reviewed = serializers.IntegerField(help_text="Shots with at least one reviewed revision")
    first_pass_approved = serializers.IntegerField(help_text="Shots approved on their first reviewed revision")
    first_pass_approval_rate = serializers.FloatField(allow_null=True)
    rework_spent = serializers.IntegerField(
        help_text="Shot types and total: the shots' rework_used; engines: rejections of their revisions")
    quality = QualityPredictionSerializer()


class ShotTypeReviewSerializer(ReviewTallySerializer):
    shot_type_id = serializers.UUIDField(allow_null=True)
    shot_type_name = serializers.CharField(allow_null=True)


class EngineReviewSerializer(ReviewTallySerializer):
    engine = serializers.CharField(help_text="The generation's engine; `upload` for uploaded revisions")
    model = serializers.CharField()


class ShootingReviewReportSerializer(serializers.Serializer):
    shooting_id = serializers.UUIDField()
    total = ReviewTallySerializer()
    by_shot_type = ShotTypeReviewSerializer(many=True)
    by_engine = EngineReviewSerializer(many=True)

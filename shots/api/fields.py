"""Fields for statuses computed in SQL as ranks, and for a revision's quality checks."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.choices import PUSH_STATUS_PRIORITY, PushStatus
from shots.choices import STATUS_ORDER, QualityStatus


class RankedStatusField(serializers.ChoiceField):
    """A status the selector computed as a rank (MIN over shots, ...), shown by name."""

    def __init__(self, choices_class, order=STATUS_ORDER, **kwargs):
        self.order = order
        kwargs.setdefault("allow_null", True)
        super().__init__(choices=choices_class.choices, read_only=True, **kwargs)

    def to_representation(self, rank):
        return str(self.order[rank])


def push_status_field(**kwargs):
    """The aggregate push status (priority FAILED > IN_PROGRESS > AWAITING_CONFIRMATION > PENDING >
    COMPLETED), from the `push_status_rank` annotation."""
    return RankedStatusField(PushStatus, order=PUSH_STATUS_PRIORITY, source="push_status_rank",
                             help_text="Aggregate push status across integrations; null without pushes", **kwargs)


class QualityCheckPublicSerializer(serializers.Serializer):
    """One automatic check of a revision's images (docs/quality.md): for several images, the worst."""

    name = serializers.CharField(help_text="garment_colour, sharpness, size, background, exposure or duplicate "
                                           "(image: an image that could not be read)")
    score = serializers.FloatField(allow_null=True, help_text="The measure; null when the check had nothing to "
                                                              "compare with (skipped)")
    threshold = serializers.FloatField(help_text="The default, or the shooting guidelines' own")
    passed = serializers.BooleanField()
    detail = serializers.CharField()

    class Meta:
        ref_name = "QualityCheckPublic"


class RevisionQualityPublicSerializer(serializers.Serializer):
    status = serializers.ChoiceField(QualityStatus.choices, help_text="PENDING until the checks ran; FAILED when "
                                                                      "an error check failed, WARNING for a soft one")
    checks = QualityCheckPublicSerializer(many=True)

    class Meta:
        ref_name = "RevisionQualityPublic"


@extend_schema_field(RevisionQualityPublicSerializer)
class QualityField(serializers.JSONField):
    """A revision's automatic quality checks as stored (`{"status", "checks"}`); null for a revision
    without images, which is never checked. The row-built documents (shootings/api/documents.py)
    render the column the same way: `quality or None`."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None

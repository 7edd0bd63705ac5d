"""Fields for statuses computed in SQL as ranks."""
from rest_framework import serializers

from integrations.choices import PUSH_STATUS_PRIORITY, PushStatus
from shots.choices import STATUS_ORDER


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

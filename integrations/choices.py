from django.db import models


class IntegrationType(models.TextChoices):
    OVS = "OVS"


class PushStatus(models.TextChoices):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


# Aggregate push status of a revision: the first of these present wins (contract §3).
PUSH_STATUS_PRIORITY = [
    PushStatus.FAILED,
    PushStatus.IN_PROGRESS,
    PushStatus.AWAITING_CONFIRMATION,
    PushStatus.PENDING,
    PushStatus.COMPLETED,
]
# Pushes a repeated export must not start again.
PUSH_ACTIVE_OR_DONE = [PushStatus.PENDING, PushStatus.IN_PROGRESS, PushStatus.AWAITING_CONFIRMATION, PushStatus.COMPLETED]

from django.db import models


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"  # waiting for its next attempt (`next_attempt_at`)
    SENDING = "SENDING"  # claimed by a worker, attempt under way
    SUCCEEDED = "SUCCEEDED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # refused (4xx, a destination not allowed), out of attempts, or the endpoint disabled

from django.db import models


class MembershipRole(models.TextChoices):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"

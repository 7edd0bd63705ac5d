from django.db import models


class MediaResourceType(models.TextChoices):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"


class Orientation(models.TextChoices):
    LANDSCAPE = "LANDSCAPE"
    PORTRAIT = "PORTRAIT"
    SQUARE = "SQUARE"

"""Enumerations of the catalog, with the values of contract §4 (others are the project's choice)."""
from django.db import models


class Gender(models.TextChoices):
    MALE = "MALE"
    FEMALE = "FEMALE"


class ProductGender(models.TextChoices):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNISEX = "UNISEX"


class SubjectType(models.TextChoices):
    AI = "AI"
    REAL = "REAL"


class AgeClass(models.TextChoices):
    KID = "KID"
    TEEN = "TEEN"
    YOUNG = "YOUNG"
    MIDDLE_AGE = "MIDDLE_AGE"
    ELDER = "ELDER"


class ViewAngle(models.TextChoices):
    FRONT = "FRONT"
    BACK = "BACK"
    SIDE = "SIDE"


class ShotTypeFraming(models.TextChoices):
    FULL_BODY = "FULL_BODY"
    UPPER_BODY = "UPPER_BODY"
    LOWER_BODY = "LOWER_BODY"
    UPPER_THREE_QUARTERS = "UPPER_THREE_QUARTERS"
    LOWER_THREE_QUARTERS = "LOWER_THREE_QUARTERS"
    DETAIL = "DETAIL"


class DefaultShotTypes(models.TextChoices):
    FRONT = "FRONT"
    BACK = "BACK"
    SIDE = "SIDE"
    DETAIL = "DETAIL"
    CLOSE_UP = "CLOSE_UP"


class ProductPlacement(models.TextChoices):
    TOP = "TOP"
    BOTTOM = "BOTTOM"
    FULL_BODY = "FULL_BODY"
    OUTERWEAR = "OUTERWEAR"
    FOOTWEAR = "FOOTWEAR"
    ACCESSORY = "ACCESSORY"


class BodyType(models.TextChoices):
    SLIM = "SLIM"
    ATHLETIC = "ATHLETIC"
    AVERAGE = "AVERAGE"
    CURVY = "CURVY"
    PLUS_SIZE = "PLUS_SIZE"


class EyeColor(models.TextChoices):
    BROWN = "BROWN"
    BLUE = "BLUE"
    GREEN = "GREEN"
    HAZEL = "HAZEL"
    GREY = "GREY"
    AMBER = "AMBER"


class HairColor(models.TextChoices):
    BLACK = "BLACK"
    BROWN = "BROWN"
    BLONDE = "BLONDE"
    RED = "RED"
    GREY = "GREY"
    WHITE = "WHITE"
    OTHER = "OTHER"


class LoraStatus(models.TextChoices):
    NOT_STARTED = "NOT_STARTED"
    TRAINING = "TRAINING"
    READY = "READY"
    FAILED = "FAILED"


class FileFormat(models.TextChoices):
    """The reference's file formats of looks and guidelines (contract §4). Inputs also take `JPEG`
    (`FILE_FORMAT_ALIASES`), the export configuration's spelling; answers say `JPG`."""

    JPG = "JPG"
    PNG = "PNG"
    WEBP = "WEBP"
    AVIF = "AVIF"


FILE_FORMAT_ALIASES = {"JPEG": FileFormat.JPG.value}
# What inputs of a file format take, the export configuration's too (the ImageFormatInput component of
# the OpenAPI document: one set of values, read as each field says).
FILE_FORMAT_INPUTS = [*FileFormat.values, *FILE_FORMAT_ALIASES]


class ProductSortBy(models.TextChoices):
    NAME = "name"
    SKU = "sku"
    BRAND = "brand"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEASON = "season"


class SortOrder(models.TextChoices):
    ASC = "asc"
    DESC = "desc"

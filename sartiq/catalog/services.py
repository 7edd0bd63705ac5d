"""Writes for the catalog: every resource declared once (sartiq/resources.py does the writing),
giving `<thing>_create`, `<thing>_update` and `<thing>_delete`."""
from __future__ import annotations

from django.utils.text import slugify

from sartiq.catalog import models
from sartiq.media.models import MediaResource
from sartiq.media.references import THING as MEDIA_THING
from sartiq.media.references import upload_to
from sartiq.resources import ManyRef, Ref, Resource, crud_services, replace_children, resource_create

MEDIA = Ref(MediaResource, MEDIA_THING, upload_to)


# --- resources ------------------------------------------------------------------------------------
# Image URL fields: a URL of the project's storage stands for its media resource (checked like an
# id) and sets the field's media twin; fields without a twin take outside URLs only.
SHOT_TYPE = Resource(models.ShotType, refs={"reference_image": MEDIA},
                     urls={"reference_image_url": "reference_image", "shot_type_ref_image_url": None})
POSE_PRESET = Resource(
    models.PosePreset, refs={"shot_type": Ref(models.ShotType, "Shot type"), "pose_image_media": MEDIA},
    urls={"pose_image_url": "pose_image_media"},
)
STYLE = Resource(models.Style, urls={"reference_image_url": None})
RESOLUTION_PRESET = Resource(models.ResolutionPreset)
BACKGROUND_PRESET = Resource(models.BackgroundPreset, urls={"image_url": None})
PRODUCT = Resource(
    models.Product,
    refs={"cover_image_media": MEDIA, "back_image_media": MEDIA},
    many={"reference_images_media": ManyRef("reference_images_media_ids", MediaResource, MEDIA_THING, upload_to)},
    urls={"cover_image_url": "cover_image_media", "back_image_url": "back_image_media"},
    url_lists={"reference_images": "reference_images_media_ids", "data_image_urls": None},
)
IMAGE_URL = {"image_url": "image_media"}
SET_DESIGN = Resource(
    models.SetDesign,
    refs={"background_preset": Ref(models.BackgroundPreset, "Background preset")},
    nested={
        "base_images": replace_children(
            "base_images", models.SetBaseImage,
            {"shot_type": Ref(models.ShotType, "Shot type"), "subject": Ref(models.Subject, "Subject"), "image_media": MEDIA},
            IMAGE_URL,
        ),
        "reference_images": replace_children(
            "reference_images", models.SetReferenceImage,
            {"shot_type": Ref(models.ShotType, "Shot type"), "image_media": MEDIA}, IMAGE_URL,
        ),
        "subject_portraits": replace_children(
            "subject_portraits", models.SubjectPortrait,
            {"subject": Ref(models.Subject, "Subject"), "image_media": MEDIA}, IMAGE_URL,
        ),
    },
)
GUIDELINES = Resource(
    models.ShootingGuidelines,
    refs={
        "set_design": Ref(models.SetDesign, "Set design"),
        "style": Ref(models.Style, "Style"),
        "resolution_preset": Ref(models.ResolutionPreset, "Resolution preset"),
        "background_preset": Ref(models.BackgroundPreset, "Background preset"),
    },
    many={
        "shot_types": ManyRef("shot_type_ids", models.ShotType, "Shot type"),
        "subjects": ManyRef("subject_ids", models.Subject, "Subject"),
        "pose_presets": ManyRef("pose_preset_ids", models.PosePreset, "Pose preset"),
    },
)


def _write_measurements(subject, values, user, organization_id):
    if values is None:
        models.SubjectMeasurements.objects.filter(subject=subject).delete()
    else:
        models.SubjectMeasurements.objects.update_or_create(subject=subject, defaults=values)


SUBJECT = Resource(
    models.Subject,
    refs={"cover_image_media": MEDIA, "portrait_image_media": MEDIA},
    urls={"cover_image_url": "cover_image_media", "portrait_image_url": "portrait_image_media"},
    url_lists={"data_image_urls": None},
    nested={
        "base_images": replace_children(
            "base_images", models.SubjectBaseImage, {"shot_type": Ref(models.ShotType, "Shot type"), "image_media": MEDIA},
            IMAGE_URL,
        ),
        "measurements": _write_measurements,
    },
)


shot_type_create, shot_type_update, shot_type_delete = crud_services(SHOT_TYPE)
pose_preset_create, pose_preset_update, pose_preset_delete = crud_services(POSE_PRESET)
style_create, style_update, style_delete = crud_services(STYLE)
resolution_preset_create, resolution_preset_update, resolution_preset_delete = crud_services(RESOLUTION_PRESET)
background_preset_create, background_preset_update, background_preset_delete = crud_services(BACKGROUND_PRESET)
product_create, product_update, product_delete = crud_services(PRODUCT)
set_design_create, set_design_update, set_design_delete = crud_services(SET_DESIGN)
guidelines_create, guidelines_update, guidelines_delete = crud_services(GUIDELINES)
_, _subject_update, subject_delete = crud_services(SUBJECT)


def _unique_slug(name: str, owner, organization_id, exclude=None) -> str:
    base = slugify(name)[:200] or "subject"
    taken = set(
        models.Subject.objects.filter(owner=owner, organization_id=organization_id, slug__startswith=base)
        .exclude(pk=exclude).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def subject_create(*, user, organization_id, data):
    """A slug not given (or null, or empty) is derived from the name."""
    data = dict(data)
    slug = data.pop("slug", None) or _unique_slug(data["name"], user, organization_id)
    return resource_create(SUBJECT, user=user, organization_id=organization_id, data=data, slug=slug)


def subject_update(*, user, instance, data):
    """`slug: null` (or empty) derives the slug again from the name, as at creation."""
    if "slug" in data and not data["slug"]:
        data = {**data, "slug": _unique_slug(data.get("name") or instance.name, instance.owner_id,
                                             instance.organization_id, exclude=instance.pk)}
    return _subject_update(user=user, instance=instance, data=data)



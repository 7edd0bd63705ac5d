"""Writes for the catalog.

Every resource has `<thing>_create`, `<thing>_update` and `<thing>_delete`. They share one
mechanism: referenced ids (`shot_type_id`, `subject_ids`, ...) are resolved in one query per kind
with the tenancy rule (404 unknown, 403 not visible, 400 of another organization), scalar fields
are copied, nested lists replace what was there. Everything happens in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from django.db import models as dj_models
from django.db import transaction
from django.utils.text import slugify

from sartiq.accounts import tenancy
from sartiq.catalog import models
from sartiq.errors import PermissionDenied
from sartiq.media.models import MediaResource


@dataclass(frozen=True)
class Ref:
    """A foreign key given as `<name>_id` in the body."""

    model: type[dj_models.Model]
    thing: str


@dataclass(frozen=True)
class ManyRef:
    """A many-to-many given as `<ids_key>` (a list of ids) in the body."""

    ids_key: str
    model: type[dj_models.Model]
    thing: str


@dataclass(frozen=True)
class Resource:
    model: type[dj_models.Model]
    refs: dict[str, Ref] = field(default_factory=dict)  # model field name -> Ref
    many: dict[str, ManyRef] = field(default_factory=dict)  # m2m field name -> ManyRef
    # nested writers: body key -> function(instance, items, user, organization_id)
    nested: dict[str, Callable] = field(default_factory=dict)


MEDIA = Ref(MediaResource, "Media resource")


def _check_public(user, data: dict) -> None:
    """Only superusers publish to every user (`public=True`)."""
    if data.get("public") and not user.is_superuser:
        raise PermissionDenied("Only superusers can make a resource public")


def _write(resource: Resource, instance, data: dict, user, organization_id) -> None:
    data = dict(data)
    nested = {key: data.pop(key) for key in list(data) if key in resource.nested}
    many = {name: data.pop(spec.ids_key) for name, spec in resource.many.items() if spec.ids_key in data}
    for name, ref in resource.refs.items():
        key = f"{name}_id"
        if key in data:
            pk = data.pop(key)
            if pk is not None:
                tenancy.get_usable(ref.model.objects, pk, user, organization_id, ref.thing)
            setattr(instance, key, pk)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    for name, ids in many.items():
        spec = resource.many[name]
        objs = tenancy.get_many_usable(spec.model.objects, ids or [], user, organization_id, spec.thing)
        getattr(instance, name).set(objs)
    for key, items in nested.items():
        resource.nested[key](instance, items, user, organization_id)


@transaction.atomic
def _create(resource: Resource, *, user, organization_id, data: dict, **fixed: Any):
    tenancy.require_member(user, organization_id)
    _check_public(user, data)
    instance = resource.model(owner=user, organization_id=organization_id, **fixed)
    _write(resource, instance, data, user, organization_id)
    return instance


@transaction.atomic
def _update(resource: Resource, *, user, instance, data: dict):
    tenancy.check_change(user, instance)
    _check_public(user, data)
    _write(resource, instance, data, user, instance.organization_id)
    return instance


@transaction.atomic
def _delete(*, user, instance) -> None:
    tenancy.check_change(user, instance)
    instance.delete()


def _replace_children(related_name: str, child_model, refs: dict[str, Ref]):
    """A nested writer: the list given replaces the instance's children."""

    def write(instance, items, user, organization_id):
        items = items or []
        for ref_name, ref in refs.items():
            ids = [item[f"{ref_name}_id"] for item in items if item.get(f"{ref_name}_id")]
            tenancy.get_many_usable(ref.model.objects, ids, user, organization_id, ref.thing)
        getattr(instance, related_name).all().delete()
        fk = child_model._meta.get_field(child_model.tenant_path).attname
        child_model.objects.bulk_create([child_model(**{fk: instance.pk}, **item) for item in items])

    return write


# --- resources ------------------------------------------------------------------------------------
SHOT_TYPE = Resource(models.ShotType, refs={"reference_image": MEDIA})
POSE_PRESET = Resource(
    models.PosePreset, refs={"shot_type": Ref(models.ShotType, "Shot type"), "pose_image_media": MEDIA}
)
STYLE = Resource(models.Style)
RESOLUTION_PRESET = Resource(models.ResolutionPreset)
BACKGROUND_PRESET = Resource(models.BackgroundPreset)
PRODUCT = Resource(
    models.Product,
    refs={"cover_image_media": MEDIA, "back_image_media": MEDIA},
    many={"reference_images_media": ManyRef("reference_images_media_ids", MediaResource, "Media resource")},
)
SET_DESIGN = Resource(
    models.SetDesign,
    refs={"background_preset": Ref(models.BackgroundPreset, "Background preset")},
    nested={
        "base_images": _replace_children(
            "base_images", models.SetBaseImage,
            {"shot_type": Ref(models.ShotType, "Shot type"), "subject": Ref(models.Subject, "Subject"), "image_media": MEDIA},
        ),
        "reference_images": _replace_children(
            "reference_images", models.SetReferenceImage,
            {"shot_type": Ref(models.ShotType, "Shot type"), "image_media": MEDIA},
        ),
        "subject_portraits": _replace_children(
            "subject_portraits", models.SubjectPortrait,
            {"subject": Ref(models.Subject, "Subject"), "image_media": MEDIA},
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
    nested={
        "base_images": _replace_children(
            "base_images", models.SubjectBaseImage, {"shot_type": Ref(models.ShotType, "Shot type"), "image_media": MEDIA}
        ),
        "measurements": _write_measurements,
    },
)


def crud_services(resource: Resource):
    """The create, update and delete services of a resource, as named functions below."""

    def create(*, user, organization_id, data):
        return _create(resource, user=user, organization_id=organization_id, data=data)

    def update(*, user, instance, data):
        return _update(resource, user=user, instance=instance, data=data)

    def delete(*, user, instance):
        _delete(user=user, instance=instance)

    return create, update, delete


shot_type_create, shot_type_update, shot_type_delete = crud_services(SHOT_TYPE)
pose_preset_create, pose_preset_update, pose_preset_delete = crud_services(POSE_PRESET)
style_create, style_update, style_delete = crud_services(STYLE)
resolution_preset_create, resolution_preset_update, resolution_preset_delete = crud_services(RESOLUTION_PRESET)
background_preset_create, background_preset_update, background_preset_delete = crud_services(BACKGROUND_PRESET)
product_create, product_update, product_delete = crud_services(PRODUCT)
set_design_create, set_design_update, set_design_delete = crud_services(SET_DESIGN)
guidelines_create, guidelines_update, guidelines_delete = crud_services(GUIDELINES)
_, subject_update, subject_delete = crud_services(SUBJECT)


def _unique_slug(name: str, owner, organization_id) -> str:
    base = slugify(name)[:200] or "subject"
    taken = set(
        models.Subject.objects.filter(owner=owner, organization_id=organization_id, slug__startswith=base)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def subject_create(*, user, organization_id, data):
    data = dict(data)
    slug = data.pop("slug", None) or _unique_slug(data["name"], user, organization_id)
    return _create(SUBJECT, user=user, organization_id=organization_id, data=data, slug=slug)



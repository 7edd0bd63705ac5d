"""Writes for shootings and looks."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from itertools import product as cartesian

from django.conf import settings
from django.db import transaction

from outfits import services as outfit_services
from sartiq.accounts import tenancy
from sartiq.accounts.models import User
from sartiq.catalog import models as catalog
from sartiq.catalog.choices import FileFormat, ProductGender
from sartiq.errors import BusinessRuleError, InvalidInput, NotFound, ValidationErrors
from sartiq.events.services import of_shooting, record, record_many
from sartiq.services import model_update
from shootings import selectors
from shootings.choices import ShootingLookStatus
from shootings.locking import lock_look, lock_shooting
from shootings.models import Shooting, ShootingLook
from shootings.transfer import shooting_transfer_apply, shooting_transfer_check
from shots import services as shot_services
from shots.models import Shot

SHOOTING_FIELDS = ("name", "description", "due_date", "archived", "season", "collection", "brand")


# --- shootings ----------------------------------------------------------------------------------
@transaction.atomic
def shooting_create(*, user: User, organization_id: uuid.UUID | None, data: dict) -> Shooting:
    """`organization_id` comes from the body or, failing that, the query."""
    organization_id = data.get("organization_id") or organization_id
    tenancy.require_member(user, organization_id)
    shooting = Shooting(owner=user, organization_id=organization_id,
                        **{k: data[k] for k in SHOOTING_FIELDS if k in data})
    if data.get("default_guidelines_id"):
        shooting.default_guidelines = tenancy.get_usable(
            catalog.ShootingGuidelines.objects, data["default_guidelines_id"], user, organization_id, "Guidelines"
        )
    shooting.save()
    record("shooting.created", of_shooting(shooting), {"name": shooting.name})
    return shooting


@transaction.atomic
def shooting_update(*, user: User, shooting: Shooting, data: dict) -> Shooting:
    """A partial update; a different `organization_id` transfers the shooting (`null` makes it the
    owner's personal shooting again): see shootings/transfer.py for who may and what must hold."""
    shooting = lock_shooting(shooting.pk)
    tenancy.check_change(user, shooting)
    organization_before = shooting.organization_id
    model_update(shooting, data, SHOOTING_FIELDS, not_null=("name", "archived"))
    if "default_guidelines_id" in data:
        if data["default_guidelines_id"] is not None:
            tenancy.get_visible(catalog.ShootingGuidelines.objects, data["default_guidelines_id"], user, "Guidelines")
        shooting.default_guidelines_id = data["default_guidelines_id"]  # its tenant is checked below
    if "organization_id" in data and data["organization_id"] != shooting.organization_id:
        target = data["organization_id"]
        moving = shooting_transfer_check(user=user, shooting=shooting, target=target)
        shooting_transfer_apply(shooting=shooting, target=target, media_ids=moving)
    if shooting.default_guidelines_id is not None and "default_guidelines_id" in data:
        tenancy.get_usable(catalog.ShootingGuidelines.objects, shooting.default_guidelines_id, user,
                           shooting.organization_id, "Guidelines")
    shooting.save()
    changes = {"fields": sorted(data)}
    if shooting.organization_id != organization_before:  # a transfer: its events from now on are the new tenant's
        changes["organization"] = {"from": organization_before and str(organization_before),
                                   "to": shooting.organization_id and str(shooting.organization_id)}
    if data:  # an empty update changes nothing
        record("shooting.updated", of_shooting(shooting), changes)
    return shooting


@transaction.atomic
def shooting_delete(*, user: User, shooting: Shooting) -> None:
    """Delete the shooting with its looks, shots, revisions and outfits; the revisions' stored
    images are removed once the transaction commits."""
    shooting = lock_shooting(shooting.pk, delete=True)  # before the cascade locks the children
    tenancy.check_change(user, shooting)
    record("shooting.deleted", of_shooting(shooting), {"name": shooting.name})
    with shot_services.media_released_after(shots=Shot.objects.filter(shooting_look__shooting=shooting)):
        shooting.delete()


# --- look creation --------------------------------------------------------------------------------
@dataclass
class LookDefaults:
    """What every new look of a request gets, after request and guidelines are combined."""

    style_id: uuid.UUID | None
    resolution_preset_id: uuid.UUID | None
    width: int | None
    height: int | None
    background_preset_id: uuid.UUID | None
    file_format: str
    instructions: str
    status: str
    set_design_id: uuid.UUID | None
    pose_preset_ids: list = field(default_factory=list)


def _compatible(subject_gender: str, product_gender: str, unisex_preference: str | None) -> bool:
    """MALE↔MALE, FEMALE↔FEMALE; UNISEX products with everyone unless the preference says otherwise."""
    if product_gender == ProductGender.UNISEX:
        return unisex_preference in (None, ProductGender.UNISEX) or unisex_preference == subject_gender
    return product_gender == subject_gender


def _resolve(user, organization_id, model, pk, thing):
    return None if pk is None else tenancy.get_usable(model.objects, pk, user, organization_id, thing).pk


@transaction.atomic
def looks_generate(*, user: User, shooting: Shooting, data: dict) -> tuple[list[uuid.UUID], list[dict]]:
    """Create one look per gender-compatible (subject, product) pair, one shot per shot type.

    Everything is written with bulk inserts in this transaction; outfit proposals and generations
    are handed to the workers after commit. Returns the new look ids and the generation results.
    """
    # The shooting locked first: a delete of it waits for these looks (and then removes them), or
    # wins and this is a 404, never a foreign-key violation at commit.
    shooting = lock_shooting(shooting.pk)
    tenancy.check_change(user, shooting)
    org = shooting.organization_id
    guidelines = shooting.default_guidelines
    configs = {c["product_id"]: c for c in data.get("product_outfit_configs") or []}

    # Products: ids, configured products and filters, in the order given, without repeats.
    product_ids = list(dict.fromkeys([*(data.get("product_ids") or []), *configs]))
    products = tenancy.get_many_usable(catalog.Product.objects, product_ids, user, org, "Product")
    if data.get("product_filters") is not None:
        known = {p.pk for p in products}
        try:
            matching = selectors.products_matching(user, org, data["product_filters"])
        except ValidationErrors as errors:
            raise errors.within("product_filters") from None
        products += [p for p in matching if p.pk not in known]
    if not product_ids and data.get("product_filters") is None:
        raise InvalidInput("Provide product_ids, product_outfit_configs or product_filters")

    subject_ids = data.get("subject_ids") or ([s.pk for s in guidelines.subjects.all()] if guidelines else [])
    shot_type_ids = data.get("shot_type_ids") or ([s.pk for s in guidelines.shot_types.all()] if guidelines else [])
    if not subject_ids:
        raise BusinessRuleError("No subjects: give subject_ids or set them in the shooting's guidelines")
    subjects = tenancy.get_many_usable(catalog.Subject.objects, subject_ids, user, org, "Subject")
    shot_types = tenancy.get_many_usable(catalog.ShotType.objects, shot_type_ids, user, org, "Shot type")

    pose_preset_ids = data.get("pose_preset_ids")
    if pose_preset_ids is None:
        pose_preset_ids = [p.pk for p in guidelines.pose_presets.all()] if guidelines else []
    tenancy.get_many_usable(catalog.PosePreset.objects, pose_preset_ids, user, org, "Pose preset")

    def pick(key, guideline_attr, model, thing):
        pk = data.get(key)
        if pk is None and guidelines is not None:
            pk = getattr(guidelines, guideline_attr)
        return _resolve(user, org, model, pk, thing)

    resolution_preset_id = pick("default_resolution_preset_id", "resolution_preset_id", catalog.ResolutionPreset,
                                "Resolution preset")
    explicit_size = data.get("default_width") is not None or data.get("default_height") is not None
    defaults = LookDefaults(
        style_id=pick("default_style_id", "style_id", catalog.Style, "Style"),
        resolution_preset_id=None if explicit_size and data.get("default_resolution_preset_id") is None else resolution_preset_id,
        width=data.get("default_width"),
        height=data.get("default_height"),
        background_preset_id=pick("default_background_preset_id", "background_preset_id", catalog.BackgroundPreset,
                                  "Background preset"),
        file_format=data.get("default_file_format") or (guidelines.file_format if guidelines else FileFormat.JPG),
        instructions=data.get("default_instructions") or "",
        status=data.get("status") or ShootingLookStatus.DRAFT,
        set_design_id=pick("set_design_id", "set_design_id", catalog.SetDesign, "Set design"),
        pose_preset_ids=pose_preset_ids,
    )
    # The configs' presets, one query per kind (their outfits are checked when they are created).
    for key, model, thing in (("style_id", catalog.Style, "Style"),
                              ("resolution_preset_id", catalog.ResolutionPreset, "Resolution preset"),
                              ("background_preset_id", catalog.BackgroundPreset, "Background preset")):
        tenancy.get_many_usable(model.objects, [c[key] for c in configs.values() if c.get(key)], user, org, thing)

    preference = data.get("unisex_gender_preference")
    pairs = [(s, p) for s, p in cartesian(subjects, products) if _compatible(s.gender, p.gender, preference)]
    _check_request_size(len(pairs), len(shot_types))
    looks = [_new_look(shooting, subject, product, defaults, configs.get(product.pk)) for subject, product in pairs]
    ShootingLook.objects.bulk_create(looks)
    _link_pose_presets(looks, defaults.pose_preset_ids)
    shots = shot_services.shots_create_for_looks(looks=looks, shot_types=shot_types)
    record_many("look.created", [(of_shooting(shooting, look_id=look.pk),
                                  {"product_id": str(look.product_id), "subject_id": str(look.subject_id),
                                   "shots": len(shot_types), "status": look.status}) for look in looks])

    # A product configured with an outfit gets it as THE outfit; the others may ask the stylist.
    configured = [look for look in looks if _has_outfit(configs.get(look.product_id, {}))]
    outfit_services.outfits_create_selected(
        user=user, looks_and_configs=[(look, configs[look.product_id]) for look in configured]
    )
    if data.get("generate_outfit"):
        configured_ids = {look.pk for look in configured}
        outfit_services.outfit_proposals_request(looks=[look for look in looks if look.pk not in configured_ids])
    generation_results = []
    if data.get("generate_base_images"):
        generation_results = shot_services.base_image_generations_request(shots=shots, user=user)
    return [look.pk for look in looks], generation_results


def _check_request_size(looks: int, shot_types: int) -> None:
    """One request creates a bounded amount of work: subjects x products x shot types would
    otherwise let a single call insert millions of rows."""
    if looks > settings.LOOKS_PER_REQUEST_MAX:
        raise BusinessRuleError(f"This request would create {looks} looks; at most "
                                f"{settings.LOOKS_PER_REQUEST_MAX} per request")
    if looks * shot_types > settings.SHOTS_PER_REQUEST_MAX:
        raise BusinessRuleError(f"This request would create {looks * shot_types} shots; at most "
                                f"{settings.SHOTS_PER_REQUEST_MAX} per request")


def _has_outfit(config: dict) -> bool:
    return bool(config.get("outfit_product_ids") or config.get("outfit_instruction") or config.get("outfit_ref_imgs_urls"))


def _new_look(shooting, subject, product, defaults: LookDefaults, config: dict | None) -> ShootingLook:
    config = config or {}
    resolution_preset_id = config.get("resolution_preset_id", defaults.resolution_preset_id)
    width, height = config.get("width", defaults.width), config.get("height", defaults.height)
    if config.get("resolution_preset_id"):
        width = height = None
    elif config.get("width") or config.get("height"):
        resolution_preset_id = None
    return ShootingLook(
        id=uuid.uuid4(),
        shooting=shooting,
        subject=subject,
        product=product,
        style_id=config.get("style_id") or defaults.style_id,
        resolution_preset_id=resolution_preset_id,
        width=width,
        height=height,
        background_preset_id=config.get("background_preset_id") or defaults.background_preset_id,
        file_format=config.get("file_format") or defaults.file_format,
        instructions=defaults.instructions,
        status=defaults.status,
        set_design_id=defaults.set_design_id,
    )


def _link_pose_presets(looks: list[ShootingLook], pose_preset_ids: list) -> None:
    through = ShootingLook.pose_presets.through
    through.objects.bulk_create([through(shootinglook_id=look.pk, posepreset_id=pose_id)
                                 for look in looks for pose_id in pose_preset_ids])


# --- look updates ---------------------------------------------------------------------------------
LOOK_REFS = {
    "subject_id": (catalog.Subject, "Subject"),
    "product_id": (catalog.Product, "Product"),
    "style_id": (catalog.Style, "Style"),
    "resolution_preset_id": (catalog.ResolutionPreset, "Resolution preset"),
    "background_preset_id": (catalog.BackgroundPreset, "Background preset"),
}


@transaction.atomic
def look_update(*, user: User, look: ShootingLook, data: dict) -> ShootingLook:
    """Apply a ShootingLookUpdate. `resolution_preset_id` and `width`/`height` clear each other;
    `shot_type_ids` adds and removes shots so that the look has exactly those shot types."""
    look = lock_look(look.pk)
    tenancy.check_change(user, look)
    status = look.status
    org = look.shooting.organization_id
    for key, (model, thing) in LOOK_REFS.items():
        if key in data:
            setattr(look, key, _resolve(user, org, model, data[key], thing))
    if data.get("resolution_preset_id"):
        look.width = look.height = None
    for key in ("width", "height"):
        if key in data:
            setattr(look, key, data[key])
            if data[key] is not None:
                look.resolution_preset_id = None
    model_update(look, data, ("file_format", "status"), not_null=("file_format", "status"))
    if "outfit_id" in data:
        look.outfit_id = outfit_services.outfit_for_look(look=look, outfit_id=data["outfit_id"])
    if "assignee_id" in data:
        look.assignee_id = _assignee(look, data["assignee_id"])
    look.save()
    if data.get("shot_type_ids") is not None:
        shot_types = tenancy.get_many_usable(catalog.ShotType.objects, data["shot_type_ids"], user, org, "Shot type")
        shot_services.shots_match_shot_types(look=look, shot_types=shot_types)
    changes = {"fields": sorted(data)}
    if look.status != status:
        changes.update({"from": status, "to": look.status})
    if data:
        record("look.updated", of_shooting(look.shooting, look_id=look.pk), changes)
    return look


def _assignee(look: ShootingLook, user_id) -> uuid.UUID | None:
    """An assignee must be able to see the look: the owner of a personal shooting, a member of
    the shooting's organization, or a superuser."""
    if user_id is None:
        return None
    assignee = User.objects.filter(pk=user_id).first()
    if assignee is None:
        raise NotFound("User")
    if not tenancy.can_change(assignee, look):
        raise BusinessRuleError("The assignee cannot access this shooting")
    return assignee.pk


@transaction.atomic
def look_delete(*, user: User, look: ShootingLook) -> None:
    look = lock_look(look.pk, delete=True)  # before the cascade locks the children
    tenancy.check_change(user, look)
    record("look.deleted", of_shooting(look.shooting, look_id=look.pk))
    with shot_services.media_released_after(shots=Shot.objects.filter(shooting_look=look)):
        look.delete()

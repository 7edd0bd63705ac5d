"""Moving a shooting to another organization (or back to its owner's personal space).

A transfer changes who sees everything under the shooting, so it is checked as two grants and a
re-check of every reference (issue 10, finding 5):
- the caller is ADMIN/OWNER of the organization the shooting leaves and of the one it joins (a
  personal side is the shooting's owner);
- every catalog object the tree points at (guidelines, subjects, products, outfit products, presets,
  set designs, pose presets, shot types) already serves the new audience (its own or public), and
  every look's assignee can see the new audience: otherwise the members of the target would see
  another tenant's catalog, so the transfer is refused and names the first offender;
- the images stored for the shooting (revision images and sketches, generation outputs, outfit
  reference images) move with it when nothing outside the shooting uses them; an image also used
  elsewhere stops the transfer;
- apps above shootings may refuse it too, through the `transfer_requested` signal (shootings does
  not import them): integrations refuses while pushes went to the current tenant's retailer
  integrations, whose records (integration, attempts) belong to the tenant the shooting leaves.
"""
from __future__ import annotations

import uuid

from django.db.models import Q
from django.dispatch import Signal

from outfits.models import Outfit, OutfitProduct
from sartiq.accounts import tenancy
from sartiq.accounts.models import User
from sartiq.catalog import models as catalog
from sartiq.errors import BusinessRuleError, PermissionDenied
from sartiq.media.models import MediaResource
from sartiq.media.services import media_referenced
from shootings.models import Shooting, ShootingLook
from shots.models import Prediction, Shot, ShotRevisionImage

transfer_requested = Signal()
"""Sent by `shooting_transfer_check` with `shooting` and `target` (an organization id, or None for
the owner's personal space), after the grants and catalog checks and before the media move: a
receiver in an app above shootings refuses the transfer by raising a DomainError."""


def _may_act_for(user: User, shooting: Shooting, organization_id) -> bool:
    if organization_id is None:
        return user.is_superuser or shooting.owner_id == user.pk
    return tenancy.is_admin_of(user, organization_id)


def _catalog_references(shooting: Shooting) -> list[tuple[type, str, set]]:
    """(model, thing, ids) of every catalog object the shooting's tree points at."""
    looks = ShootingLook.objects.filter(shooting=shooting)
    shots = Shot.objects.filter(shooting_look__shooting=shooting)

    def ids(queryset, field) -> set:
        return set(queryset.exclude(**{f"{field}__isnull": True}).values_list(field, flat=True).distinct())

    pose_links = ShootingLook.pose_presets.through.objects.filter(shootinglook__shooting=shooting)
    return [
        (catalog.ShootingGuidelines, "Guidelines", {shooting.default_guidelines_id} - {None}),
        (catalog.Subject, "Subject", ids(looks, "subject_id")),
        (catalog.Product, "Product", ids(looks, "product_id")
         | ids(OutfitProduct.objects.filter(outfit__shooting_look__shooting=shooting), "product_id")),
        (catalog.Style, "Style", ids(looks, "style_id")),
        (catalog.ResolutionPreset, "Resolution preset", ids(looks, "resolution_preset_id")),
        (catalog.BackgroundPreset, "Background preset", ids(looks, "background_preset_id")),
        (catalog.SetDesign, "Set design", ids(looks, "set_design_id")),
        (catalog.PosePreset, "Pose preset", ids(pose_links, "posepreset_id") | ids(shots, "pose_preset_id")),
        (catalog.ShotType, "Shot type", ids(shots, "shot_type_id")),
    ]


def _stored_media_ids(shooting: Shooting) -> set[uuid.UUID]:
    images = ShotRevisionImage.objects.filter(shot_revision__shot__shooting_look__shooting=shooting)
    outfit_media = Outfit.outfit_ref_images_media.through.objects.filter(outfit__shooting_look__shooting=shooting)
    found = (set(images.values_list("image_media_id", flat=True))
             | set(images.values_list("sketch_image_media_id", flat=True))
             | set(Prediction.objects.filter(generation__shot__shooting_look__shooting=shooting)
                   .values_list("media_id", flat=True))
             | set(outfit_media.values_list("mediaresource_id", flat=True)))
    found.discard(None)
    return found


def _used_outside(media_ids: set, shooting: Shooting) -> set:
    """The media among `media_ids` that something outside the shooting's tree references (any
    relation to MediaResource, found generically by media_referenced)."""
    in_tree = {
        ShotRevisionImage: ShotRevisionImage.objects.filter(shot_revision__shot__shooting_look__shooting=shooting),
        Prediction: Prediction.objects.filter(generation__shot__shooting_look__shooting=shooting),
        Outfit.outfit_ref_images_media.through: Outfit.outfit_ref_images_media.through.objects.filter(
            outfit__shooting_look__shooting=shooting),
    }
    return media_referenced(media_ids, ignoring=in_tree)


def shooting_transfer_check(*, user: User, shooting: Shooting, target) -> list[uuid.UUID]:
    """Refuse the transfer (403/400) unless everything above holds; returns the ids of the media
    that move with the shooting."""
    source = shooting.organization_id
    if not (_may_act_for(user, shooting, source) and _may_act_for(user, shooting, target)):
        raise PermissionDenied()
    for model, thing, ids in _catalog_references(shooting):
        for obj in tenancy.with_tenant(model.objects.filter(pk__in=ids)):
            if not tenancy.in_audience(obj, target, shooting.owner_id):
                raise BusinessRuleError(f"{thing} {obj.pk} belongs to the shooting's current organization or "
                                        "owner; move or share it first")
    for assignee in User.objects.filter(pk__in=ShootingLook.objects.filter(shooting=shooting, assignee__isnull=False)
                                        .values("assignee_id")):
        allowed = assignee.is_superuser or (assignee.pk == shooting.owner_id if target is None
                                            else tenancy.is_member(assignee, target))
        if not allowed:
            raise BusinessRuleError(f"The assignee {assignee.pk} of a look cannot access the target; "
                                    "unassign the look first")
    transfer_requested.send(sender=Shooting, shooting=shooting, target=target)
    media_ids = _stored_media_ids(shooting)
    moving = []
    for media in MediaResource.objects.filter(pk__in=media_ids):
        if tenancy.in_audience(media, target, shooting.owner_id):
            continue
        if not tenancy.in_audience(media, source, shooting.owner_id):
            raise BusinessRuleError(f"Media resource {media.pk} does not belong to the shooting's tenant")
        moving.append(media.pk)
    shared = _used_outside(set(moving), shooting)
    if shared:
        raise BusinessRuleError(f"Media resource {sorted(map(str, shared))[0]} is also used outside this shooting; "
                                "it cannot be moved")
    return moving


def shooting_transfer_apply(*, shooting: Shooting, target, media_ids: list) -> None:
    """Move the shooting's own stored images with it (personal images go to the shooting's owner)."""
    values = {"organization_id": target}
    if target is None:
        values["owner_id"] = shooting.owner_id
    MediaResource.objects.filter(Q(pk__in=media_ids)).update(**values)
    shooting.organization_id = target

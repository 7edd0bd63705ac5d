"""The order in which writers lock a shooting's tree: shooting → look → shot(s) → (revision, push,
generation, media).

Every service that locks more than one level takes them top-down, one statement per level, in id
order within a level. A `select_for_update()` over a join would lock its rows in the order the
query names the tables (a shot, then its look, then its shooting), which is bottom-up: an approval
(shot, look) and a look export (look, shots) then waited for each other forever, and PostgreSQL
broke the tie with a deadlock error, a 500. Deletes lock their root first too, since a cascade
deletes the children (and so locks them) before the parent.

Parents are locked `FOR NO KEY UPDATE`: writers of one tree wait for each other, while inserting a
child row (which only takes `KEY SHARE` on its parent) does not wait; a delete locks `FOR UPDATE`.
"""
from __future__ import annotations

from sartiq.errors import NotFound
from shootings.models import Shooting, ShootingLook
from shots.models import Shot


def _lock(queryset, *, delete: bool):
    return queryset.select_for_update(of=("self",), no_key=not delete)


def lock_shooting(shooting_id, *, delete: bool = False) -> Shooting:
    shooting = _lock(Shooting.objects.filter(pk=shooting_id), delete=delete).first()
    if shooting is None:
        raise NotFound("Shooting")
    return shooting


def lock_look(look_id, *, delete: bool = False) -> ShootingLook:
    """The look locked, after its shooting; the look's `shooting` is the locked row."""
    shooting_id = ShootingLook.objects.filter(pk=look_id).values_list("shooting_id", flat=True).first()
    if shooting_id is None:
        raise NotFound("Look")
    shooting = lock_shooting(shooting_id)
    look = _lock(ShootingLook.objects.filter(pk=look_id), delete=delete).first()
    if look is None:  # deleted while this request waited
        raise NotFound("Look")
    look.shooting = shooting
    return look


def lock_shot(shot_id, *, delete: bool = False) -> Shot:
    """The shot locked, after its look and shooting; `shot.shooting_look(.shooting)` are the locked rows."""
    look_id = Shot.objects.filter(pk=shot_id).values_list("shooting_look_id", flat=True).first()
    if look_id is None:
        raise NotFound("Shot")
    look = lock_look(look_id)
    shot = _lock(Shot.objects.filter(pk=shot_id), delete=delete).first()
    if shot is None:
        raise NotFound("Shot")
    shot.shooting_look = look
    return shot


def lock_shots(look: ShootingLook, *, delete: bool = False) -> list[Shot]:
    """The look's shots locked in id order (the look is already locked), with their current revisions."""
    return list(_lock(Shot.objects.filter(shooting_look=look), delete=delete)
                .select_related("current_revision").order_by("pk"))

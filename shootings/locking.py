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

The levels are declared on the models (`lock_parent`, `lock_name`) and locked by
`sartiq.locking.lock`, which the lower apps (shots, outfits) call through their own foreign keys.
"""
from __future__ import annotations

from sartiq.locking import lock, lock_rows
from shootings.models import Shooting, ShootingLook
from shots.models import Shot


def lock_shooting(shooting_id, *, delete: bool = False) -> Shooting:
    return lock(Shooting, shooting_id, delete=delete)


def lock_look(look_id, *, delete: bool = False) -> ShootingLook:
    """The look locked, after its shooting; the look's `shooting` is the locked row."""
    return lock(ShootingLook, look_id, delete=delete)


def lock_shot(shot_id, *, delete: bool = False) -> Shot:
    """The shot locked, after its look and shooting; `shot.shooting_look(.shooting)` are the locked rows."""
    return lock(Shot, shot_id, delete=delete)


def lock_shots(look: ShootingLook, *, delete: bool = False) -> list[Shot]:
    """The look's shots locked in id order (the look is already locked), with their current revisions."""
    return list(lock_rows(Shot.objects.filter(shooting_look=look), delete=delete)
                .select_related("current_revision").order_by("pk"))

"""Shots: created per shot type of a look, updated, deleted, approved and rejected (the status
machine of contract §3 on the current revision)."""
from __future__ import annotations

import uuid

from django.db import transaction

from sartiq.accounts import tenancy
from sartiq.catalog.models import ShotType
from sartiq.errors import BusinessRuleError, Conflict, InvalidInput
from sartiq.events.services import record, record_each
from sartiq.locking import lock, relock
from sartiq.services import model_update
from shots.choices import REVIEWABLE, RejectionReason, ShotStatus
from shots.events import of_shot, status_change, status_of
from shots.models import Shot, ShotRevision
from shots.services.images import media_released_after
from shots.services.revisions import revision_of


def shots_create_for_looks(*, looks, shot_types) -> list[Shot]:
    """One shot per shot type for each look, in one insert."""
    shots = [Shot(id=uuid.uuid4(), shooting_look_id=look.pk, shot_type_id=shot_type.pk)
             for look in looks for shot_type in shot_types]
    Shot.objects.bulk_create(shots)
    return shots


@transaction.atomic
def shots_match_shot_types(*, look, shot_types) -> None:
    """Add and remove the look's shots so that it has exactly one per given shot type."""
    wanted = {shot_type.pk: shot_type for shot_type in shot_types}
    existing = {shot.shot_type_id: shot for shot in Shot.objects.filter(shooting_look=look, shot_type__isnull=False)}
    removed = [shot.pk for type_id, shot in existing.items() if type_id not in wanted]
    if removed:
        with media_released_after(shots=Shot.objects.filter(pk__in=removed)):
            Shot.objects.filter(pk__in=removed).update(current_revision=None)
            Shot.objects.filter(pk__in=removed).delete()
    shots_create_for_looks(looks=[look], shot_types=[st for type_id, st in wanted.items() if type_id not in existing])


def _check_shot_type_free(look_id, shot_type_id, exclude_shot=None) -> None:
    taken = Shot.objects.filter(shooting_look_id=look_id, shot_type_id=shot_type_id)
    if exclude_shot is not None:
        taken = taken.exclude(pk=exclude_shot)
    if taken.exists():
        raise BusinessRuleError("The look already has a shot of this shot type")


@transaction.atomic
def shot_create(*, user, look, shot_type_id=None) -> Shot:
    look = relock(look)  # two shots of one shot type at once: the second sees the first
    tenancy.check_change(user, look)
    if shot_type_id is not None:
        tenancy.get_usable(ShotType.objects, shot_type_id, user, look.shooting.organization_id, "Shot type")
        _check_shot_type_free(look.pk, shot_type_id)
    shot = Shot.objects.create(shooting_look=look, shot_type_id=shot_type_id)
    record("shot.created", of_shot(shot), {"shot_type_id": str(shot_type_id) if shot_type_id else None})
    return shot


@transaction.atomic
def shot_update(*, user, shot, data: dict) -> Shot:
    """ShotUpdate: the current revision must be one of the shot's; counters are not negative."""
    shot = lock(Shot, shot.pk)
    tenancy.check_change(user, shot)
    previous = shot.current_revision_id
    if "current_revision_id" in data:
        shot.current_revision_id = revision_of(shot, data["current_revision_id"], "current_revision_id")
    if "shot_type_id" in data:
        shot_type_id = data["shot_type_id"]
        if shot_type_id is not None:
            tenancy.get_usable(ShotType.objects, shot_type_id, user, shot.shooting_look.shooting.organization_id,
                               "Shot type")
            _check_shot_type_free(shot.shooting_look_id, shot_type_id, exclude_shot=shot.pk)
        shot.shot_type_id = shot_type_id
    model_update(shot, data, ("rework_available", "rework_used"), not_null=("rework_available", "rework_used"))
    shot.save()
    events = [("shot.updated", of_shot(shot), {"fields": sorted(data)})] if data else []
    if shot.current_revision_id != previous:
        events += status_change(shot, status_of(previous), status_of(shot.current_revision_id), "shot.updated")
    record_each(events)
    return shot


@transaction.atomic
def shot_delete(*, user, shot) -> None:
    shot = lock(Shot, shot.pk, delete=True)
    tenancy.check_change(user, shot)
    record("shot.deleted", of_shot(shot))
    with media_released_after(shots=Shot.objects.filter(pk=shot.pk)):
        Shot.objects.filter(pk=shot.pk).update(current_revision=None)
        shot.delete()


# A reviewer's note as an event shows it (the revision keeps it whole).
NOTE_MAX = 1000


def _current(shot) -> ShotRevision | None:
    return ShotRevision.objects.select_for_update().filter(pk=shot.current_revision_id).first()


def _under_review(user, shot, verb: str) -> tuple[Shot, ShotRevision]:
    """The shot locked, the caller allowed to change it, and its current revision, which must be in a
    reviewable status (a shot without one is PENDING)."""
    shot = lock(Shot, shot.pk)
    tenancy.check_change(user, shot)
    revision = _current(shot)
    status = revision.shot_status if revision else ShotStatus.PENDING
    if status not in REVIEWABLE:
        raise BusinessRuleError(f"A shot in status {status} cannot be {verb}")
    return shot, revision


@transaction.atomic
def shot_approve(*, user, shot) -> Shot:
    """PROPOSAL, REVIEW or POST_PROD → APPROVED (on the current revision, and so the shot)."""
    shot, revision = _under_review(user, shot, "approved")
    status = revision.shot_status
    revision.shot_status = ShotStatus.APPROVED
    revision.save(update_fields=["shot_status", "updated_at"])
    record("shot.approved", of_shot(shot, revision_id=revision.pk),
           {"from": status, "to": revision.shot_status, "rework_used": shot.rework_used,
            "rework_left": shot.rework_available})
    return shot


def _rejection_reasons(reasons) -> list[str]:
    """`reasons` as stored: RejectionReason values, each once, in the order given (422 for another)."""
    known = set(RejectionReason.values)
    cleaned = list(dict.fromkeys(str(getattr(reason, "value", reason)) for reason in reasons or ()))
    for index, reason in enumerate(cleaned):
        if reason not in known:
            *others, last = (repr(value) for value in RejectionReason.values)
            raise InvalidInput(f"Input should be {', '.join(others)} or {last}", ("reasons", index), input_=reason)
    return cleaned


@transaction.atomic
def shot_reject(*, user, shot, notes: str | None = None, reasons=()) -> Shot:
    """PROPOSAL or REVIEW → REJECTED, POST_PROD → POST_PROD_REJECTED, using one rework (409 when
    none is left). Notes are added to the current revision's; the reasons (RejectionReason values,
    for the review report) are stored on it."""
    reasons = _rejection_reasons(reasons)
    shot, revision = _under_review(user, shot, "rejected")
    status = revision.shot_status
    if shot.rework_available <= 0:
        raise Conflict("No rework left for this shot")
    shot.rework_available -= 1
    shot.rework_used += 1
    shot.save(update_fields=["rework_available", "rework_used", "updated_at"])
    revision.shot_status = ShotStatus.POST_PROD_REJECTED if status == ShotStatus.POST_PROD else ShotStatus.REJECTED
    if notes:
        revision.notes = f"{revision.notes}\n{notes}" if revision.notes else notes
    revision.rejection_reasons = reasons
    revision.save(update_fields=["shot_status", "notes", "rejection_reasons", "updated_at"])
    record("shot.rejected", of_shot(shot, revision_id=revision.pk),
           {"from": status, "to": revision.shot_status, "note": (notes or "")[:NOTE_MAX], "reasons": reasons,
            "rework_used": shot.rework_used, "rework_left": shot.rework_available})
    return shot

"""Exports of approved revisions (one, or a look's) to the integrations their product is mapped
to: push records, handed to the push worker (integrations/pushing.py) after commit; re-pushes."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations import selectors
from integrations.choices import PUSH_ACTIVE_OR_DONE, PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration
from integrations.pushing import record_about_push
from integrations.tasks import push_image
from sartiq.accounts import tenancy
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.events.services import of_shooting, record
from sartiq.locking import lock, lock_tree, relock
from shootings.locking import lock_shots
from shots.choices import ShotStatus
from shots.events import of_shot
from shots.models import Shot, ShotRevision


@dataclass
class ExportCount:
    created: int = 0
    skipped: int = 0


def _export(revision: ShotRevision, integrations) -> tuple[ExportCount, list[uuid.UUID]]:
    """One push per integration for the revision; completed or in-flight pushes are skipped,
    failed ones are started again. The caller holds the look's and the shot's locks."""
    count, to_push, new = ExportCount(), [], []
    existing = {p.integration_id: p for p in ExternalImagePush.objects.select_for_update().filter(revision=revision)}
    for integration in integrations:
        push = existing.get(integration.pk)
        if push is not None and push.push_status in PUSH_ACTIVE_OR_DONE:
            count.skipped += 1
        elif push is None:
            new.append(ExternalImagePush(id=uuid.uuid4(), revision=revision, integration=integration))
        else:
            ExternalImagePush.objects.filter(pk=push.pk).update(push_status=PushStatus.PENDING, error_message=None,
                                                               updated_at=timezone.now())
            count.created += 1
            to_push.append(push.pk)
    if new:
        # The locks make a conflict impossible among exports; should a push appear by another way,
        # it is counted as skipped rather than failing the request (INSERT ... ON CONFLICT DO NOTHING).
        ExternalImagePush.objects.bulk_create(new, ignore_conflicts=True)
        inserted = set(ExternalImagePush.objects.filter(pk__in=[p.pk for p in new]).values_list("pk", flat=True))
        count.created += len(inserted)
        count.skipped += len(new) - len(inserted)
        to_push += [p.pk for p in new if p.pk in inserted]
    return count, to_push


def _enqueue(push_ids) -> None:
    ids = [str(pk) for pk in push_ids]
    if ids:
        transaction.on_commit(lambda: [push_image.delay(pk) for pk in ids])


def _mapped_integrations(look) -> list[ExternalIntegration]:
    """The enabled integrations of the look's own tenant that map its product (never another
    tenant's, even for a public product)."""
    integrations = [m.integration for m in selectors.look_mappings(look).filter(integration__enabled=True)]
    if not integrations:
        raise BusinessRuleError("The product has no mapping to an external integration")
    return integrations


# Exports lock the tree top-down as every writer of it does (sartiq/locking.py): the shooting
# and the look, so that exports of one look (by a revision or by the whole look) run one after the
# other (a revision and its look exported at once inserted the same push twice, or deadlocked),
# then the shot(s), so that an approval, rejection, restore or deletion waits for the export or
# the export for it, then the pushes.
@transaction.atomic
def revision_export(*, user, revision: ShotRevision) -> ExportCount:
    """Export an APPROVED revision to every integration its product is mapped to."""
    shot = lock(Shot, revision.shot_id)
    look = shot.shooting_look
    revision = ShotRevision.objects.select_related("shot__shooting_look__shooting").filter(pk=revision.pk).first()
    if revision is None:  # deleted while this request waited
        raise NotFound("Revision")
    tenancy.check_change(user, revision)
    if revision.shot_status != ShotStatus.APPROVED:
        raise BusinessRuleError(f"Only an APPROVED revision can be exported (this one is {revision.shot_status})")
    count, push_ids = _export(revision, _mapped_integrations(look))
    _enqueue(push_ids)
    if count.created:  # an export that starts no push changes nothing
        record("export.started", of_shot(shot, revision_id=revision.pk),
               {"pushes": count.created, "skipped": count.skipped})
    return count


@dataclass
class LookExportCount(ExportCount):
    processed: int = 0
    revisions_skipped: int = 0


@transaction.atomic
def look_export(*, user, look) -> LookExportCount:
    """Export the current revision of every APPROVED shot of the look; others are skipped."""
    look = relock(look)
    tenancy.check_change(user, look)
    integrations = _mapped_integrations(look)
    total, push_ids = LookExportCount(), []
    shots = sorted(lock_shots(look), key=lambda shot: (shot.created_at, shot.pk))
    for shot in shots:
        revision = shot.current_revision
        if revision is None or revision.shot_status != ShotStatus.APPROVED:
            total.revisions_skipped += 1
            continue
        count, ids = _export(revision, integrations)
        total.processed += 1
        total.created += count.created
        total.skipped += count.skipped
        push_ids += ids
    _enqueue(push_ids)
    if total.created:
        record("export.started", of_shooting(look.shooting, look_id=look.pk),
               {"pushes": total.created, "skipped": total.skipped, "revisions": total.processed,
                "revisions_skipped": total.revisions_skipped})
    return total


@transaction.atomic
def push_retry(*, user, push: ExternalImagePush) -> ExternalImagePush:
    """A manual re-push of a FAILED push (same idempotency key: the retailer files it once)."""
    tenancy.check_change(user, push)
    problem = selectors.push_target_problem(push)
    if problem:
        raise BusinessRuleError(problem)
    failed = ExternalImagePush.objects.filter(pk=push.pk, push_status=PushStatus.FAILED)
    lock_tree(failed)  # the shooting before the push (sartiq/locking.py)
    if not failed.update(push_status=PushStatus.PENDING, error_message=None, updated_at=timezone.now()):
        raise BusinessRuleError(f"Only a FAILED push can be pushed again (this one is {push.push_status})")
    _enqueue([push.pk])
    record_about_push("export.started", push.pk, {"pushes": 1, "retry": True})
    push.refresh_from_db()
    return push



"""Claims: how a worker takes one row of work (a generation, an outfit proposal, a push) so that
duplicate messages and dead workers change nothing. See docs/async.md.

A row is claimed by one UPDATE that sets a fresh `claim_token` and a `lease_until`; every later
write of the worker is filtered on that token. A worker that cannot claim the row learns whether
another holds a live lease (then it looks again when the lease ends, taking over if the holder
died) or whether there is nothing to do.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sartiq.locking import lock_tree


@dataclass
class Outcome:
    """What a worker's run came to; the task turns it into a retry or a result."""

    state: str  # "completed", "awaiting", "failed", "busy", "transient", "skipped"
    retry_in: float = 0
    error: str | None = None


def lease_end():
    return timezone.now() + timedelta(seconds=settings.WORK_LEASE_SECONDS)


def claim(rows: QuerySet, *, claimable: Callable[[object], Q], held: Q, **values) -> uuid.UUID | Outcome:
    """Claim the row of `rows` (one pk) if `claimable(now)`, setting `values` with the token and
    lease. Otherwise "busy" (another worker holds it: `held` and a lease) or "skipped"."""
    token, now = uuid.uuid4(), timezone.now()
    with transaction.atomic():
        lock_tree(rows)  # top-down, as the tree's other writers (sartiq/locking.py)
        claimed = rows.filter(claimable(now)).update(claim_token=token, lease_until=lease_end(), updated_at=now,
                                                     **values)
    if claimed:
        return token
    row = rows.filter(held).values("lease_until").first()
    if row is not None and row["lease_until"] is not None:
        return Outcome("busy", retry_in=max(1.0, (row["lease_until"] - now).total_seconds() + 1))
    return Outcome("skipped")


def release(rows: QuerySet, **values) -> int:
    """End the claim on `rows` (already filtered on the token), writing `values`."""
    with transaction.atomic():
        lock_tree(rows)
        return rows.update(**{"claim_token": None, "lease_until": None, "updated_at": timezone.now(), **values})


def stale(rows: QuerySet, *, waiting: Q, running: Q, older_than_seconds: int = 300):
    """Ids for the sweepers: rows `waiting` untouched for a while (a lost message) or `running`
    past their lease (a dead worker). Sending them again is harmless: claims decide. A waiting row
    with a `lease_until` was handed back until then (an engine's Retry-After): not before."""
    now = timezone.now()
    waited = Q(updated_at__lt=now - timedelta(seconds=older_than_seconds)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    return rows.filter((waiting & waited) | (running & Q(lease_until__lt=now))).values_list("pk", flat=True)


def sweep(task, ids) -> int:
    """The body of every sweeper task: send `task` again for each id (`stale(...)`); returns how many."""
    ids = [str(pk) for pk in ids]
    for pk in ids:
        task.delay(pk)
    return len(ids)


def backoff(retries: int) -> float:
    """Exponential backoff: base, 2x base, 4x base... capped at one hour."""
    return min(3600.0, settings.WORK_RETRY_BACKOFF_SECONDS * (2 ** retries))


def finish(task, outcome: Outcome, give_up: Callable[[str], None]) -> str:
    """The retry policy of every work task: look again when a live claim ends; retry transient
    errors with backoff up to WORK_MAX_RETRIES, then `give_up(reason)`; else return the state."""
    if outcome.state == "busy":
        raise task.retry(countdown=outcome.retry_in)
    if outcome.state == "transient":
        if task.request.retries >= settings.WORK_MAX_RETRIES:
            give_up(f"Gave up after {task.request.retries + 1} attempts: {outcome.error}")
            return "failed"
        raise task.retry(countdown=backoff(task.request.retries))
    return outcome.state

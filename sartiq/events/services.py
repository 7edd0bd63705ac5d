"""Recording events: `record(...)` in the transaction of the change it describes (docs/events.md).

Every service that changes state calls it; nothing else writes events (no signals): an event
is recorded exactly when its change commits, and not at all when it rolls back.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from sartiq.events import actors
from sartiq.events.models import Event


class EventOutsideTransaction(RuntimeError):
    """`record` was called where no transaction holds the change (a bug: the event could outlive a
    change that failed)."""


@dataclass(frozen=True)
class Subject:
    """What an event is about: the ids it names and the tenant who may read it."""

    owner_id: object = None
    organization_id: object = None
    shooting_id: object = None
    look_id: object = None
    shot_id: object = None
    revision_id: object = None
    generation_id: object = None
    push_id: object = None


def of_shooting(shooting, **ids) -> Subject:
    """A subject under `shooting` (any object with `pk`, `owner_id`, `organization_id`)."""
    return Subject(owner_id=shooting.owner_id, organization_id=shooting.organization_id, shooting_id=shooting.pk,
                   **ids)


def record(type: str, subject: Subject, data: dict | None = None) -> Event:
    return record_each([(type, subject, data)])[0]


def record_many(type: str, items: list[tuple[Subject, dict | None]]) -> list[Event]:
    """One insert for many events of one type (a bulk change), all by the current actor."""
    return record_each([(type, subject, data) for subject, data in items])


def record_each(entries: list[tuple[str, Subject, dict | None]]) -> list[Event]:
    """One insert for events of several types: a change and what it implies (a new revision and
    the shot's new status), all by the current actor."""
    if not connection.in_atomic_block:
        raise EventOutsideTransaction(f"{', '.join(type for type, _, _ in entries)} recorded outside a transaction")
    actor = actors.current()
    events = [Event(type=type, actor_type=actor.type, actor_id=actor.id, actor_name=actor.name[:255],
                    owner_id=subject.owner_id, organization_id=subject.organization_id,
                    shooting_id=subject.shooting_id, look_id=subject.look_id, shot_id=subject.shot_id,
                    revision_id=subject.revision_id, generation_id=subject.generation_id,
                    push_id=subject.push_id, data=data or {})
              for type, subject, data in entries]
    if not events:
        return []
    created = Event.objects.bulk_create(events)
    for hook in _after_commit:
        ids = [event.pk for event in created]
        transaction.on_commit(AfterRecorded(hook, ids))
    return created


# Called after commit with the new events' ids (the webhook fan-out registers itself here).
_after_commit: list = []


class AfterRecorded:
    """The after-commit call of an `on_recorded` hook with the new events' ids (a type of its own,
    so that a test counting what a service sends after commit can tell it from the rest)."""

    def __init__(self, hook, ids):
        self.hook, self.ids = hook, ids

    def __call__(self):
        self.hook(self.ids)


def on_recorded(hook) -> None:
    if hook not in _after_commit:
        _after_commit.append(hook)

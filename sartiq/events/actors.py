"""Who caused a change, for the event log: set where a request or a task begins, read by `record`.

- An API request: the authenticated user (`user`); a request to the admin: `staff`. The
  middleware (`ActorMiddleware`) keeps the request for the time of the request only, and the user
  is read when an event is recorded (DRF authenticates inside the view).
- A worker: `system`, unless it says otherwise.
- An engine's webhook or a retailer's callback: `acting(Actor("provider", name="fashn"))`, which
  overrides the request's user (they have none).
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

USER, STAFF, SYSTEM, PROVIDER, RETAILER = "user", "staff", "system", "provider", "retailer"
ACTOR_TYPES = (USER, STAFF, SYSTEM, PROVIDER, RETAILER)


@dataclass(frozen=True)
class Actor:
    type: str
    id: uuid.UUID | None = None
    name: str = ""


SYSTEM_ACTOR = Actor(SYSTEM)
_explicit: ContextVar[Actor | None] = ContextVar("sartiq_actor", default=None)
_request: ContextVar[object | None] = ContextVar("sartiq_actor_request", default=None)


@contextmanager
def acting(actor: Actor):
    """Record the events of this block as `actor`'s."""
    token = _explicit.set(actor)
    try:
        yield actor
    finally:
        _explicit.reset(token)


def current() -> Actor:
    actor = _explicit.get()
    if actor is not None:
        return actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        staff = request.path.startswith("/admin/")
        return Actor(STAFF if staff else USER, user.pk, getattr(user, "email", "") or "")
    return SYSTEM_ACTOR


class ActorMiddleware:
    """Keeps the request for `current()` during the request, and forgets it after (a thread of a
    sync worker serves many requests: nothing may carry over)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)

"""Helpers every app's services share."""
from __future__ import annotations

from collections.abc import Iterable

from sartiq.errors import InvalidInput


def model_update(instance, data: dict, fields: Iterable[str] | None = None, *, not_null: Iterable[str] = ()) -> list[str]:
    """Set on `instance` each of `fields` (default: every key of `data`) that `data` holds, in that
    order; a field of `not_null` given as None is a 422 naming it. Returns the names set. Saving is
    the caller's: most services change more than these fields before they save."""
    not_null = set(not_null)
    updated = []
    for name in data if fields is None else fields:
        if name in data:
            if name in not_null and data[name] is None:
                raise InvalidInput(f"{name} cannot be null", (name,))
            setattr(instance, name, data[name])
            updated.append(name)
    return updated

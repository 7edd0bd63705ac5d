"""Domain errors raised by services and selectors.

Services know nothing of HTTP; the API's exception handler turns these into the contract's
`{"detail": ...}` bodies, and admin actions turn them into messages.
"""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_message = "Bad request"

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    """The object does not exist: `NotFound("Shooting")` reads "Shooting not found"."""

    status_code = 404

    def __init__(self, thing: str = "Item", message: str | None = None):
        super().__init__(message or f"{thing} not found")


class PermissionDenied(DomainError):
    status_code = 403
    default_message = "Not enough permissions"


class BusinessRuleError(DomainError):
    """A request that is well formed but breaks a rule of the domain."""

    status_code = 400


class Conflict(DomainError):
    status_code = 409
    default_message = "Conflict"


class TooManyRequests(DomainError):
    """A throttle said no; `retry_after` seconds until it would say yes (the Retry-After header)."""

    status_code = 429
    default_message = "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


class InvalidInput(DomainError):
    """Input that breaks a rule its declared shape cannot state; answered as a 422 like a Pydantic
    validator's. `field` names the input by its path in the request (`("images", 0, "image_url")`;
    empty: the whole body), `source` where it came from: the body unless said otherwise ("query",
    "header"). The API layer turns them into Pydantic's `loc` (sartiq/api/errors.py)."""

    status_code = 422

    def __init__(self, message: str, field: tuple = (), *, source: str = "body", input_=None):
        self.field = tuple(field)
        self.source = source
        self.input = input_
        super().__init__(message)


class ValidationErrors(DomainError):
    """Several input errors already in Pydantic's shape (e.g. from validating a nested filter set).
    With `field`, each error's `loc` is relative to that field of the body (see `within`)."""

    status_code = 422

    def __init__(self, errors: list[dict], *, field: tuple | None = None):
        self.errors = errors
        self.field = field
        super().__init__("Validation error")

    def within(self, *field) -> ValidationErrors:
        """These errors, located inside the body's `field` (their locs relative to it)."""
        return ValidationErrors(self.errors, field=(*field, *(self.field or ())))

"""The API's exception handler: FastAPI-compatible bodies for every error."""
from __future__ import annotations

import logging
import math
from http import HTTPStatus

from django.apps import apps
from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, OperationalError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from sartiq import errors as domain
from sartiq.api.validation import RequestValidationError, value_error

logger = logging.getLogger(__name__)
NOT_AUTHENTICATED = "Not authenticated"
INVALID_CREDENTIALS = "Could not validate credentials"


def _detail(status_code: int, detail, headers: dict | None = None) -> Response:
    return Response({"detail": detail}, status=status_code, headers=headers)


def request_error(exc: Exception) -> tuple[int, str] | None:
    """Status and detail of a request Django refuses to read (a body or query beyond the limits in
    the settings, a suspicious name): a client error, never a server error."""
    if isinstance(exc, RequestDataTooBig):
        return 413, f"Request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes"
    if isinstance(exc, TooManyFieldsSent):  # Starlette's words for its form limit
        return 400, f"Too many fields. Maximum number of fields is {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."
    if isinstance(exc, TooManyFilesSent):
        return 400, f"Too many files. Maximum number of files is {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    if isinstance(exc, SuspiciousOperation):
        return 400, HTTPStatus.BAD_REQUEST.phrase
    return None


# PostgreSQL's codes of a transaction that lost a race: deadlock, serialization failure; and the
# constraints a concurrent write can break: a foreign key (its row deleted meanwhile), a unique value
# (taken meanwhile). Other integrity errors (NOT NULL, CHECK) are bugs and stay 500s.
RACE_CODES = {"40P01", "40001"}
CONSTRAINT_RACE_CODES = {"23503", "23505"}


def _race(exc) -> Response | None:
    """The net under the services' locks (docs/decisions.md, Robustness): a row a request works on
    deleted by another request meanwhile is a 404; a reference deleted meanwhile (a foreign key
    checked at commit), a unique value taken meanwhile or a deadlock is a 409 to try again. Logged,
    since each one names a race a service could close at its cause."""
    if isinstance(exc, ObjectDoesNotExist):
        logger.warning("a row vanished during the request: %s", exc)
        model = next((m for m in apps.get_models() if m.DoesNotExist is type(exc)), None)
        thing = str(model._meta.verbose_name).capitalize() if model else "Item"
        return _detail(404, f"{thing} not found")
    code = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
    if (isinstance(exc, IntegrityError) and code in CONSTRAINT_RACE_CODES) or (
            isinstance(exc, OperationalError) and code in RACE_CODES):
        logger.warning("a concurrent change conflicted with the request: %s", exc)
        return _detail(409, "The request conflicted with a concurrent change; try again")
    return None


def _messages(detail) -> list:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [detail]


def exception_handler(exc, context):
    race = _race(exc)
    if race is not None:
        set_rollback()
        return race
    if isinstance(exc, RequestValidationError):
        set_rollback()
        return Response({"detail": exc.errors}, status=422)
    if isinstance(exc, domain.ValidationErrors):
        set_rollback()
        errors = exc.errors if exc.field is None else [{**e, "loc": ["body", *exc.field, *e["loc"]]} for e in exc.errors]
        return Response({"detail": errors}, status=422)
    if isinstance(exc, domain.InvalidInput):
        # A service names the field; where it came from makes Pydantic's `loc`.
        set_rollback()
        return Response({"detail": [value_error((exc.source, *exc.field), exc.message, exc.input)]}, status=422)
    if isinstance(exc, domain.TooManyRequests):
        set_rollback()
        return _detail(exc.status_code, exc.message, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, domain.DomainError):
        set_rollback()
        return _detail(exc.status_code, exc.message)
    if isinstance(exc, exceptions.ValidationError):
        # DRF's own refusal (requests are validated by their models; none is expected): still
        # Pydantic-shaped, one value_error per message.
        set_rollback()
        return Response({"detail": [value_error(("body",), str(message), None)
                                    for message in _messages(exc.detail)]}, status=422)
    if isinstance(exc, exceptions.NotAuthenticated):
        return _detail(401, NOT_AUTHENTICATED, {"WWW-Authenticate": "Bearer"})
    if isinstance(exc, exceptions.AuthenticationFailed):
        return _detail(401, INVALID_CREDENTIALS, {"WWW-Authenticate": "Bearer"})
    if isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        return _detail(403, domain.PermissionDenied.default_message)
    if isinstance(exc, (exceptions.NotFound, Http404)):
        message = str(getattr(exc, "detail", "")) or "Not Found"
        return _detail(404, "Not Found" if message in ("Not found.", "No matches the given query.") else message)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _detail(405, "Method Not Allowed")
    if refused := request_error(exc):
        return _detail(*refused)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(math.ceil(exc.wait))
        return _detail(exc.status_code, exc.detail if isinstance(exc.detail, str) else str(exc.detail), headers)
    return None  # a server error: Django logs it; sartiq.api.middleware answers it in JSON

"""The API's exception handler: FastAPI-compatible bodies for every error."""
from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from sartiq import errors as domain
from sartiq.api.validation import drf_to_pydantic, value_error


class RequestValidationError(exceptions.APIException):
    """422 with Pydantic's error list; raised once per request with every error found."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "validation_error"

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(detail="Validation error")


NOT_AUTHENTICATED = "Not authenticated"
INVALID_CREDENTIALS = "Could not validate credentials"


def _detail(status_code: int, detail, headers: dict | None = None) -> Response:
    return Response({"detail": detail}, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, RequestValidationError):
        set_rollback()
        return Response({"detail": exc.errors}, status=422)
    if isinstance(exc, domain.ValidationErrors):
        set_rollback()
        return Response({"detail": exc.errors}, status=422)
    if isinstance(exc, domain.InvalidInput):
        set_rollback()
        return Response({"detail": [value_error(exc.loc, exc.message, exc.input)]}, status=422)
    if isinstance(exc, domain.TooManyRequests):
        set_rollback()
        return _detail(exc.status_code, exc.message, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, domain.DomainError):
        set_rollback()
        return _detail(exc.status_code, exc.message)
    if isinstance(exc, exceptions.ValidationError):
        # A serializer validated outside the view's request phase (rare): still Pydantic-shaped.
        set_rollback()
        return Response({"detail": drf_to_pydantic(exc.detail, None, None, ("body",))}, status=422)
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
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(math.ceil(exc.wait))
        return _detail(exc.status_code, exc.detail if isinstance(exc.detail, str) else str(exc.detail), headers)
    return None

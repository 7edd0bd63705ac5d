"""API paths answer JSON, whatever the error and whatever DEBUG is.

DRF's exception handler (sartiq.api.errors) answers the errors it knows. Everything else — an
unhandled exception (logged by Django as usual), an unknown path, a method a plain Django view
does not take, a request Django refuses before any view (a disallowed host) — would get Django's
HTML page, under DEBUG its debug page listing the settings. This middleware, the outermost, puts
`{"detail": "<reason>"}` in place of any such page under /api/. The admin and /docs keep HTML.
"""
from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse

from sartiq.api.errors import request_error

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiErrorsAsJson:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code >= 400 and is_api(request) and not _is_json(response):
            return _as_json(response)
        return response

    def process_exception(self, request, exception):
        """A request a plain Django view could not read (too large, too many fields): its 4xx."""
        if is_api(request) and (refused := request_error(exception)):
            status, detail = refused
            return JsonResponse({"detail": detail}, status=status)
        return None


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def _as_json(response) -> JsonResponse:
    try:
        reason = HTTPStatus(response.status_code).phrase
    except ValueError:
        reason = response.reason_phrase
    replacement = JsonResponse({"detail": reason}, status=response.status_code)
    for header, value in response.items():  # Allow, Retry-After, security headers...
        if header.lower() not in ("content-type", "content-length"):
            replacement[header] = value
    replacement.cookies = response.cookies
    # Django logged the error with its traceback already; it would log the replacement again.
    replacement._has_been_logged = getattr(response, "_has_been_logged", False)
    return replacement

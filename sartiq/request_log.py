"""One log line per request and per Celery task, tied together by a request id.

The request id comes from `X-Request-ID` when it is a sane token (a proxy or client chose it), or is
generated; the response carries it back. `RequestLogMiddleware` (outermost) keeps it in a context
variable for the request's duration, so every record logged meanwhile carries it (`ContextFilter`),
and the Celery signals below put it in the headers of every task the request enqueues, where the
worker reads it back: one id follows a request into the generation it started. The request's line
says method, path (secrets redacted: sartiq/log_redaction.py), route, status, duration, user and
organization ids; the task's says task name, id, outcome and duration.

Production writes JSON (python-json-logger), one object a line; under `make run` (DEBUG) the same
records are human-readable text (`LOG_FORMAT` overrides either).
"""
from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.utils.functional import empty
from pythonjsonlogger.json import JsonFormatter

from sartiq.api.routes import without_segment_lookaheads
from sartiq.log_redaction import redact

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
# What a request id may be when a client or proxy sends it: a short token (UUIDs, ULIDs, Heroku's
# and AWS's ids); anything else is replaced, so a log line cannot be forged or bloated through it.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@+=-]{8,128}")
_UUID = re.compile(r"[0-9a-fA-F-]{32,36}")
_ORGANIZATION_PARAM = re.compile(r"(?:^|&)organization_id=([0-9a-fA-F-]{32,36})(?=&|$)")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("sartiq_log_context", default=None)
request_logger = logging.getLogger("sartiq.request")
task_logger = logging.getLogger("sartiq.task")


def request_id_from(value: str | None) -> str:
    # fullmatch: `$` would let a trailing newline through, into the log line and the response header
    # (where Django refuses it: a 500).
    return value if value and _SANE_ID.fullmatch(value) else uuid.uuid4().hex


def _current() -> dict:
    return _context.get() or {}


def current_request_id() -> str | None:
    return _current().get("request_id")


class ContextFilter(logging.Filter):
    """Adds the current request id (and task) to every record; `-` outside any request or task."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current()
        if not hasattr(record, "request_id"):  # a handler before this one may have set it
            # Django logs a 4xx/5xx (`django.request`) after the middleware: the request knows its id.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id or context.get("request_id", "-")
        if "task_id" in context and not hasattr(record, "task_id"):
            record.task_id = context["task_id"]
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, request id and the record's extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)

    def process_log_record(self, log_data):
        # Django's `django.request` records carry the request object, whose repr shows the full URL
        # (signed tokens included): dropped, and every string redacted as the text format's message is.
        log_data.pop("request", None)
        for key, value in log_data.items():
            if isinstance(value, str):
                log_data[key] = redact(value)
        return super().process_log_record(log_data)


def _user_id(request) -> str | None:
    # Only a user someone already looked up: reading a lazy `request.user` would cost a session query.
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return str(user.pk) if getattr(user, "is_authenticated", False) else None


def _organization_id(request) -> str | None:
    # Read from the raw query string: parsing request.GET here could raise (too many fields) after
    # the layers that turn that into a 400 have answered.
    match = getattr(request, "resolver_match", None)
    value = match.kwargs.get("organization_id") if match else None
    if not value and (found := _ORGANIZATION_PARAM.search(request.META.get("QUERY_STRING", ""))):
        value = found.group(1)
    return value if value and _UUID.fullmatch(value) else None


def route_of(request) -> str:
    """The URL pattern that served the request (a bounded label: no ids), or `unmatched`."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return without_segment_lookaheads(match.route) if match.route else (match.view_name or "unmatched")


class RequestLogMiddleware:
    """Sets the request id, answers it in `X-Request-ID`, and logs the request's line when done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = _context.set({"request_id": request_id})
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            path = redact(request.get_full_path())
            request_logger.log(level, "%s %s %s %sms", request.method, path, response.status_code, duration_ms,
                               extra={"method": request.method, "path": path, "route": route_of(request),
                                      "status": response.status_code, "duration_ms": duration_ms,
                                      "user_id": _user_id(request), "organization_id": _organization_id(request)})
            return response
        finally:
            _context.reset(token)


# Celery: the request id travels in the task message's headers (connected in sartiq/celery.py).

def add_request_id_header(headers=None, **kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_started: dict[str, tuple[float, contextvars.Token]] = {}


def task_started(task_id=None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, TASK_HEADER, None) or (task.request.headers or {}).get(TASK_HEADER)
    token = _context.set({"request_id": request_id_from(request_id), "task_id": task_id})
    _task_started[task_id] = (time.perf_counter(), token)


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started, token = _task_started.pop(task_id, (None, None))
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    task_logger.log(logging.ERROR if state == "FAILURE" else logging.INFO, "task %s %s %sms", task.name, state,
                    duration_ms, extra={"task": task.name, "task_id": task_id, "state": state,
                                        "duration_ms": duration_ms})
    if token is not None:  # back to the context the task ran in (a request's, when run inline)
        _context.reset(token)


# Sentry: errors only, without personal data, with the same redaction as the logs.

def _redact_event(event, hint=None):
    request = event.get("request") or {}
    for key in ("url", "query_string"):
        if isinstance(request.get(key), str):
            request[key] = redact(request[key])
    request.pop("cookies", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in list(headers):
            if name.lower() in ("authorization", "cookie", "x-api-key"):
                headers[name] = "[redacted]"
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = redact(logentry[key])
    for crumb in (event.get("breadcrumbs") or {}).get("values", ()):
        _redact_breadcrumb(crumb)
    return event


def _redact_breadcrumb(crumb, hint=None):
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    data = crumb.get("data")
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                data[key] = redact(value)
    return crumb


def sentry_init(dsn: str, *, environment: str | None, traces_sample_rate: float) -> None:
    # Imported here: every process loads this module (LOGGING's formatter), most without a DSN, and
    # the SDK with its integrations costs a noticeable part of start-up.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=dsn, environment=environment, traces_sample_rate=traces_sample_rate,
                    send_default_pii=False, integrations=[DjangoIntegration(), CeleryIntegration()],
                    before_send=_redact_event, before_breadcrumb=_redact_breadcrumb)

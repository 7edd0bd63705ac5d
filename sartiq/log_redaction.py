"""Keeps bearer secrets that travel in URLs out of the logs.

Signed upload URLs (`/api/v1/uploads/<token>`) and signed media URLs (local `/media/<key>?e=..&s=..`,
`?signature=...`, `X-Amz-Signature=...`, `token=...`) grant access to whoever holds them until they expire; an access
log is read by more people than the API's clients. `redact()` replaces those parts of any text;
`RedactingGunicornLogger` applies it to gunicorn's access log, `RedactSecretsFilter` to Django's
log records (`django.request` logs the path of every 4xx/5xx, `django.server` runserver's lines).
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# The token segment of a local direct-upload URL (shots/uploads.py).
_UPLOAD_TOKEN = re.compile(r"(/api/v1/uploads/)[^/?#\s\"']+")
# Query parameters that carry a signature or token: s (local media URLs, sartiq/media/storage.py),
# signature, sig, token, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, access_token, ...
# (percent-encoded URLs included).
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&;\s\"']|%3F|%26)(?:[\w.-]*signature|sig|s|[\w.-]*token|x-amz-credential)=)[^&;#\s\"']*"
)
# Request headers gunicorn could be told to log (`%({authorization}i)s`).
_SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{x-api-key}i")


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(rf"\g<1>{REDACTED}", _UPLOAD_TOKEN.sub(rf"\g<1>{REDACTED}", text))


class RedactingGunicornLogger(Logger):
    """Gunicorn's logger with every access-log atom (request line, path, query, referer, ...) redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = REDACTED if key in _SECRET_HEADERS else redact(value)
        return atoms


class RedactSecretsFilter(logging.Filter):
    """Redacts the formatted message of a record (and drops its arguments, already merged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True

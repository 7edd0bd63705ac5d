"""Gunicorn's configuration for every deployment (`make run`, `make fuzz`, the Docker image):
`gunicorn -c python:sartiq.gunicorn_conf sartiq.wsgi --bind ... --workers ...`.

Besides the (optional) access log with secrets redacted, it makes the answers gunicorn writes itself (a
request line or header beyond its limits: 414, 431; a malformed request: 400) JSON in the
contract's `{"detail": ...}` shape, like every other answer of the API, instead of its HTML page.
Gunicorn has no setting for that page: its workers call `gunicorn.util.write_error`, so this module
replaces that one function when gunicorn loads it (before the workers fork). Written here because
no library does it; the replacement keeps the function's signature and its status line.
"""
from __future__ import annotations

import json

from gunicorn import util

from sartiq.config import env_bool

threads = 4
# Django logs one line per request itself (sartiq/request_log.py: JSON in production, with the
# request id); gunicorn's own access line, redacted too, only when asked for.
accesslog = "-" if env_bool("GUNICORN_ACCESS_LOG", False) else None
logger_class = "sartiq.log_redaction.RedactingGunicornLogger"


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error with a JSON body: `{"detail": "<reason>: <message>"}`."""
    body = json.dumps({"detail": f"{reason}: {mesg}" if mesg else reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    util.write_nonblock(sock, head + body)


util.write_error = write_json_error

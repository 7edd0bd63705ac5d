"""A real HTTP server on 127.0.0.1 whose answers a test scripts, standing in for an external service."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) leaves a broken pipe behind: expected, not news.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeService:
    """`routes` maps "METHOD /path" to a handler(request) -> (status, body, headers); bodies that are
    dicts are sent as JSON. Every request is recorded in `requests`."""

    def __init__(self):
        self.routes: dict[str, Callable] = {}
        self.requests: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body,
                           "raw": raw}
                service.requests.append(request)
                handler = service.routes.get(f"{self.command} {self.path.split('?')[0]}")
                status, payload, headers = handler(request) if handler else (404, {"error": "no route"}, {})
                data = json.dumps(payload).encode() if isinstance(payload, (dict, list)) else (payload or b"")
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", (headers or {}).get("Content-Type", "application/json"))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, key: str, handler: Callable):
        self.routes[key] = handler


def sequence(*answers):
    """A handler answering each call with the next answer (the last one repeats)."""
    answers = list(answers)

    def handler(request):
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            return answer(request)
        return answer

    return handler


def slow(seconds: float, answer):
    def handler(request):
        time.sleep(seconds)
        return answer

    return handler

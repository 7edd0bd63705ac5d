"""A real HTTP server on 127.0.0.1 whose answers a test scripts, standing in for an external service."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class _QuietServer(ThreadingHTTPServer):
    connections = 0  # TCP connections accepted (a refused outbound request must make none)

    def verify_request(self, request, client_address):
        self.connections += 1
        return True

    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) leaves a broken pipe behind: expected, not news.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def json_or_raw(raw: bytes):
    """A request's body as JSON when it is JSON, else its bytes (None when empty)."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


class ScriptedHandler(BaseHTTPRequestHandler):
    """The request handler of the test servers (here and in tests/engines/): reads the request's
    body, asks `answer(raw)` for (status, body, headers), and writes it: bytes as they are, None as
    nothing, anything else as JSON. `answer` returning None closes the connection unanswered (a
    server that is down mid-exchange)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, raw: bytes):
        raise NotImplementedError

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        answer = self.answer(self.rfile.read(length) if length else b"")
        if answer is None:
            self.close_connection = True
            return
        status, body, headers = answer
        headers = headers or {}
        data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            if name != "Content-Type":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class FakeService:
    """`routes` maps "METHOD /path" to a handler(request) -> (status, body, headers); bodies that are
    dicts are sent as JSON. Every request is recorded in `requests`, every connection counted in
    `connections`. It listens on 127.0.0.1 (or `host`, e.g. "::1"); `allowed` is its entry for
    OUTBOUND_ALLOWED_HOSTS."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Callable] = {}
        self.requests: list[dict] = []
        service = self

        class Handler(ScriptedHandler):
            def answer(self, raw):
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                           "body": json_or_raw(raw), "raw": raw}
                service.requests.append(request)
                handler = service.routes.get(f"{self.command} {self.path.split('?')[0]}")
                return handler(request) if handler else (404, {"error": "no route"}, {})

        server_class = _QuietServer
        if ":" in host:
            server_class = type("_QuietServer6", (_QuietServer,), {"address_family": socket.AF_INET6})
        self.server = server_class((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.allowed = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self.url = f"http://{self.allowed}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def connections(self) -> int:
        return self.server.connections

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


class RawService:
    """A TCP listener on 127.0.0.1 whose `handler(connection)` writes whatever bytes a test needs
    (a body without length, an answer dripped a byte at a time). Connections are counted."""

    def __init__(self, handler: Callable[[socket.socket], None]):
        self.handler, self.connections = handler, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.allowed, self.url = f"127.0.0.1:{self.port}", f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.stopped = threading.Event()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection):
        with connection:
            try:
                connection.recv(65536)  # the request (tests send small ones)
                self.handler(connection)
            except OSError:
                pass  # the client gave up: what the test is about

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        except OSError:
            pass
        self.listener.close()

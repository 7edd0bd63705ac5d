"""Helpers for tests that start real servers in other processes (gunicorn, a Celery worker, a
second web process): where the test database is, a free port on 127.0.0.1, and a gunicorn started
and stopped around a test."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test database as a DATABASE_URL, for a subprocess to use the same data."""
    db = connection.settings_dict
    host = quote(str(db["HOST"]), safe="") if db["HOST"] else "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{db['USER']}@{host}{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(arguments: list[str], env: dict, log: Path, headers: dict | None = None):
    """`python -m gunicorn sartiq.wsgi:application <arguments>` on a free port, its output in `log`;
    yields (base URL, process) once the health check answers 200 (sent with `headers`), and stops
    the process tree afterwards."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sartiq.wsgi:application", "--bind", f"127.0.0.1:{port}", *arguments],
            env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/api/v1/utils/health-check", headers=headers).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
            time.sleep(0.3)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        connection.close()

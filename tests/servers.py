"""Helpers for tests that start real servers in other processes (gunicorn, a Celery worker, a
second web process): where the test database is, and a free port on 127.0.0.1."""
from __future__ import annotations

import socket
from urllib.parse import quote

from django.db import connection


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

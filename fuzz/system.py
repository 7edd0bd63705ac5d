"""The system under fuzzing, started as `make run` starts it, in a throwaway directory.

Embedded PostgreSQL and Redis in a temporary data directory (the developer's `.data/` is never
touched), migrations, then gunicorn on 127.0.0.1 and a free port, a Celery worker and Celery beat
(`sartiq.run.process_commands`). A fake OVS retailer listens on 127.0.0.1 and is the only host the
system may call (`OUTBOUND_ALLOWED_HOSTS_ONLY`): nothing a fuzzer stores makes it call outside.
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables of the developer's environment that would point the system elsewhere than the
# throwaway servers, or change what it is (a remote provider, S3, a production configuration).
_INHERITED_PREFIXES = ("AWS_", "CELERY_", "DATABASE_", "IMAGE_PROVIDER", "LLM_", "REDIS_", "OUTBOUND_",
                       "RATE_LIMIT_", "SECRET_KEY", "INTEGRATION_SECRETS_KEY", "MEDIA_", "ALLOWED_HOSTS",
                       "DJANGO_SETTINGS_MODULE", "STYLIST", "PORT", "HOST", "SARTIQ_DATA_DIR", "HTTPS_ONLY",
                       "SECURE_", "SESSION_", "CSRF_", "NUM_PROXIES", "LOCAL_PROVIDER_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class System:
    """Context manager: the running system; `base_url`, `env`, `logs` (the processes' output)."""

    def __init__(self, *, keep: bool = False, workdir: Path | None = None):
        self.keep = keep
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sartiq-fuzz-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._pg = None
        self._redis = None
        self._retailer = None

    # --- start ---------------------------------------------------------------------------------
    def __enter__(self) -> System:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _environment(self) -> dict:
        env = {name: value for name, value in os.environ.items() if not name.startswith(_INHERITED_PREFIXES)}
        env.update({
            "SARTIQ_DATA_DIR": str(self.workdir),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "DEBUG": "1",  # as `make run` on the embedded servers
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "IMAGE_PROVIDER": "local",
            "STYLIST": "local",
            # Only the fake retailer may be called; everything else is refused before any lookup.
            "OUTBOUND_ALLOWED_HOSTS": self._retailer.allowed,
            "OUTBOUND_ALLOWED_HOSTS_ONLY": "1",
            # Throttles would answer most login and signup cases 429 before their logic runs; the
            # throttles have tests of their own (tests/test_login_throttle_redis.py).
            "AUTH_REQUESTS_PER_ADDRESS": "0",
            "LOGIN_FAILURES_PER_ACCOUNT": "0",
            # PBKDF2 at Django's cost makes each signup and login case take a core for a second.
            "FAST_PASSWORD_HASHER": "1",
            "WORK_RETRY_BACKOFF_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def _start(self) -> None:
        from fuzz.retailer import FakeRetailer

        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.keep:  # registered before pgserver's own exit handler, so it runs after it
            atexit.register(shutil.rmtree, self.workdir, ignore_errors=True)
        self._retailer = FakeRetailer().__enter__()
        self.retailer_url = self._retailer.url
        self.env = self._environment()
        os.environ["SARTIQ_DATA_DIR"] = str(self.workdir)  # read by sartiq.embedded when imported
        from sartiq import embedded

        self._pg, self.env["DATABASE_URL"] = embedded.start_postgres(data_dir=self.workdir / "pg")
        self._redis = embedded.start_redis(data_dir=self.workdir / "redis")
        self.env["REDIS_URL"] = self._redis.url
        python = sys.executable
        subprocess.run([python, str(BASE_DIR / "manage.py"), "migrate", "--noinput"], env=self.env, cwd=BASE_DIR,
                       check=True, stdout=subprocess.DEVNULL)
        from sartiq.run import process_commands

        for name, command in process_commands(self.env, Path(python).parent, self.workdir).items():
            self.logs[name] = self.workdir / f"{name}.log"
            with open(self.logs[name], "ab") as log:
                self.processes[name] = subprocess.Popen(command, env=self.env, cwd=BASE_DIR, stdout=log,
                                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"{self.base_url}/api/v1/utils/health-check/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"The web server did not answer within {timeout:.0f}s (log: {self.logs['web']})")

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"The {name} process exited ({process.returncode}); its log: {self.logs[name]}")

    # --- stop ----------------------------------------------------------------------------------
    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._redis is not None:
            self._redis.stop()
        if self._retailer is not None:
            self._retailer.__exit__(None, None, None)
        if self._pg is not None:
            self._pg.cleanup()  # stops the server: this process holds its only handle
            self._pg = None
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

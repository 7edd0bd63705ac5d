"""The memory of a real web worker serving the shooting detail.

gunicorn is started with the command `make run` uses (`sartiq.run.web_command`: sartiq/gunicorn_conf.py,
gthread workers of 4 threads) and one worker (WEB_CONCURRENCY=1: how many workers there are does
not change what one of them holds), on the bench database. After a small warm-up request (Django
loads its URLs, serializers and connection lazily), the worker serves the detail three times; its
resident memory is read from /proc before, after the first request and after the third (its
peak, VmHWM, since the worker started).
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bench.processes import resident_mib, stop
from sartiq.run import web_command

BASE_DIR = Path(__file__).resolve().parent.parent
DETAIL_REQUESTS = 3
# The documented bound of the worker's peak resident memory serving the detail (docs/performance.md):
# a fixed part (the worker with Django and the app loaded holds about 120 MiB) and a part per look
# (measured 2026-11-29 with the detail built from rows and the response freed once rendered: 323 MiB
# at 2,000 looks after 1 and after 3 requests, about 0.1 MiB per look), each with some 30 % to spare.
LIMIT_BASE_MIB = 160
LIMIT_PER_LOOK_MIB = 0.13


def worker_limit_mib(looks: int) -> float:
    return LIMIT_BASE_MIB + LIMIT_PER_LOOK_MIB * looks


@dataclass
class WorkerMemory:
    warm_mib: float  # resident after the warm-up request
    first_peak_mib: float  # peak after one detail request
    peak_mib: float  # peak after DETAIL_REQUESTS detail requests
    after_mib: float  # resident after them
    seconds: list[float]
    size: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory(pid: int) -> tuple[float, float]:
    measured = resident_mib(pid)
    if measured is None:  # no /proc: psutil's resident size, and no peak but what was seen
        rss = psutil.Process(pid).memory_info().rss / 2**20
        return rss, rss
    return measured


def measure_worker(*, shooting_id, token: str, workdir: Path) -> WorkerMemory:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per request among the figures
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}
    log = workdir / "gunicorn.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(web_command(env, Path(sys.executable).parent), env=env, cwd=BASE_DIR,
                                  stdout=output, stderr=subprocess.STDOUT)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
                try:
                    if http.get("/api/v1/utils/health-check").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
            (worker,) = psutil.Process(server.pid).children()
            assert http.get("/api/v1/shootings/?limit=1").status_code == 200
            warm, _ = _memory(worker.pid)
            seconds, peaks = [], []
            for _ in range(DETAIL_REQUESTS):
                started = time.perf_counter()
                response = http.get(f"/api/v1/shootings/{shooting_id}")
                seconds.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:300]
                size = len(response.content)
                del response
                peaks.append(_memory(worker.pid))
        return WorkerMemory(warm_mib=warm, first_peak_mib=peaks[0][1], peak_mib=peaks[-1][1], after_mib=peaks[-1][0],
                            seconds=seconds, size=size)
    finally:
        stop(server, timeout=30)


def report(measured: WorkerMemory, *, looks: int, limit_mib: float) -> list[str]:
    """Prints the figures; returns the failure (the peak beyond the limit), if any."""
    print(f"\nWeb worker (gunicorn as `make run` starts it, 1 worker) serving GET /api/v1/shootings/{{id}} "
          f"({looks} looks, {measured.size} bytes), {DETAIL_REQUESTS} times")
    print(f"  resident after warm-up {measured.warm_mib:.0f} MiB; peak after 1 request {measured.first_peak_mib:.0f} MiB, "
          f"after {DETAIL_REQUESTS} {measured.peak_mib:.0f} MiB (+{measured.peak_mib - measured.warm_mib:.0f}); "
          f"resident afterwards {measured.after_mib:.0f} MiB")
    print(f"  request seconds {', '.join(f'{s:.2f}' for s in measured.seconds)}; "
          f"limit {limit_mib:.0f} MiB ({'within' if measured.peak_mib <= limit_mib else 'EXCEEDED'})")
    if measured.peak_mib > limit_mib:
        return [f"the web worker's peak resident memory {measured.peak_mib:.0f} MiB exceeds {limit_mib:.0f} MiB"]
    return []

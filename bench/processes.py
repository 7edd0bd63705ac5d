"""What a process costs, from Linux's /proc where it tells.

- Resident memory now (VmRSS) and at its peak (VmHWM), for the web worker.
- The peak of Python allocations during one call (tracemalloc), for the in-process reads, whose
  resident size after the warm-up says nothing (the allocator keeps the memory of earlier requests).
- CPU time: this process's (`time.process_time`) plus that of its PostgreSQL backend
  (/proc/<pid>/schedstat, in nanoseconds). On a machine shared with other work, wall-clock times
  stretch with the load while CPU times barely move: they compare runs made at different moments.
"""
from __future__ import annotations

import re
import subprocess
import time
import tracemalloc
from pathlib import Path

_FIELD = re.compile(r"^(VmRSS|VmHWM):\s+(\d+) kB$", re.M)


def resident_mib(pid: int | str = "self") -> tuple[float, float] | None:
    """(resident MiB now, peak resident MiB) of `pid`, or None."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = {name: int(kb) / 1024 for name, kb in _FIELD.findall(status)}
    if len(fields) != 2:
        return None
    return fields["VmRSS"], fields["VmHWM"]


def _backend_pid() -> int | None:
    from django.db import connection

    raw = connection.connection
    return raw.info.backend_pid if raw is not None else None


def _on_cpu(pid: int) -> float | None:
    """Seconds `pid` has spent on a CPU, if it is a PostgreSQL process of this machine."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "postgres":
            return None
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class CpuClock:
    """CPU seconds spent by this process and its database backend between `start()` and `stop()`
    (None for the backend when the server is not on this machine)."""

    def start(self) -> None:
        self.pid = _backend_pid()
        self.backend = _on_cpu(self.pid) if self.pid else None
        self.own = time.process_time()

    def stop(self) -> tuple[float, float | None]:
        own = time.process_time() - self.own
        pid = _backend_pid()
        now = _on_cpu(pid) if pid else None
        if now is None:
            return own, None
        return own, now - (self.backend if pid == self.pid and self.backend is not None else 0.0)


def peak_allocated(action) -> tuple[float, float]:
    """(MiB allocated by Python at the peak of `action()` above what was allocated before it, seconds
    it took under tracemalloc). Unlike the resident size, this does not depend on what the allocator
    kept from earlier requests; it leaves out memory allocated outside Python's allocators."""
    tracemalloc.start()
    try:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, seconds


def stop(process, timeout: float = 30) -> None:
    """Terminate `process` (a Popen) and wait for it; kill it if it does not end in `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()

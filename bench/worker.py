"""Generations through a real worker, and where one generation's time goes.

1. Inputs as a tenant has them: a subject with a base image (an 832 x 1216 PNG cut-out) per shot
   type, products with a packshot (an 800 x 1000 JPEG on white), and a shooting whose looks (one
   per product, 4 shots each) are created by the look-creation service.
2. A `celery worker` started with the command of `make run` (`sartiq.run.process_commands`, its
   WORKER_CONCURRENCY prefork processes) on the embedded Redis the bench started. The generations
   are requested by the service the API uses (`generations_request`: one insert, one task each
   after commit) and the worker runs them with the local Pillow provider. Rate: generations per
   minute from the commit to the last `finished_at`. CPU: seconds each process spent meanwhile
   (the worker's pool and main process, the PostgreSQL backends of the bench database, Redis).
3. A few more generations run in this process one after the other (`generation_run`, as the task
   calls it), each stage timed by a wrapper and every query by Django's `execute_wrapper`: the
   claim and lease renewals of sartiq/work.py, reading the inputs, rendering, storing the result.
"""
from __future__ import annotations

import functools
import io
import math
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import psutil
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from bench.processes import CpuClock, stop
from sartiq.catalog.models import Product, ShotType, Subject, SubjectBaseImage
from sartiq.media.services import media_create_from_bytes
from sartiq.run import process_commands
from shootings.models import Shooting
from shootings.services import looks_generate
from shots import generation
from shots.choices import GenerationStatus
from shots.models import Generation, Shot
from shots.providers import LocalImageProvider
from shots.services import generations_request

DONE = [GenerationStatus.COMPLETED, GenerationStatus.FAILED, GenerationStatus.CANCELLED]
STALL_SECONDS = 120  # no generation finishing for this long: the worker is stuck, the bench fails
PACKSHOTS = 8


# --- inputs ---------------------------------------------------------------------------------------
def _textured(size, colour) -> Image.Image:
    """A surface with photographic noise (flat colours would make PNG encoding unrealistically cheap)."""
    return Image.blend(Image.new("RGB", size, colour), Image.effect_noise(size, 40).convert("RGB"), 0.2)


def figure_png() -> bytes:
    """A subject's base image: a figure on a transparent background."""
    width, height = 832, 1216
    figure = _textured((width, height), (196, 160, 140)).convert("RGBA")
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse([336, 40, 496, 230], fill=255)  # head
    draw.rounded_rectangle([236, 230, 596, 760], radius=60, fill=255)  # torso
    draw.rectangle([276, 760, 406, 1200], fill=255)  # legs
    draw.rectangle([426, 760, 556, 1200], fill=255)
    figure.putalpha(mask)
    buffer = io.BytesIO()
    figure.save(buffer, format="PNG")
    return buffer.getvalue()


def packshot_jpeg(index: int) -> bytes:
    """A product photographed on white."""
    image = Image.new("RGB", (800, 1000), (255, 255, 255))
    garment = _textured((520, 700), (40 + 25 * index, 80, 160 - 12 * index))
    mask = Image.new("L", garment.size, 0)
    ImageDraw.Draw(mask).polygon([(120, 0), (400, 0), (520, 180), (460, 700), (60, 700), (0, 180)], fill=255)
    image.paste(garment, (140, 150), mask)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def seed_inputs(user, count: int) -> list[Shot]:
    """`count` shots (4 per look) whose subject and products have real images."""
    shot_types = list(ShotType.objects.filter(owner=user).order_by("name"))
    subject = Subject.objects.create(owner=user, name="Worker subject", slug="worker-subject", gender="FEMALE")
    figure = figure_png()
    for shot_type in shot_types:
        SubjectBaseImage.objects.create(subject=subject, shot_type=shot_type,
                                        image_media=media_create_from_bytes(owner=user, data=figure))
    packshots = [packshot_jpeg(i) for i in range(PACKSHOTS)]
    products = [Product.objects.create(owner=user, name=f"Worker product {i}", sku=f"WRK{i:05d}", colour="navy",
                                       cover_image_media=media_create_from_bytes(owner=user, data=packshots[i % PACKSHOTS]))
                for i in range(math.ceil(count / len(shot_types)))]
    shooting = Shooting.objects.create(owner=user, name="Worker bench", due_date=timezone.now())
    looks_generate(user=user, shooting=shooting, data={
        "product_ids": [p.pk for p in products], "subject_ids": [subject.pk], "shot_type_ids": [s.pk for s in shot_types]})
    return list(Shot.objects.filter(shooting_look__shooting=shooting).order_by("shooting_look__product__sku",
                                                                                "shot_type__name"))[:count]


# --- processes and their CPU ----------------------------------------------------------------------
def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def _postgres() -> psutil.Process | None:
    """The PostgreSQL server (postmaster) of the bench database, when it runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        server = psutil.Process(backend).parent()
        return server if server is not None and "postgres" in server.name() else None
    except psutil.Error:
        return None


def _postgres_cpu(server: psutil.Process) -> float:
    """CPU seconds of the server, its processes and those it has reaped (a backend per connection:
    Celery's Django fixup closes the connection after every task, so most have ended)."""
    times = server.cpu_times()
    return (times.user + times.system + times.children_user + times.children_system
            + sum(map(_cpu, server.children())))


def _sessions() -> int | None:
    """Connections made to the bench database so far (PostgreSQL's own count, pg_stat_database;
    PostgreSQL 14 and later)."""
    try:
        with connection.cursor() as cursor:
            if connection.pg_version >= 150000:  # else the counts are flushed every second or so
                cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]
    except DatabaseError:
        return None


@dataclass
class Stages:
    """Seconds per stage and the time and number of its queries (a stage's figures include those
    of the stages inside it)."""

    seconds: dict = field(default_factory=lambda: defaultdict(float))
    cpu: dict = field(default_factory=lambda: defaultdict(float))  # this process's CPU seconds
    sql: dict = field(default_factory=lambda: defaultdict(float))
    queries: dict = field(default_factory=lambda: defaultdict(int))
    stack: list = field(default_factory=list)

    def wrap(self, name: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self.stack.append(name)
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.cpu[name] += time.process_time() - cpu
                self.stack.pop()

        return timed

    def execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            for name in set(self.stack) or {"other"}:
                self.sql[name] += time.perf_counter() - started
                self.queries[name] += 1


# The stages of shots/generation.py's generation_run, in its order; indented ones run inside the one above.
STAGES = [
    ("connect", connection, "ensure_connection", "connect to PostgreSQL (Celery closes it after every task)"),
    ("claim", generation, "claim", "claim (sartiq.work.claim: one UPDATE)"),
    ("inputs", generation, "build_request", "inputs (build_request: rows and input files)"),
    ("renew", generation, "_renew", "lease renewals with progress (4 UPDATEs)"),
    ("render", LocalImageProvider, "_render", "render (Pillow: decode, compose)"),
    ("encode", Image.Image, "save", "  of which PNG encoding (Image.save)"),
    ("complete", generation, "_complete", "store the result (one transaction)"),
    ("media", generation, "media_create_from_bytes", "  of which the media: inspect the image, write the file"),
    ("revision", generation, "revision_create", "  of which the revision"),
]


@dataclass
class Profile:
    fresh: bool  # a new database connection for each generation, as in the worker
    count: int
    seconds: float
    cpu: float  # this process
    db_cpu: float | None  # its PostgreSQL backends
    stages: Stages


@dataclass
class WorkerRun:
    count: int
    concurrency: int
    startup: float
    wall: float
    completed: int
    failed: int
    run_seconds: list
    waits: list
    cpu: dict  # name -> CPU seconds, None where it could not be read
    sessions: int | None  # database connections opened meanwhile
    profiles: list = field(default_factory=list)  # [new connection per generation, one connection]


def _wait_ready(worker: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while b" ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def _wait_done(ids: list, worker: subprocess.Popen, log: Path) -> None:
    done, last_change = 0, time.monotonic()
    while done < len(ids):
        time.sleep(0.5)
        now_done = Generation.objects.filter(pk__in=ids, status__in=DONE).count()
        if now_done != done:
            done, last_change = now_done, time.monotonic()
        if worker.poll() is not None or time.monotonic() - last_change > STALL_SECONDS:
            raise RuntimeError(f"{done} of {len(ids)} generations finished, then nothing:\n{log.read_text()[-3000:]}")


def measure(user, *, count: int, concurrency: int, profile_count: int, workdir: Path, redis_pid: int | None) -> WorkerRun:
    shots = seed_inputs(user, count + 2 * profile_count)
    env = {**os.environ, "WORKER_CONCURRENCY": str(concurrency)}
    log = workdir / "worker.log"
    started = time.monotonic()
    with open(log, "wb") as output:
        worker = subprocess.Popen(process_commands(env, Path(sys.executable).parent, workdir)["worker"], env=env,
                                  cwd=Path(__file__).resolve().parent.parent, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_ready(worker, log)
        startup = time.monotonic() - started
        main = psutil.Process(worker.pid)
        pool = main.children(recursive=True)
        redis = psutil.Process(redis_pid) if redis_pid else None
        postgres = _postgres()
        before = {"pool": sum(map(_cpu, pool)), "main": _cpu(main), "redis": _cpu(redis) if redis else 0.0,
                  "postgres": _postgres_cpu(postgres) if postgres else 0.0}
        sessions = _sessions()
        committed = timezone.now()
        with transaction.atomic():  # the tasks are sent when this commits
            ids = [g.pk for g in generations_request(shots=shots[:count], user=user)]
        _wait_done(ids, worker, log)
        cpu = {
            "worker pool": sum(map(_cpu, main.children(recursive=True))) - before["pool"],
            "worker main": _cpu(main) - before["main"],
            "PostgreSQL": _postgres_cpu(postgres) - before["postgres"] if postgres else None,
            "Redis": _cpu(redis) - before["redis"] if redis else None,
        }
        time.sleep(0.5)  # the backends of the last tasks report their session when they end
        sessions = None if sessions is None else _sessions() - sessions
    finally:
        stop(worker, timeout=60)
    rows = list(Generation.objects.filter(pk__in=ids).values("status", "created_at", "started_at", "finished_at"))
    completed = [r for r in rows if r["status"] == GenerationStatus.COMPLETED]
    last = max(r["finished_at"] for r in rows if r["finished_at"])
    run = WorkerRun(
        count=count, concurrency=concurrency, startup=startup, wall=(last - committed).total_seconds(),
        completed=len(completed), failed=len(rows) - len(completed),
        run_seconds=[(r["finished_at"] - r["started_at"]).total_seconds() for r in completed],
        waits=[(r["started_at"] - r["created_at"]).total_seconds() for r in completed], cpu=cpu, sessions=sessions)
    if profile_count:
        rest = shots[count:]
        run.profiles = [profile(user, rest[:profile_count], fresh=True),
                        profile(user, rest[profile_count:], fresh=False)]
    return run


def profile(user, shots: list[Shot], *, fresh: bool) -> Profile:
    """Run one generation per shot in this process, one after the other, timing each stage; with
    `fresh`, each on a new database connection, as Celery's Django fixup has it (it closes the
    connection after every task)."""
    generations = Generation.objects.bulk_create([Generation(shot=shot, requested_by=user) for shot in shots])
    stages, clock = Stages(), CpuClock()
    seconds, cpu, db_cpu = 0.0, 0.0, 0.0
    with ExitStack() as stack:
        for name, owner, attribute, _ in STAGES:
            stack.enter_context(mock.patch.object(owner, attribute, stages.wrap(name, getattr(owner, attribute))))
        stack.enter_context(connection.execute_wrapper(stages.execute))
        outcomes = []
        for one in generations:
            if fresh:
                connection.close()
            clock.start()
            started = time.perf_counter()
            connection.ensure_connection()  # the task's first query would connect
            outcomes.append(generation.generation_run(generation_id=one.pk).state)
            seconds += time.perf_counter() - started
            own, backend = clock.stop()
            cpu += own
            db_cpu = None if backend is None or db_cpu is None else db_cpu + backend
    assert outcomes == ["completed"] * len(generations), outcomes
    return Profile(fresh=fresh, count=len(generations), seconds=seconds, cpu=cpu, db_cpu=db_cpu, stages=stages)


def report(run: WorkerRun) -> list[str]:
    """Prints the figures; returns failures (a generation that did not complete)."""
    print(f"\nWorker: {run.count} generations (local Pillow provider) through `celery worker` as `make run` "
          f"starts it, WORKER_CONCURRENCY={run.concurrency}, embedded Redis")
    print(f"  ready in {run.startup:.1f} s; {run.completed} completed, {run.failed} failed, "
          f"{run.wall:.1f} s from the commit to the last: {run.count / run.wall * 60:.0f} generations/min")
    if run.run_seconds:
        runs, waits = sorted(run.run_seconds), sorted(run.waits)
        print(f"  one generation from its claim to its completion: median {statistics.median(runs):.2f} s, "
              f"max {runs[-1]:.2f} s; in the queue before: median {statistics.median(waits):.1f} s; the "
              f"{run.concurrency} processes held a generation {sum(runs) / (run.wall * run.concurrency):.0%} of the time")
    shown = ", ".join(f"{name} {'-' if seconds is None else f'{seconds / run.count:.3f}'}"
                      for name, seconds in run.cpu.items())
    spent = sum(s for s in run.cpu.values() if s)
    print(f"  CPU seconds per generation: {shown}; together {spent / run.wall:.2f} of the {os.cpu_count()} CPUs "
          f"busy; at this cost {os.cpu_count()} busy CPUs give at most {60 * os.cpu_count() * run.count / spent:.0f} generations/min")
    if run.sessions is not None:
        print(f"  database connections opened: {run.sessions / run.count:.1f} per generation")
    if run.profiles:
        print("In process, one generation after the other (ms per generation: elapsed, CPU here + in PostgreSQL)")
        for one in run.profiles:
            n = one.count
            db = "-" if one.db_cpu is None else f"{one.db_cpu / n * 1000:.0f}"
            print(f"  {'a new connection each, as in the worker' if one.fresh else 'one connection for all':<40} "
                  f"{one.seconds / n * 1000:>5.0f} ms, CPU {one.cpu / n * 1000:.0f} + {db} ms ({n} generations)")
        stages, n = run.profiles[0].stages, run.profiles[0].count
        print("  by stage, each on a new connection (ms: elapsed; CPU ms: this process's; SQL ms: waiting for queries):")
        print(f"  {'stage':<70} {'ms':>7} {'CPU ms':>7} {'SQL ms':>7} {'queries':>8}")
        for name, _, _, label in STAGES:
            print(f"  {label:<70} {stages.seconds[name] / n * 1000:>7.1f} {stages.cpu[name] / n * 1000:>7.1f} "
                  f"{stages.sql[name] / n * 1000:>7.1f} {stages.queries[name] / n:>8.1f}")
        label = "other queries (the generation read with its relations, the prompt)"
        print(f"  {label:<70} {'':>7} {'':>7} {stages.sql['other'] / n * 1000:>7.1f} {stages.queries['other'] / n:>8.1f}")
    return [f"{run.failed} of {run.count} generations did not complete"] if run.failed else []

"""`make bench`: seed a realistic shooting, then measure the reads, a web worker's memory, look
creation and the generation worker.

Seeds, in a throwaway database `sartiq_bench` of the embedded PostgreSQL (or of DATABASE_URL's
server): one shooting with default guidelines and `--looks` (200) looks x 4 shots x 3 revisions x 2
images, one push record per revision and 3 outfit proposals (2 products each) per look, plus
`--shootings` - 1 (20) other shootings without looks. Then runs the parts (`--only`, or `--quick`
for reads and create):

- reads: each main endpoint through Django's full stack in process (no network), `--runs` times:
  median and p95 latency, the CPU time of this process and its PostgreSQL backend (which the load
  of other work on the machine barely changes), queries, bytes, and the peak of Python allocations
  during one request (tracemalloc; bench/processes.py);
- memory: a real gunicorn web worker, started as `make run` starts it, serving the shooting detail:
  its resident memory before and at its peak, checked against `--max-worker-mib` (bench/web.py);
- create: one POST .../looks creating `--create-looks` looks x 4 shots (bench/creation.py);
- worker: `--generations` local (Pillow) generations through a real `celery worker` as `make run`
  starts it, WORKER_CONCURRENCY processes (2) on an embedded Redis: generations per minute, the CPU
  each process spent, and where one generation's time goes (bench/worker.py).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SHOTS, REVISIONS, IMAGES, PROPOSALS = 4, 3, 2, 3
PARTS = ("reads", "memory", "create", "worker")
QUICK_PARTS = ("reads", "create")


def production_settings() -> None:
    """The settings of a throwaway production system in this process (before `django.setup()`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartiq.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    # Production settings (DATABASE_URL is set) need a key for tenants' secrets: a throwaway one.
    os.environ.setdefault("INTEGRATION_SECRETS_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ["DEBUG"] = "0"
    os.environ["HTTPS_ONLY"] = "0"  # in process, over no network: no redirect to https
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"


def configure_database(name: str) -> None:
    import dj_database_url

    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"]
    else:
        from sartiq.embedded import start_postgres

        global _pg
        _pg, base = start_postgres()
    config = dj_database_url.parse(base)
    import psycopg

    with psycopg.connect(host=config["HOST"], port=config["PORT"] or None, user=config["USER"],
                         password=config["PASSWORD"] or None, dbname=config["NAME"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + f"/{name}"


def seed(looks_count: int = 200, shootings_count: int = 21):
    """The bench shape; `../shared/bench/seed_project.py` calls it without arguments (200 looks,
    21 shootings: the shape the peer seeds). Returns (user, the measured shooting)."""
    from django.utils import timezone

    from integrations.models import ExternalImagePush, ExternalIntegration
    from outfits.models import Outfit, OutfitProduct
    from sartiq.accounts.models import User
    from sartiq.catalog import models as c
    from shootings.models import Shooting, ShootingLook
    from shots.models import Shot, ShotRevision, ShotRevisionImage

    user = User.objects.create_user(email="bench@example.com", password="bench-password")
    shot_types = [c.ShotType.objects.create(owner=user, name=f"Type {i}") for i in range(SHOTS)]
    subjects = [c.Subject.objects.create(owner=user, name=f"Subject {i}", slug=f"s{i}", gender="FEMALE")
                for i in range(4)]
    for subject in subjects:
        c.SubjectBaseImage.objects.bulk_create([c.SubjectBaseImage(subject=subject, shot_type=st, image_url="/b.png")
                                                for st in shot_types])
    products = c.Product.objects.bulk_create([c.Product(owner=user, name=f"Product {i}", sku=f"SKU{i:05d}",
                                                        cover_image_url=f"/p/{i}.png") for i in range(looks_count + 50)])
    design = c.SetDesign.objects.create(owner=user, name="Studio")
    guidelines = c.ShootingGuidelines.objects.create(owner=user, name="Default", set_design=design)
    guidelines.shot_types.set(shot_types)
    guidelines.subjects.set(subjects)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    shooting = Shooting.objects.create(owner=user, name="Bench FW26", due_date=timezone.now(),
                                       default_guidelines=guidelines)
    # The others are newer: the first page of the list shows them, whatever their number.
    for start in range(0, shootings_count - 1, 5000):
        Shooting.objects.bulk_create([
            Shooting(owner=user, name=f"Other {i}", due_date=timezone.now(), default_guidelines=guidelines)
            for i in range(start, min(start + 5000, shootings_count - 1))])

    looks = ShootingLook.objects.bulk_create([
        ShootingLook(id=uuid.uuid4(), shooting=shooting, subject=subjects[i % 4], product=products[i], status="READY",
                     set_design=design, assignee=user) for i in range(looks_count)])
    shots = Shot.objects.bulk_create([Shot(id=uuid.uuid4(), shooting_look=look, shot_type=st)
                                      for look in looks for st in shot_types])
    statuses = ["PROPOSAL", "REVIEW", "APPROVED"]
    revisions, chains = [], {}
    for shot in shots:
        previous = None
        for version in range(1, REVISIONS + 1):
            revision = ShotRevision(id=uuid.uuid4(), shot=shot, version=version, shot_status=statuses[version - 1],
                                    previous_revision=previous, owner=user)
            revisions.append(revision)
            previous = revision
        chains[shot.pk] = previous
    ShotRevision.objects.bulk_create(revisions)
    for shot in shots:
        shot.current_revision = chains[shot.pk]
    Shot.objects.bulk_update(shots, ["current_revision"])
    ShotRevisionImage.objects.bulk_create([
        ShotRevisionImage(shot_revision=r, position=i, source_type="PREDICTION", image_url=f"/r/{r.pk}/{i}.png")
        for r in revisions for i in range(IMAGES)])
    ExternalImagePush.objects.bulk_create([
        ExternalImagePush(revision=r, integration=integration,
                          push_status="COMPLETED" if r.shot_status == "APPROVED" else "PENDING") for r in revisions])
    outfits = Outfit.objects.bulk_create([
        Outfit(id=uuid.uuid4(), shooting_look=look, source="STYLIST", generation_status="COMPLETED",
               outfit_instruction="Layered") for look in looks for _ in range(PROPOSALS)])
    OutfitProduct.objects.bulk_create([
        OutfitProduct(outfit=o, product=products[looks_count + (n + k) % 50], position=k)
        for n, o in enumerate(outfits) for k in range(2)])
    return user, shooting


def measure(client, url: str, runs: int):
    """(median ms, p95 ms, median CPU ms of this process and its database backend, queries, bytes,
    MiB Python allocated at the peak of one more request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.processes import CpuClock, peak_allocated

    timings, cpu, queries, size = [], [], None, 0
    client.get(url)  # warm-up
    clock = CpuClock()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            clock.start()
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            own, backend = clock.stop()
        cpu.append(None if backend is None else (own + backend) * 1000)
        assert response.status_code == 200, (url, response.content[:300])
        queries, size = len(ctx.captured_queries), len(response.content)
        del response
    timings.sort()
    peak, _ = peak_allocated(lambda: client.get(url))
    median_cpu = None if None in cpu else statistics.median(cpu)
    return (statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], median_cpu, queries, size,
            peak)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed requests per endpoint (reads)")
    parser.add_argument("--looks", type=int, default=200, help="looks of the measured shooting")
    parser.add_argument("--shootings", type=int, default=21, help="shootings in all, the measured one included")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"only {' and '.join(QUICK_PARTS)}: skip the web server and the worker")
    parser.add_argument("--max-worker-mib", type=float, default=None,
                        help="memory: fail when the web worker's peak resident memory exceeds this "
                             "(default: bench/web.py's limit for the number of looks)")
    parser.add_argument("--create-looks", type=int, default=500, help="looks created by one request (x 4 shots)")
    parser.add_argument("--create-runs", type=int, default=5, help="timed creation requests")
    parser.add_argument("--generations", type=int, default=200, help="generations run by the worker")
    parser.add_argument("--profile-generations", type=int, default=10,
                        help="generations run in process to see where the time goes")
    args = parser.parse_args(argv)
    parts = QUICK_PARTS if args.quick else tuple(p.strip() for p in args.only.split(",") if p.strip())
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}: choose among {', '.join(PARTS)}")
    if min(args.runs, args.looks, args.shootings, args.create_looks, args.create_runs, args.generations) < 1:
        parser.error("--runs, --looks, --shootings, --create-looks, --create-runs and --generations are at least 1")
    if args.profile_generations < 0:
        parser.error("--profile-generations is at least 0")
    args.parts = parts
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="sartiq-bench-"))
    production_settings()
    os.environ["MEDIA_ROOT"] = str(workdir / "media")  # generated images go away with the bench
    redis = None
    try:
        if "worker" in args.parts:  # the broker this process sends to, before the settings read REDIS_URL
            from sartiq.embedded import start_redis

            redis = start_redis(workdir / "redis")
            os.environ["REDIS_URL"] = redis.url
            os.environ.pop("CELERY_BROKER_URL", None)
        configure_database("sartiq_bench")
        return run_parts(args, workdir, redis)
    finally:
        if redis is not None:
            redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_parts(args, workdir: Path, redis) -> int:
    import django

    # Whitenoise's note that `collectstatic` never ran: the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from sartiq.api.auth import create_access_token

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, shooting = seed(args.looks, args.shootings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, on a live database
    seeded = time.perf_counter() - started
    token = create_access_token(user.pk)[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    print(f"Seeded {args.looks} looks x {SHOTS} shots x {REVISIONS} revisions x {IMAGES} images, "
          f"{args.shootings} shootings in {seeded:.1f}s")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f}")
    failures = []
    if "reads" in args.parts:
        page = min(args.looks, 200)
        endpoints = [
            "/api/v1/shootings/",
            "/api/v1/shootings/?limit=20",
            f"/api/v1/shootings/{shooting.pk}",
            f"/api/v1/shootings/{shooting.pk}/looks?limit={page}",
            f"/api/v1/shootings/{shooting.pk}/looks?limit=50",
            f"/api/v1/shootings/{shooting.pk}/looks-summary?limit={page}",
            "/api/v1/shootings/summary",
        ]
        print("\nReads, in process (CPU ms: median CPU time of this process and its PostgreSQL backend; "
              "peak MiB: allocated by Python at the peak of one request, tracemalloc)")
        print(f"{'endpoint':<62} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8} {'bytes':>10} "
              f"{'peak MiB':>9}")
        for url in endpoints:
            median, p95, cpu, queries, size, peak = measure(client, url, args.runs)
            label = url.replace(str(shooting.pk), "{id}")
            shown = "-" if cpu is None else f"{cpu:.1f}"
            print(f"{'GET ' + label:<62} {median:>10.1f} {p95:>8.1f} {shown:>8} {queries:>8} {size:>10} {peak:>9.1f}")
    if "memory" in args.parts:
        from bench import web

        limit = args.max_worker_mib if args.max_worker_mib is not None else web.worker_limit_mib(args.looks)
        failures += web.report(web.measure_worker(shooting_id=shooting.pk, token=token, workdir=workdir),
                               looks=args.looks, limit_mib=limit)
    if "create" in args.parts:
        from bench import creation

        creation.report(creation.measure(client, user, looks=args.create_looks, runs=args.create_runs))
    if "worker" in args.parts:
        from bench import worker

        concurrency = int(os.environ.get("WORKER_CONCURRENCY") or 2)
        failures += worker.report(worker.measure(user, count=args.generations, concurrency=concurrency,
                                                 profile_count=args.profile_generations, workdir=workdir,
                                                 redis_pid=redis.process.pid))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

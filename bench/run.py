"""`make bench`: seed a realistic shooting and time the main reads.

Seeds, in a throwaway database `sartiq_bench` of the embedded PostgreSQL (or of DATABASE_URL's
server): one shooting with default guidelines and 200 looks x 4 shots x 3 revisions x 2 images,
one push record per revision and 3 outfit proposals (2 products each) per look, plus 20 other
shootings. Then requests each endpoint through Django's full stack in process (no network),
`--runs` times, and prints the median and p95 latency and the number of queries.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SHOTS, REVISIONS, IMAGES, PROPOSALS = 4, 3, 2, 3


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


def seed(looks_count: int = 200):
    """The bench shape; `../shared/bench/seed_project.py` calls it without arguments (200 looks)."""
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
    for i in range(20):
        Shooting.objects.create(owner=user, name=f"Other {i}", due_date=timezone.now(), default_guidelines=guidelines)

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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, size = [], None, 0
    client.get(url)  # warm-up
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.content[:300])
        queries, size = len(ctx.captured_queries), len(response.content)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], queries, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--looks", type=int, default=200, help="looks of the measured shooting")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sartiq.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    # Production settings (DATABASE_URL is set below) need a key for tenants' secrets: a throwaway one.
    os.environ.setdefault("INTEGRATION_SECRETS_KEY", Fernet.generate_key().decode())
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ["DEBUG"] = "0"
    os.environ["HTTPS_ONLY"] = "0"  # in process, over no network: no redirect to https
    os.environ["ALLOWED_HOSTS"] = "testserver"
    configure_database("sartiq_bench")

    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from sartiq.api.auth import create_access_token

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    user, shooting = seed(args.looks)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, on a live database
    seeded = time.perf_counter() - started
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_access_token(user.pk)[0]}")
    endpoints = [
        "/api/v1/shootings/",
        f"/api/v1/shootings/{shooting.pk}",
        f"/api/v1/shootings/{shooting.pk}/looks?limit={min(args.looks, 200)}",
        f"/api/v1/shootings/{shooting.pk}/looks?limit=50",
        f"/api/v1/shootings/{shooting.pk}/looks-summary?limit={min(args.looks, 200)}",
        "/api/v1/shootings/summary",
    ]
    print(f"Seeded {args.looks} looks x {SHOTS} shots x {REVISIONS} revisions x {IMAGES} images in {seeded:.1f}s")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"{'endpoint':<62} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'bytes':>10}")
    for url in endpoints:
        median, p95, queries, size = measure(client, url, args.runs)
        label = url.replace(str(shooting.pk), "{id}")
        print(f"{'GET ' + label:<62} {median:>10.1f} {p95:>8.1f} {queries:>8} {size:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Creating many looks in one request: POST /api/v1/shootings/{id}/looks with `looks` products, one
subject and the 4 shot types (looks x 4 shots), in process through Django's full stack, each run
into a new empty shooting. The number of queries is also measured for 5 looks: it must be the same
(`shootings/tests/test_looks_api.py` asserts it for 2 and 40)."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sartiq.catalog.models import Product, ShotType, Subject
from shootings.models import Shooting, ShootingLook
from shots.models import Shot

FEW = 5


@dataclass
class Creation:
    looks: int
    shots: int
    seconds: list[float]
    queries: int
    few_queries: int
    size: int


def _create(client, user, product_ids: list, subject_id, shot_type_ids: list, name: str):
    shooting = Shooting.objects.create(owner=user, name=name, due_date=timezone.now())
    body = {"product_ids": [str(pk) for pk in product_ids], "subject_ids": [str(subject_id)],
            "shot_type_ids": [str(pk) for pk in shot_type_ids]}
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = client.post(f"/api/v1/shootings/{shooting.pk}/looks", body, format="json")
        seconds = time.perf_counter() - started
    assert response.status_code == 200, response.content[:500]
    return shooting, seconds, len(ctx.captured_queries), len(response.content)


def measure(client, user, *, looks: int, runs: int) -> Creation:
    subject = Subject.objects.filter(owner=user).order_by("name").first()
    shot_type_ids = list(ShotType.objects.filter(owner=user).order_by("name").values_list("pk", flat=True))
    products = Product.objects.bulk_create([Product(owner=user, name=f"New {i}", sku=f"NEW{i:05d}")
                                            for i in range(max(looks, FEW))])
    ids = [p.pk for p in products]
    _, _, few_queries, _ = _create(client, user, ids[:FEW], subject.pk, shot_type_ids, "Create few")
    _create(client, user, ids[:looks], subject.pk, shot_type_ids, "Create warm-up")
    seconds = []
    for run in range(runs):
        shooting, elapsed, queries, size = _create(client, user, ids[:looks], subject.pk, shot_type_ids, f"Create {run}")
        seconds.append(elapsed)
    created_looks = ShootingLook.objects.filter(shooting=shooting).count()
    created_shots = Shot.objects.filter(shooting_look__shooting=shooting).count()
    assert (created_looks, created_shots) == (looks, looks * len(shot_type_ids)), (created_looks, created_shots)
    return Creation(looks=created_looks, shots=created_shots, seconds=seconds, queries=queries,
                    few_queries=few_queries, size=size)


def report(measured: Creation) -> None:
    seconds = sorted(measured.seconds)
    print(f"\nCreating {measured.looks} looks x {measured.shots // measured.looks} shots in one request "
          f"(POST /api/v1/shootings/{{id}}/looks, in process, {len(seconds)} runs)")
    print(f"  median {statistics.median(seconds) * 1000:.0f} ms (min {seconds[0] * 1000:.0f}, max {seconds[-1] * 1000:.0f}); "
          f"{measured.queries} queries ({measured.few_queries} for {FEW} looks); response {measured.size} bytes")

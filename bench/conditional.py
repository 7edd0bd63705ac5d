"""Conditional reads in process: a 200 and a 304 (If-None-Match with the tag of the 200) of the reads
a web app polls, on `make bench`'s shape (bench/run.py: 200 looks x 4 shots x 3 revisions x 2
images in the measured shooting, 20 other shootings), through Django's full stack. Prints the
median and p95 of `--runs` requests and the queries of one.

    .venv/bin/python bench/conditional.py [--runs 50] [--looks 200]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402  bench/run.py: the database and the seed


def timed(client, url: str, runs: int, status: int, **headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    client.get(url, **headers)  # warm-up
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, **headers)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == status, (url, response.status_code, response.content[:300])
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="requests per measurement (304s)")
    parser.add_argument("--looks", type=int, default=200)
    args = parser.parse_args()

    run.production_settings()
    run.configure_database("sartiq_bench_conditional")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from sartiq.api.auth import create_access_token
    from shots.models import Shot

    call_command("migrate", verbosity=0)
    user, shooting = run.seed(args.looks)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    shot = Shot.objects.filter(shooting_look__shooting=shooting).first()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_access_token(user.pk)[0]}")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; {args.looks} looks, {args.runs} runs per 304, medians")
    print(f"{'endpoint':<52} {'200 ms':>8} {'304 ms':>8} {'304 p95':>8} {'304 queries':>12}")
    for url in ("/api/v1/shootings/", f"/api/v1/shootings/{shooting.pk}",
                f"/api/v1/shootings/{shooting.pk}/looks?limit={min(args.looks, 200)}",
                f"/api/v1/shootings/{shooting.pk}/looks-summary?limit={min(args.looks, 200)}",
                f"/api/v1/shots/{shot.pk}"):
        etag = client.get(url)["ETag"]
        full, _, _ = timed(client, url, max(3, args.runs // 10), 200)
        median, p95, queries = timed(client, url, args.runs, 304, HTTP_IF_NONE_MATCH=etag)
        label = url.replace(str(shooting.pk), "{id}").replace(str(shot.pk), "{id}")
        print(f"{'GET ' + label:<52} {full:>8.1f} {median:>8.2f} {p95:>8.2f} {queries:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

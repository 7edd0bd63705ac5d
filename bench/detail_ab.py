"""The shooting detail two ways, in alternating rounds: through the serializers from model instances
(`integrations.selectors.shooting_details`, how the endpoint was built before issue 13) and from
rows (`shootings/api/documents.py`, how it is built now), on `make bench`'s data.

On a shared machine absolute times move with the load; alternating the two in one process keeps
their ratio steady. Also checks that both give the same bytes.

    .venv/bin/python bench/detail_ab.py [--looks 200] [--rounds 9]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import configure_database, production_settings, seed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--looks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()

    production_settings()
    configure_database("sartiq_bench_ab")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient

    from integrations.selectors import shooting_details
    from sartiq.api.auth import create_access_token
    from sartiq.api.renderers import JSONRenderer
    from shootings import selectors
    from shootings.api import documents
    from shootings.api.serializers import ShootingDetailPublicSerializer

    call_command("migrate", verbosity=0)
    user, shooting = seed(args.looks)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    render = JSONRenderer().render
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_access_token(user.pk)[0]}")
    url = f"/api/v1/shootings/{shooting.pk}"

    def serialized():
        return render(ShootingDetailPublicSerializer(shooting_details(user).get(pk=shooting.pk), context={}).data)

    def built():
        return render(documents.shooting_detail(user, selectors.shootings().get(pk=shooting.pk)))

    def endpoint():
        return client.get(url).content

    ways = {"serializers (before)": serialized, "rows (now)": built, f"GET {'/api/v1/shootings/{id}'}": endpoint}
    bodies = {name: way() for name, way in ways.items()}  # and a warm-up
    same = len(set(bodies.values())) == 1
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            timings[name].append((time.perf_counter() - start) * 1000)
    print(f"{args.looks} looks, {len(bodies[next(iter(ways))]):,} bytes, same bytes: {same}, {args.rounds} rounds")
    for name, values in timings.items():
        print(f"{name:<32} median {statistics.median(values):8.1f} ms   min {min(values):8.1f} ms")
    before, now = (statistics.median(timings[name]) for name in list(ways)[:2])
    print(f"ratio before / now: {before / now:.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

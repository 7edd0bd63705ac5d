"""`make bench` keeps working: a tiny run of bench/run.py as make bench starts it (production
settings, its own throwaway database on the test server), every part of it: the reads, the web
worker's memory, look creation and the generation worker. Issue 10's production defaults broke it
unnoticed; this fails on that kind of change. And `../shared/bench/seed_project.py`, which seeds the
project's side of side_by_side.sh through `bench.run.seed()`, still runs against this checkout."""
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from tests.servers import database_url

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "HTTPS_ONLY", "INTEGRATION_SECRETS_KEY", "MEDIA_ROOT",
            "REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}


def bench_environment() -> dict:
    """This process's environment without the test settings (make bench sets its own)."""
    return {key: value for key, value in os.environ.items() if key not in SETTINGS}


@pytest.mark.timeout(400)
def test_make_bench_measures_every_part():
    env = {**bench_environment(), "DATABASE_URL": database_url()}
    command = [sys.executable, "bench/run.py", "--looks", "3", "--shootings", "25", "--runs", "1", "--create-looks", "6",
               "--create-runs", "1", "--generations", "3", "--profile-generations", "1"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=380)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-3000:] + out[-3000:]
    assert "Seeded 3 looks" in out and "25 shootings" in out
    reads = re.findall(r"^GET (\S+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+(\d+)\s+(\d+)\s+([\d.]+)$", out, re.M)
    assert len(reads) == 7, out
    assert all(float(cpu) > 0 and int(size) > 2 and float(peak) > 0 for _, cpu, _, size, peak in reads), out
    # memory: a real gunicorn worker's resident memory, within the limit
    worker = re.search(r"resident after warm-up (\d+) MiB; peak after 1 request (\d+) MiB.*\n.*limit (\d+) MiB \(within\)", out)
    assert worker and 0 < int(worker[1]) <= int(worker[2]) <= int(worker[3]), out
    # create: 6 looks x 4 shots, with as many queries as for 5 looks
    created = re.search(r"Creating 6 looks x 4 shots.*\n.*; (\d+) queries \((\d+) for 5 looks\)", out)
    assert created and created[1] == created[2], out
    # worker: every generation completed through the worker, then one in process, stage by stage
    assert re.search(r"3 completed, 0 failed, [\d.]+ s from the commit to the last: \d+ generations/min", out), out
    assert re.search(r"CPU seconds per generation: worker pool [\d.]+, worker main [\d.]+, PostgreSQL [\d.]+", out), out
    stages = dict(re.findall(r"^  (render|claim|store the result)\b.*?\s([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", out, re.M))
    assert set(stages) == {"render", "claim", "store the result"} and all(float(v) > 0 for v in stages.values()), out


def test_the_bench_refuses_an_unknown_part():
    result = subprocess.run([sys.executable, "bench/run.py", "--only", "reads,everything"], cwd=ROOT,
                            env=bench_environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown part(s) everything" in result.stderr


def _shared_seed_project() -> Path | None:
    """../shared/bench/seed_project.py beside the main checkout (this one may be a worktree of it)."""
    common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    for checkout in (ROOT, Path(common).parent if common else ROOT):
        script = checkout.parent / "shared" / "bench" / "seed_project.py"
        if script.exists():
            return script
    return None


@pytest.mark.timeout(300)
def test_seed_project_still_seeds_through_bench_run_seed():
    """side_by_side.sh's project side: seed_project.py migrates DATABASE_URL, calls `seed()` without
    arguments and prints "<shooting id> <token>"; the shooting has the peer's shape (200 looks)."""
    script = _shared_seed_project()
    if script is None:
        pytest.skip("../shared/bench/seed_project.py is not beside this checkout")
    config = dj_database_url.parse(database_url())
    name = f"seed_project_{uuid.uuid4().hex[:8]}"
    server = dict(host=config["HOST"], port=config["PORT"] or None, user=config["USER"], autocommit=True)
    with psycopg.connect(dbname="postgres", **server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**bench_environment(), "DATABASE_URL": database_url().rsplit("/", 1)[0] + f"/{name}",
               "SECRET_KEY": "seed-project-test-key-" + "s" * 40, "INTEGRATION_SECRETS_KEY":
               "dGVzdC1vbmx5LWludGVncmF0aW9ucy1zZWNyZXRzISE="}
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=280)
        assert result.returncode == 0, result.stderr[-3000:]
        shooting_id, token = result.stdout.split()[-2:]
        assert uuid.UUID(shooting_id) and token.count(".") == 2
        with psycopg.connect(dbname=name, **server) as conn:
            looks = conn.execute("SELECT count(*) FROM shootings_shootinglook WHERE shooting_id = %s",
                                 [shooting_id]).fetchone()[0]
            shootings = conn.execute("SELECT count(*) FROM shootings_shooting").fetchone()[0]
        assert (looks, shootings) == (200, 21)
    finally:
        with psycopg.connect(dbname="postgres", **server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

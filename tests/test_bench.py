"""`make bench` keeps working: a tiny run of bench/run.py as make bench starts it (production
settings, its own throwaway database on the test server). Issue 10's production defaults broke it
unnoticed; this fails on that kind of change."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import database_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_make_bench_measures_every_endpoint():
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "HTTPS_ONLY", "INTEGRATION_SECRETS_KEY"}}
    env["DATABASE_URL"] = database_url()
    result = subprocess.run([sys.executable, "bench/run.py", "--looks", "3", "--runs", "1"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Seeded 3 looks" in result.stdout
    rows = re.findall(r"^GET (\S+)\s+[\d.]+\s+[\d.]+\s+(\d+)\s+(\d+)$", result.stdout, re.M)
    assert len(rows) == 6, result.stdout
    assert all(int(size) > 2 for _, _, size in rows), result.stdout

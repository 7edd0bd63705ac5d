"""`bench/detail_ab.py` keeps working, and on the bench's data the detail built from rows is the
serializers' bytes (it exits 1 otherwise): a tiny run, as tests/test_bench.py runs `make bench`."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import database_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_detail_ab_compares_the_two_ways():
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "HTTPS_ONLY", "INTEGRATION_SECRETS_KEY"}}
    env["DATABASE_URL"] = database_url()
    result = subprocess.run([sys.executable, "bench/detail_ab.py", "--looks", "3", "--rounds", "1"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=280)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "3 looks" in result.stdout and "same bytes: True" in result.stdout
    assert "ratio before / now" in result.stdout

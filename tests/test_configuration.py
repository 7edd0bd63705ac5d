"""Issue #11: a configuration value the system does not understand stops start-up, naming the
variable and what it accepts (it used to be read as something else: `IMAGE_PROVIDER=fashn` was
served by the local renderer, `DEBUG=ture` read as off, `PUSH_TIMEOUT=abc` a bare ValueError).

The real processes are started as `make run` starts them (manage.py, gunicorn, the Celery worker,
`python -m sartiq.run`), each with one bad variable; each must exit, and say why.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from sartiq import run
from tests.servers import database_url, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

# (variable, bad value, what the message must say)
BAD = [
    ("IMAGE_PROVIDER", "midjourney", "IMAGE_PROVIDER='midjourney' is not understood: accepted values are local, fashn, replicate, cog"),
    ("STYLIST", "gpt", "STYLIST='gpt' is not understood: accepted values are local, llm"),
    ("IMAGE_PROVIDER", "fashn", "IMAGE_PROVIDER='fashn' is not understood: the fashn engine needs FASHN_API_KEY"),
    ("IMAGE_PROVIDER_TENANT_MODELS", "tryon-max", "IMAGE_PROVIDER_TENANT_MODELS='tryon-max' is not understood: "
                                                  "expected engine:model entries for fashn or replicate"),
    ("PUSH_TIMEOUT", "abc", "PUSH_TIMEOUT='abc' is not understood: expected a number at least 0.001"),
    ("PUSH_TIMEOUT", "nan", "PUSH_TIMEOUT='nan' is not understood: expected a number at least 0.001"),
    ("WORK_MAX_RETRIES", "-1", "WORK_MAX_RETRIES='-1' is not understood: expected an integer at least 0"),
    ("SHOT_DEFAULT_REWORK", "2.5", "SHOT_DEFAULT_REWORK='2.5' is not understood: expected an integer at least 0"),
    ("HTTPS_ONLY", "ture", "HTTPS_ONLY='ture' is not understood: accepted values are 1, true, yes, on (on)"),
    ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose' is not understood: accepted values are DEBUG, INFO, WARNING"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not understood: accepted values are json, text"),
    ("CELERY_BROKER_URL", "rabbit://broker", "CELERY_BROKER_URL='rabbit://broker' is not understood: "
                                             "expected a Celery broker URL"),
    ("RATE_LIMIT_STORAGE_URL", "memcache://x", "RATE_LIMIT_STORAGE_URL='memcache://x' is not understood"),
    ("DATABASE_URL", "mysql://user:pw@db/sartiq", "DATABASE_URL='db/sartiq' is not understood: expected a PostgreSQL URL"),
    ("BACKEND_CORS_ORIGINS", "*", "BACKEND_CORS_ORIGINS='*' is not understood: expected origins such as "
                                  "https://app.example.com"),
]


def environment(**overrides) -> dict:
    """The test settings against the test database, with `overrides` (the bad variable)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sartiq.test_settings", "DATABASE_URL": database_url(),
           "ALLOWED_HOSTS": "127.0.0.1", "TEST_CELERY_BROKER_URL": "memory://"}
    for name in ("IMAGE_PROVIDER", "STYLIST", "HOST", "PORT"):
        env.pop(name, None)
    env.update(overrides)
    return env


def outcome(command: list, env: dict, wait: float = 45) -> tuple[int | None, str]:
    """Start the process; its exit code (None: still running after `wait` seconds, then stopped)
    and everything it printed."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=wait)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        return None, output


@pytest.mark.parametrize("name, value, message", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_manage_py_refuses_a_value_it_does_not_understand(name, value, message):
    code, output = outcome([sys.executable, "manage.py", "check"], environment(**{name: value}))
    assert code not in (0, None), output
    assert f"ImproperlyConfigured: {message}" in output, output[-3000:]
    assert "pw@" not in output  # a URL's credentials are not repeated


def test_the_web_server_does_not_start_with_an_unknown_image_provider():
    env = environment(IMAGE_PROVIDER="midjourney", PORT=str(free_port()), WEB_CONCURRENCY="1")
    code, output = outcome(run.web_command(env, BIN), env)
    assert code not in (0, None), output[-3000:]
    assert "IMAGE_PROVIDER='midjourney' is not understood: accepted values are local, fashn, replicate, cog" in output, output[-3000:]


def test_the_worker_does_not_start_with_an_unknown_stylist():
    code, output = outcome([str(BIN / "celery"), "-A", "sartiq", "worker", "--pool", "solo", "--loglevel", "INFO"],
                           environment(STYLIST="gpt"))
    assert code not in (0, None), output[-3000:]
    assert "STYLIST='gpt' is not understood: accepted values are local, llm" in output, output[-3000:]


def test_the_worker_does_not_start_with_a_malformed_number():
    code, output = outcome([str(BIN / "celery"), "-A", "sartiq", "worker", "--pool", "solo", "--loglevel", "INFO"],
                           environment(PUSH_TIMEOUT="abc"))
    assert code not in (0, None), output[-3000:]
    assert "PUSH_TIMEOUT='abc' is not understood: expected a number" in output, output[-3000:]


def test_make_run_stops_at_start_up_with_an_unknown_image_provider(tmp_path):
    """`make run` with servers given (nothing embedded is started): migrate loads the settings,
    refuses, and nothing else starts."""
    env = environment(IMAGE_PROVIDER="midjourney", PORT=str(free_port()), REDIS_URL="redis://127.0.0.1:1/0",
                      WEB_CONCURRENCY="1", WORKER_CONCURRENCY="1", SARTIQ_DATA_DIR=str(tmp_path))
    started = time.monotonic()
    code, output = outcome([sys.executable, "-m", "sartiq.run"], env, wait=90)
    assert code not in (0, None), output[-3000:]
    assert "IMAGE_PROVIDER='midjourney' is not understood: accepted values are local, fashn, replicate, cog" in output, output[-3000:]
    assert "Start-up step failed" in output and "Sartiq is running" not in output
    assert time.monotonic() - started < 90


@pytest.mark.parametrize("name, value, message", [
    ("PORT", "http", "PORT='http' is not understood: expected an integer at least 1 and at most 65535"),
    ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY='0' is not understood: expected an integer at least 1"),
    ("DEBUG", "ture", "DEBUG='ture' is not understood: accepted values are 1, true, yes, on (on)"),
])
def test_make_run_checks_its_own_variables_before_starting_anything(name, value, message, tmp_path):
    code, output = outcome([sys.executable, "-m", "sartiq.run"],
                           environment(**{name: value}, SARTIQ_DATA_DIR=str(tmp_path)), wait=60)
    assert code == 2, output[-3000:]
    assert f"Configuration error: {message}" in output
    assert "Embedded" not in output  # no server was started


def test_the_accepted_values_are_what_the_code_implements():
    """A provider or stylist added to the code must be accepted by its setting, and only those."""
    from outfits.stylist import STYLISTS
    from shots.providers import PROVIDERS

    assert settings.IMAGE_PROVIDERS == tuple(PROVIDERS)
    assert settings.STYLISTS == tuple(STYLISTS)


def test_a_provider_or_stylist_the_code_does_not_have_is_refused_not_replaced(settings):
    from django.core.exceptions import ImproperlyConfigured

    from outfits.stylist import get_stylist
    from shots.providers import EngineConfig, get_provider

    settings.STYLIST = "gpt"
    with pytest.raises(ImproperlyConfigured, match="IMAGE_PROVIDER='midjourney'"):
        get_provider(EngineConfig("midjourney"))
    with pytest.raises(ImproperlyConfigured, match="STYLIST='gpt'"):
        get_stylist()

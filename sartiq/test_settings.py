"""Settings for the test suite: the real settings, a throwaway media folder, a fast hasher.

A worker subprocess started by the tests (tests/test_async_worker.py) imports these settings too,
with TEST_MEDIA_ROOT and the broker URL of the test's Redis in its environment.
"""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "t" * 40)
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")
# Tests speak plain HTTP, also in subprocesses that set DATABASE_URL (production mode otherwise
# redirects them to HTTPS); tests/test_production_settings.py checks the production defaults.
os.environ.setdefault("HTTPS_ONLY", "0")
# A fixed test key, so that a worker subprocess (which has DATABASE_URL: production rules) decrypts
# what the test process encrypted.
os.environ.setdefault("INTEGRATION_SECRETS_KEY", "dGVzdC1vbmx5LWludGVncmF0aW9ucy1zZWNyZXRzISE=")

from sartiq.settings import *  # noqa: E402,F401,F403

MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sartiq-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="sartiq-test-static-")
# Tasks sent by tests that do not start a worker go to an in-memory queue, never to a missing server.
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "memory://")
WORK_RETRY_BACKOFF_SECONDS = float(os.environ.get("WORK_RETRY_BACKOFF_SECONDS", "0.01"))
# Login throttles count in this process's memory (a fresh store per test: conftest.py); the tests
# about sharing the counts point this at a real Redis.
RATE_LIMIT_STORAGE_URL = os.environ.get("TEST_RATE_LIMIT_STORAGE_URL", "memory://")

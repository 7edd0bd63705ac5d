"""Settings for the test suite: the real settings, a throwaway media folder, a fast hasher.

A worker subprocess started by the tests (tests/test_async_worker.py) imports these settings too,
with TEST_MEDIA_ROOT and the broker URL of the test's Redis in its environment.
"""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "t" * 40)
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")
# A fixed test key, so that a worker subprocess (which has DATABASE_URL: production rules) decrypts
# what the test process encrypted.
os.environ.setdefault("INTEGRATION_SECRETS_KEY", "dGVzdC1vbmx5LWludGVncmF0aW9ucy1zZWNyZXRzISE=")

from sartiq.settings import *  # noqa: E402,F401,F403

MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="sartiq-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="sartiq-test-static-")
# Tasks sent by tests that do not start a worker go to an in-memory queue, never to a missing server.
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "memory://")
WORK_RETRY_BACKOFF_SECONDS = float(os.environ.get("WORK_RETRY_BACKOFF_SECONDS", "0.01"))

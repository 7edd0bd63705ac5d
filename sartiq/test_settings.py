"""Settings for the test suite: the real settings, a throwaway media folder, a fast hasher."""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "t" * 40)
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("STATIC_MANIFEST", "0")

from sartiq.settings import *  # noqa: E402,F401,F403

MEDIA_ROOT = tempfile.mkdtemp(prefix="sartiq-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="sartiq-test-static-")

"""The test settings with tests/error_urls.py's routes (a server process started by a test)."""
from sartiq.test_settings import *  # noqa: F401,F403

ROOT_URLCONF = "tests.error_urls"

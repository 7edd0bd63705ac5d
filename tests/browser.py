"""A real headless Chromium for the browser tests: the `browser` fixture (imported by the test
modules) and `require_chromium`, which skips a module on a machine without Debian's `chromium` and
`chromium-driver` (`.ci/run` installs them)."""
from __future__ import annotations

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def require_chromium(what: str) -> None:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(f"SKIPPED {what}: Chromium and ChromeDriver are not installed "
                    "(apt-get install chromium chromium-driver)", allow_module_level=True)


@pytest.fixture
def browser():
    require_chromium("this browser test")
    profile = tempfile.mkdtemp(prefix="sartiq-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)

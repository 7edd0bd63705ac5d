"""End to end in a real headless Chromium: a staff reviewer logs in, opens the review queue, sees
the thumbnails, approves one shot from the queue and rejects another from its review page.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test is
skipped and the summary says so. With SARTIQ_SCREENSHOTS=<folder> it saves the queue and the
review page there (docs/screenshots/ holds the committed ones).
"""
import os
import shutil
import tempfile
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from sartiq.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from sartiq.catalog.demo import figure_image, garment_image
from shootings.tests.factories import ShootingFactory
from shots.models import Shot
from shots.providers import GenerationRequest, LocalImageProvider
from shots.tests.test_review_admin import attach_revision, make_shot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("SKIPPED the admin browser test: Chromium and ChromeDriver are not installed "
                "(apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def browser():
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


def picture(name, colour, seed=1) -> bytes:
    """A realistic generated image (the local provider's rendering), for the pages and screenshots."""
    request = GenerationRequest(prompt=f"{name}, studio", negative_prompt="", width=320, height=400, seed=seed,
                                base_image=figure_image(name, (176, 120, 98)),
                                product_images=[garment_image("garment", colour)], background="#f5f5f5")
    return LocalImageProvider().generate(request, lambda progress: None)[0].data


def screenshot(driver, name):
    folder = os.environ.get("SARTIQ_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def reviewers_group() -> Group:
    """The group migration shots/0004 makes, made again if a transactional test that ran before
    (tests/concurrency/) emptied the tables: the permissions come back after a flush, the group not."""
    migration = import_module("shots.migrations.0004_reviewers_group")
    group, created = Group.objects.get_or_create(name="Reviewers")
    if created:
        wanted = [(app, f"view_{model}") for app, model in migration.VIEW + migration.CHANGE]
        wanted += [(app, f"change_{model}") for app, model in migration.CHANGE]
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def test_a_reviewer_approves_and_rejects_in_the_browser(browser, live_server, user, org):
    reviewer = UserFactory(is_staff=True, email="reviewer@example.com")
    MembershipFactory(user=reviewer, organization=org)
    reviewer.groups.add(reviewers_group())
    shooting = ShootingFactory(owner=user, organization=org, name="FW26 Campaign", brand="Acme")
    approve_me = make_shot(shooting, "PROPOSAL", "Linen Shirt", image=picture("Ava", (40, 90, 160)))
    reject_me = make_shot(shooting, "REJECTED", "Wool Coat", shot_type_name="Side", image=picture("Leo", (110, 100, 90)))
    attach_revision(reject_me, "REVIEW", picture("Leo", (120, 80, 60), seed=2))
    wait = WebDriverWait(browser, 20)

    browser.get(f"{live_server.url}/admin/login/?next=/admin/shots/reviewshot/")
    browser.find_element(By.NAME, "username").send_keys(reviewer.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "result_list")))

    thumbnails = browser.find_elements(By.CSS_SELECTOR, "#result_list img")
    assert len(thumbnails) == 2
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                             for img in thumbnails))
    screenshot(browser, "review-queue.png")

    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{approve_me.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_shots")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    message = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li")))
    assert "Linen Shirt (Front): approved" in message.text

    browser.find_element(By.PARTIAL_LINK_TEXT, "Wool Coat").click()
    wait.until(ec.presence_of_element_located((By.ID, "reject-note")))
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                             for img in d.find_elements(By.CSS_SELECTOR, "img.large")))
    screenshot(browser, "review-page.png")
    browser.find_element(By.ID, "reject-note").send_keys("The collar is crooked")
    browser.find_element(By.ID, "reject").click()
    message = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li")))
    assert "Rejected (1 rework left)" in message.text
    assert len(browser.find_elements(By.CSS_SELECTOR, ".revision img.large")) == 2  # the chain side by side

    approved = Shot.objects.get(pk=approve_me.pk).current_revision
    rejected = Shot.objects.get(pk=reject_me.pk).current_revision
    assert approved.shot_status == "APPROVED"
    assert (rejected.shot_status, rejected.notes) == ("REJECTED", "The collar is crooked")

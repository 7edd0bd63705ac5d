"""End to end in a real headless Chromium: a staff reviewer logs in, opens the review queue, sees
the thumbnails, approves one shot from the queue and rejects another from its review page; and
reviews a queue by keyboard (approve, reject with reasons, next and previous, zoom).

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test is
skipped and the summary says so. With SARTIQ_SCREENSHOTS=<folder> it saves the queue and the
review page there (docs/screenshots/ holds the committed ones).
"""
import os
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from sartiq.accounts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from sartiq.catalog.demo import figure_image, garment_image
from shootings.tests.factories import ShootingFactory
from shots.models import Shot, ShotRevision
from shots.providers import GenerationRequest, LocalImageProvider
from shots.tests.test_review_admin import attach_revision, make_shot, stored
from tests.browser import require_chromium

require_chromium("the admin browser test")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


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
    for shot, status in ((approve_me, "PASSED"), (reject_me, "FAILED")):  # as the quality checks left them
        ShotRevision.objects.filter(pk=Shot.objects.get(pk=shot.pk).current_revision_id).update(quality_status=status)
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
    wait.until(ec.presence_of_element_located((By.ID, "reject-open")))
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                             for img in d.find_elements(By.CSS_SELECTOR, "img.large")))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".revision img.large")) == 2  # the chain side by side
    browser.find_element(By.ID, "reject-open").click()
    browser.find_element(By.ID, "reject-note").send_keys("The collar is crooked")
    browser.find_element(By.ID, "reject").click()
    # The last shot of the queue decided: the queue again, saying what happened.
    message = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li")))
    assert "Wool Coat (Side): rejected (1 rework left)" in message.text
    assert browser.current_url == f"{live_server.url}/admin/shots/reviewshot/"

    approved = Shot.objects.get(pk=approve_me.pk).current_revision
    rejected = Shot.objects.get(pk=reject_me.pk).current_revision
    assert approved.shot_status == "APPROVED"
    assert (rejected.shot_status, rejected.notes) == ("REJECTED", "The collar is crooked")


def loaded(driver, selector) -> bool:
    images = driver.find_elements(By.CSS_SELECTOR, selector)
    return bool(images) and all(
        driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img) for img in images)


def press(driver, *keys):
    for key in keys:
        driver.switch_to.active_element.send_keys(key)


def test_a_reviewer_works_through_the_queue_by_keyboard(browser, live_server, user, org):
    reviewer = UserFactory(is_staff=True, email="keys@example.com")
    MembershipFactory(user=reviewer, organization=org)
    reviewer.groups.add(reviewers_group())
    shooting = ShootingFactory(owner=user, organization=org, name="SS27 Lookbook", brand="Acme")
    garments = [("Linen Shirt", (200, 40, 40)), ("Wool Coat", (110, 100, 90)), ("Silk Dress", (40, 90, 160)),
                ("Denim Jacket", (60, 80, 120))]
    shots = [make_shot(shooting, "PROPOSAL", name, image=picture(f"Model {i}", colour, seed=i))
             for i, (name, colour) in enumerate(garments)]
    product = shots[0].shooting_look.product
    # A packshot larger than the window, to see the zoom show it at full resolution.
    product.cover_image_media = stored(user, garment_image("Linen Shirt", (200, 40, 40), size=(1600, 1600)))
    product.save()
    revision = Shot.objects.get(pk=shots[0].pk).current_revision
    revision.quality = {"status": "WARNING", "checks": [
        {"name": "garment_colour", "score": 6.4, "threshold": 10, "passed": True, "detail": "dE 6.4"},
        {"name": "sharpness", "score": 0.0031, "threshold": 0.004, "passed": False, "detail": "soft edges"}]}
    revision.quality_status = "WARNING"
    revision.save()
    wait = WebDriverWait(browser, 20)

    def on(shot):
        wait.until(lambda d: f"/reviewshot/{shot.pk}/review/" in d.current_url)
        wait.until(ec.presence_of_element_located((By.ID, "review")))

    browser.get(f"{live_server.url}/admin/login/?next=/admin/shots/reviewshot/")
    browser.find_element(By.NAME, "username").send_keys(reviewer.email)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "result_list")))
    press(browser, "j")  # the queue's first shot
    on(shots[0])
    wait.until(lambda d: loaded(d, "img.main-image"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "img.main-image")) == 2  # packshot and current image
    checks = [row.get_attribute("data-check") for row in browser.find_elements(By.CSS_SELECTOR, "#quality tr.failed")]
    assert checks == ["sharpness"]
    screenshot(browser, "review-page.png")

    # Click-to-zoom: fitted first, a click shows the full resolution, Esc closes.
    browser.find_element(By.CSS_SELECTOR, "#packshot img.main-image").click()
    box = wait.until(ec.visibility_of_element_located((By.ID, "lightbox")))
    zoomed = box.find_element(By.TAG_NAME, "img")
    wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", zoomed) == 1600)
    width = "return arguments[0].getBoundingClientRect().width"
    assert browser.execute_script(width, zoomed) < 1000  # fitted to the window
    zoomed.click()
    assert "actual" in box.get_attribute("class")
    assert browser.execute_script(width, zoomed) == 1600  # every pixel
    press(browser, Keys.ESCAPE)
    wait.until(ec.invisibility_of_element_located((By.ID, "lightbox")))

    press(browser, "a")  # approve: the next shot opens
    on(shots[1])
    assert "Linen Shirt (Front): approved" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist li").text

    press(browser, "r")  # reject: the reasons form opens; 1 and 3 tick COLOR and GARMENT_DETAIL, Enter rejects
    wait.until(lambda d: d.find_element(By.ID, "reject-panel").get_attribute("open") is not None)
    press(browser, "1", "3", "3", "3")
    ticked = [box.get_attribute("value") for box in browser.find_elements(By.CSS_SELECTOR, "input[name=reasons]")
              if box.is_selected()]
    assert ticked == ["COLOR", "GARMENT_DETAIL"]
    screenshot(browser, "review-reject.png")
    press(browser, Keys.ENTER)
    on(shots[2])
    assert "Wool Coat (Front): rejected (1 rework left)" in browser.find_element(By.CSS_SELECTOR,
                                                                                 "ul.messagelist li").text
    press(browser, "j")  # next
    on(shots[3])
    press(browser, "k")  # previous (the two decided shots have left the queue)
    on(shots[2])
    press(browser, "p", "n")
    on(shots[3])

    approved, rejected = (Shot.objects.get(pk=shot.pk).current_revision for shot in shots[:2])
    assert approved.shot_status == "APPROVED"
    assert (rejected.shot_status, rejected.rejection_reasons) == ("REJECTED", ["COLOR", "GARMENT_DETAIL"])
    assert [Shot.objects.get(pk=shot.pk).current_revision.shot_status for shot in shots[2:]] == ["PROPOSAL"] * 2

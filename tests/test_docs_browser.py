"""The interactive API documentation in a real browser: `/docs` (Swagger UI, served from our own
static files) loads the document, a client developer authorizes with the OAuth2 password form
(the login endpoint, as the original FastAPI service's docs do) and runs one call.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test is
skipped.
"""
from __future__ import annotations

import pytest

from sartiq.accounts.tests.factories import PASSWORD, UserFactory
from tests.browser import require_chromium

require_chromium("the /docs browser test")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_docs_authorize_and_run_one_call(browser, live_server):
    user = UserFactory(email="dev@brand.example")
    wait = WebDriverWait(browser, 30)
    browser.get(f"{live_server.url}/docs")
    # The document is loaded and rendered: the operations of the users tag are listed.
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "button.authorize")))
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    wait.until(ec.visibility_of_element_located((By.ID, "oauth_username"))).send_keys(user.email)
    browser.find_element(By.ID, "oauth_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    # Authorized: the modal offers to log out (the login endpoint answered a token).
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done, "
                                                                ".auth-container button.logout")))
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()
    # Run GET /api/v1/users/me/ from its block: "Try it out", then "Execute".
    summary = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//div[contains(@class,'opblock-get')]//*[@data-path='/api/v1/users/me/']")))
    summary.click()
    block = summary.find_element(By.XPATH, "./ancestor::div[contains(concat(' ', normalize-space(@class), ' '), "
                                           "' opblock ')][1]")
    wait.until(lambda _: block.find_element(By.CSS_SELECTOR, "button.try-out__btn")).click()
    wait.until(lambda _: block.find_element(By.CSS_SELECTOR, "button.execute")).click()
    status = wait.until(lambda _: block.find_element(
        By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"))
    wait.until(lambda _: status.text.strip() == "200")
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre").text
    assert user.email in body  # the call ran with the token Swagger UI obtained

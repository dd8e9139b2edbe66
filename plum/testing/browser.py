"""Headless Chromium (Debian's `chromium` and `chromium-driver`) for tests of pages people look at.

`browser` is one Chromium for the session, 1400x900 (the screen the admin is laid out for). `screenshot`
saves a PNG under var/screenshots/ so a person can look at what a test saw, and answers its path.
"""

import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
WIDTH, HEIGHT = 1400, 900


def _chromium_paths() -> tuple[str, str]:
    binary = os.environ.get("PLUM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("PLUM_CHROMEDRIVER") or shutil.which("chromedriver")
    if not binary or not driver:
        # Not a skip: a page test that cannot run is a failure. `make test` installs both on Debian.
        raise pytest.UsageError("Headless Chromium is needed: apt-get install chromium chromium-driver")
    return binary, driver


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        "--lang=en-GB",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture
def screenshot(browser, request):
    """`screenshot("name")` saves the whole page as var/screenshots/<test>-<name>.png and answers the path."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(WIDTH, max(HEIGHT, min(int(height), 4000)))
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        browser.save_screenshot(str(path))
        browser.set_window_size(WIDTH, HEIGHT)
        return path

    return take


@pytest.fixture
def admin_browser(browser, live_server, admin_user):
    """The browser logged in to the admin of `live_server` as a superuser; answers (browser, base_url)."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(admin_user.username)
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    return browser, live_server.url


def click_and_wait(browser, element) -> None:
    """Click something that loads a new page and wait until that page has loaded (a click does not wait).

    The old page is marked in its window object, which the new page does not have. Not selenium's
    staleness_of: mid-navigation chromedriver may answer its probe with "Node with given id does not belong
    to the document" (an unknown error, not a stale element). Any error while the page changes means
    "not yet"."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.plumPageBeforeClick = true")
    element.click()
    loaded = "return window.plumPageBeforeClick === undefined && document.readyState === 'complete'"
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(lambda b: b.execute_script(loaded))


def shown_messages(browser) -> list[str]:
    """The admin's messages on the page, as a person reads them."""
    from selenium.webdriver.common.by import By

    return [item.text for item in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]

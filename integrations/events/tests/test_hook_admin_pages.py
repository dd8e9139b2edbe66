"""Hook endpoints and receipts as operations staff see them, in headless Chromium against the live server: an
endpoint added with its secret shown once beside its /hooks/<key>/ address, the rotate action showing the new
secret once, and receipts that can only be looked at. Each shown secret is proved by a signed delivery."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from integrations.events.models import HookEndpoint, HookReceipt
from integrations.events.tests.test_hook_helpers import (
    DARWINBOX_MAPPING,
    create_endpoint,
    darwinbox_payload,
    post_hook,
    world,  # noqa: F401 (fixture)
)
from plum.core.keys import unseal
from plum.testing.browser import click_and_wait, shown_messages
from points.tests.admin_pages import assert_fits_the_screen, column, open_page, readonly_value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ENDPOINTS = "/admin/integrations_events/hookendpoint/"
RECEIPTS = "/admin/integrations_events/hookreceipt/"


def secret_page(browser) -> dict[str, str]:
    """The page a new secret is shown on, once: its rows by label, the secret included."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#content table tr")
    return {row.find_element(By.TAG_NAME, "th").text: row.find_element(By.TAG_NAME, "td").text for row in rows}


def assert_secret_gone(browser, secret: str, *urls: str) -> None:
    """Not on these pages any more, nor kept in a cookie for later (messages live in one until shown)."""
    for url in urls:
        open_page(browser, url)
        assert secret not in browser.page_source and not shown_messages(browser), url
    assert all(secret not in cookie["value"] for cookie in browser.get_cookies())


def test_adding_an_endpoint_shows_its_secret_once_and_its_address(admin_browser, screenshot, tenant, world):  # noqa: F811
    browser, base = admin_browser
    open_page(browser, f"{base}{ENDPOINTS}add/")
    Select(browser.find_element(By.NAME, "organisation")).select_by_value(str(tenant.organisation.pk))
    browser.find_element(By.NAME, "name").send_keys("Darwinbox KPI")
    mapping = browser.find_element(By.NAME, "mapping")
    mapping.clear()
    mapping.send_keys(json.dumps(DARWINBOX_MAPPING))
    click_and_wait(browser, browser.find_element(By.NAME, "_save"))

    assert not browser.find_elements(By.CSS_SELECTOR, ".errorlist"), browser.find_element(By.ID, "content").text
    endpoint = HookEndpoint.objects.get()
    address = f"/hooks/{endpoint.endpoint_key}/"
    shown = secret_page(browser)
    screenshot("endpoint-added")
    secret = shown.pop("Signing secret")
    assert shown == {"Name": "Darwinbox KPI", "Address": address} and not shown_messages(browser)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Back to the hook endpoint"))
    open_page(browser, f"{base}{ENDPOINTS}")
    assert (column(browser, "name"), column(browser, "url")) == (["Darwinbox KPI"], [address])
    assert unseal(endpoint.secret_sealed, tenant.organisation.id) == secret
    assert secret.removeprefix("whsec_").encode() not in bytes(endpoint.secret_sealed)
    assert (endpoint.mapping, endpoint.active) == (DARWINBOX_MAPPING, True)
    assert post_hook(address, darwinbox_payload(), secret).status_code == 201  # the secret shown is the one
    assert_fits_the_screen(browser, "hook endpoints")

    change = f"{base}{ENDPOINTS}{endpoint.pk}/change/"
    assert_secret_gone(browser, secret, f"{base}{ENDPOINTS}", change)
    assert readonly_value(browser, "url") == address  # the change page, opened last


def test_rotating_shows_the_new_secret_once(admin_browser, screenshot, api, tenant, world):  # noqa: F811
    made = create_endpoint(api)
    endpoint = HookEndpoint.objects.get()
    browser, base = admin_browser
    open_page(browser, f"{base}{ENDPOINTS}")
    browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{endpoint.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("rotate_secret")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[name=index]"))

    shown = secret_page(browser)
    screenshot("rotated")
    endpoint.refresh_from_db()
    secret = shown.pop("Signing secret")
    assert shown == {"Name": "Darwinbox KPI", "Address": made["url"]} and secret != made["secret"]
    assert unseal(endpoint.secret_sealed, tenant.organisation.id) == secret
    assert unseal(endpoint.previous_secret_sealed, tenant.organisation.id) == made["secret"]
    assert post_hook(made["url"], darwinbox_payload("new"), secret).status_code == 201
    assert post_hook(made["url"], darwinbox_payload("old"), made["secret"]).status_code == 201  # 24 h of grace

    assert_secret_gone(browser, secret, f"{base}{ENDPOINTS}", f"{base}{ENDPOINTS}{endpoint.pk}/change/")


def test_receipts_can_be_looked_at_and_nothing_more(admin_browser, screenshot, api, world):  # noqa: F811
    made = create_endpoint(api)
    assert post_hook(made["url"], darwinbox_payload(), made["secret"], webhook_id="msg_admin").status_code == 201
    receipt = HookReceipt.objects.get()
    before = list(HookReceipt.objects.values())
    browser, base = admin_browser

    open_page(browser, f"{base}{RECEIPTS}")
    screenshot("receipts")
    assert column(browser, "webhook_id") == ["msg_admin"]
    assert column(browser, "endpoint") == ["Darwinbox KPI"]
    assert not browser.find_elements(By.CSS_SELECTOR, "a.addlink")  # no "Add hook receipt"
    assert not browser.find_elements(By.NAME, "action")  # no actions: not even delete
    assert_fits_the_screen(browser, "receipts")

    open_page(browser, f"{base}{RECEIPTS}{receipt.pk}/change/")
    screenshot("receipt")
    assert browser.find_element(By.CSS_SELECTOR, "#content h1").text == "View hook receipt"
    assert readonly_value(browser, "webhook_id") == "msg_admin"
    assert readonly_value(browser, "endpoint") == "Darwinbox KPI"
    form = browser.find_element(By.ID, "hookreceipt_form")
    assert not form.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), textarea, select")
    assert not browser.find_elements(By.CSS_SELECTOR, "[name=_save], [name=_continue], a.deletelink")

    browser.get(f"{base}{RECEIPTS}add/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "403 Forbidden"
    assert list(HookReceipt.objects.values()) == before

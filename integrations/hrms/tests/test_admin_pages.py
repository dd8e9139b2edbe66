"""The HRMS admin as operations staff see it, in headless Chromium against the live server: a connection
added through the form (credentials never shown again), "sync now" reaching a fake SuccessFactors on
127.0.0.1, the connection's recent runs, and a run's page with its counts and per-record errors."""

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from integrations.hrms.models import Connection, Run
from integrations.hrms.tests.factories import make_connection
from plum.testing.browser import click_and_wait, shown_messages
from points.tests.admin_pages import assert_fits_the_screen, column, open_page, readonly_value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CONNECTIONS = "/admin/integrations_hrms/connection/"
RUNS = "/admin/integrations_hrms/run/"


def run_action(browser, url: str, action: str, *rows) -> None:
    """Tick `rows` on the change list at `url`, choose `action` and press Go, as a person would."""
    open_page(browser, url)
    for row in rows:
        browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{row.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[name=index]"))


def fill(browser, name: str, value: str) -> None:
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def test_adding_a_connection_through_the_form(admin_browser, screenshot, tenant, fake_successfactors):
    browser, base = admin_browser
    open_page(browser, f"{base}{CONNECTIONS}add/")
    Select(browser.find_element(By.NAME, "organisation")).select_by_value(str(tenant.organisation.pk))
    Select(browser.find_element(By.NAME, "provider")).select_by_value("successfactors")
    fill(browser, "base_url", fake_successfactors.base_url)
    fill(browser, "settings", json.dumps(fake_successfactors.settings()))
    fill(browser, "credentials", json.dumps(fake_successfactors.credentials()))
    fill(browser, "schedule", "30 2 * * *")
    screenshot("add-form")
    click_and_wait(browser, browser.find_element(By.NAME, "_save"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".errorlist"), browser.find_element(By.ID, "content").text

    connection = Connection.objects.get()
    assert (connection.provider, connection.schedule, connection.mode) == ("successfactors", "30 2 * * *", "full")
    open_page(browser, f"{base}{CONNECTIONS}{connection.pk}/change/")
    screenshot("change-page")
    assert readonly_value(browser, "credentials_state") == "set"
    assert fake_successfactors.password not in browser.page_source
    assert browser.find_element(By.NAME, "credentials").get_attribute("value") == ""
    assert_fits_the_screen(browser, "connection change page")


def test_sync_now_runs_and_the_run_shows_its_counts_and_errors(admin_browser, screenshot, tenant, fake_successfactors):
    fake_successfactors.people[1]["email"] = "not-an-email"
    connection = make_connection(tenant.organisation, fake_successfactors, schedule="0 4 * * *")
    browser, base = admin_browser

    run_action(browser, f"{base}{CONNECTIONS}", "sync_now", connection)

    run = Run.objects.get()
    assert shown_messages(browser) == [f"{connection}: run {run.pk} queued."]
    assert (run.status, run.created, run.errors_total) == ("completed", 4, 1)
    screenshot("connections")
    assert column(browser, "last_run")[0].startswith("completed · ")
    assert_fits_the_screen(browser, "connections")

    open_page(browser, f"{base}{CONNECTIONS}{connection.pk}/change/")
    recent = browser.find_element(By.CSS_SELECTOR, "table.hrms-recent-runs").text
    assert "completed" in recent and "fetched 5: 4 created" in recent

    open_page(browser, f"{base}{RUNS}{run.pk}/change/")
    screenshot("run-page")
    assert readonly_value(browser, "status") == "Completed"
    assert readonly_value(browser, "counts") == (
        "fetched 5: 4 created, 0 updated, 0 deactivated, 0 unchanged, 1 errors"
    )
    errors = json.loads(browser.find_element(By.CSS_SELECTOR, "pre.hrms-run-errors").text)
    assert [(e["employee_id"], e["field"]) for e in errors] == [("E000002", "email")]
    open_page(browser, f"{base}{RUNS}")
    assert column(browser, "status") == ["Completed"]
    assert_fits_the_screen(browser, "runs")

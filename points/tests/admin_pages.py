"""Measuring admin pages in the browser (no tests here): what a person would see on a 1400 px screen."""

import re

from selenium.webdriver.common.by import By

SCREEN_WIDTH = 1400
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
GROUPED = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})*")  # 1,250,000; a number of four digits or more has commas


def open_page(browser, url: str) -> None:
    browser.get(url)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "Server Error" not in browser.title and heading != "Page not found", (url, browser.title)


def page_width(browser) -> int:
    """The width of everything laid out: more than the window means a horizontal scrollbar."""
    return browser.execute_script("return document.documentElement.scrollWidth")


def hidden_table_width(browser) -> int:
    """How much of a change list's table is cut off on the right: Django scrolls the table inside its own box
    (`.results`), so a table too wide for the screen never widens the page itself."""
    return browser.execute_script(
        "const box = document.querySelector('#changelist .results');return box ? box.scrollWidth - box.clientWidth : 0"
    )


def column(browser, name: str) -> list[str]:
    """The texts of a change list's column, top to bottom (`name` as in list_display)."""
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, f"#result_list tbody .field-{name}")]


def readonly_value(browser, name: str) -> str:
    """The text of a read-only field on a change page."""
    return browser.find_element(By.CSS_SELECTOR, f".field-{name} .readonly").text


def rect(browser, element) -> dict:
    return browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", element)


def assert_fits_the_screen(browser, what: str) -> None:
    """Neither the page nor a change list's table scrolls sideways."""
    assert page_width(browser) <= SCREEN_WIDTH, (what, page_width(browser))
    assert hidden_table_width(browser) == 0, (what, hidden_table_width(browser))

"""The dashboard as operations staff see it, in headless Chromium against the live server: every chart drawn
and not empty (its bars measured on screen, its pixels counted in a screenshot of the panel), the date
range changing the figures, the links that lead to it, and the page fitting a 1400 px screen. Screenshots
are saved under var/screenshots/ (plum.testing.browser)."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from plum.testing.browser import click_and_wait
from points.tests.admin_pages import assert_fits_the_screen, open_page, rect
from reports.tests.test_dashboard_view import build_world, dashboard_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CHARTS = {"awarded": 2, "redeemed": 1, "brands": 2, "rules": 1, "sources": 3}


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG as Chromium writes them."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert (depth, interlace) == (8, 0) and colour_type in (2, 6), header
    step = 4 if colour_type == 6 else 3
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * step, [], bytearray(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(b for i, b in enumerate(row) if i % step < 3) for row in rows]


def inked(png: bytes) -> tuple[float, set]:
    """The share of pixels that are not white or near white, and the distinct strong colours among them."""
    width, height, rows = png_pixels(png)
    ink, colours = 0, set()
    for row in rows:
        for x in range(0, len(row), 3):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if min(r, g, b) < 235:
                ink += 1
                if max(r, g, b) - min(r, g, b) > 60:  # a chart colour, not text grey
                    colours.add((r // 16, g // 16, b // 16))
    return ink / (width * height), colours


def chart(browser, panel: str):
    return browser.find_element(By.CSS_SELECTOR, f"#panel-{panel} svg.plum-chart")


def figure(browser, name: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"#figure-{name} .value").text


def test_the_dashboard_draws_every_chart_and_the_range_changes_the_figures(
    admin_browser, screenshot, tenant, other_tenant
):
    build_world(tenant)
    build_world(other_tenant, scale=7)
    browser, base = admin_browser

    open_page(browser, base + dashboard_url(tenant.organisation))
    path = screenshot("last-12-months")
    assert path.stat().st_size > 20_000

    assert figure(browser, "awarded") == "4,700" and figure(browser, "vouchers-issued") == "2"
    for panel, count in CHARTS.items():
        svg = chart(browser, panel)
        box = rect(browser, svg)
        assert svg.is_displayed() and box["width"] > 500 and box["height"] > 50, (panel, box)
        drawn = svg.find_elements(By.CSS_SELECTOR, "rect.bar")
        assert len(drawn) == count, panel
        for bar in drawn:  # every bar on screen, inside its chart
            inner = rect(browser, bar)
            assert inner["width"] > 0 and inner["height"] > 0, panel
            assert box["left"] <= inner["left"] and inner["right"] <= box["right"] + 0.5, panel
        share, colours = inked(svg.screenshot_as_png)
        assert share > 0.02 and len(colours) >= 1, (panel, share)
    budget = browser.find_element(By.CSS_SELECTOR, "#budget-P1 svg.plum-chart")
    assert len(budget.find_elements(By.CSS_SELECTOR, "circle.point")) == 1
    assert inked(budget.screenshot_as_png)[0] > 0.02
    # the two business units in two colours, the same in both charts
    awarded = {
        bar.get_attribute("data-series"): bar.get_attribute("fill")
        for bar in chart(browser, "awarded").find_elements(By.CSS_SELECTOR, "rect.bar")
    }
    assert len(set(awarded.values())) == 2
    assert (
        chart(browser, "redeemed").find_element(By.CSS_SELECTOR, "rect.bar").get_attribute("fill") == awarded["SALES"]
    )
    assert_fits_the_screen(browser, "dashboard")

    yesterday = timezone.localdate() - timedelta(days=1)
    browser.execute_script(
        "document.getElementById('id_from').value = '2024-01-01';"
        "document.getElementById('id_to').value = arguments[0];",
        yesterday.isoformat(),
    )
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#range-form button[type=submit]"))
    screenshot("before-today")
    assert browser.current_url.endswith(f"?from=2024-01-01&to={yesterday.isoformat()}")
    assert figure(browser, "awarded") == "0" and figure(browser, "vouchers-issued") == "0"
    assert chart(browser, "awarded").find_elements(By.CSS_SELECTOR, "rect.bar") == []
    assert chart(browser, "awarded").find_element(By.CSS_SELECTOR, "text.no-data").is_displayed()
    link = browser.find_element(By.CSS_SELECTOR, "#panel-downloads a.csv-link")
    assert link.get_attribute("href").endswith(f"points.csv?from=2024-01-01&to={yesterday.isoformat()}")

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Last 12 months"))
    assert figure(browser, "awarded") == "4,700"


def test_bad_dates_show_a_message_and_the_default_range(admin_browser, screenshot, tenant):
    build_world(tenant)
    browser, base = admin_browser

    open_page(browser, base + dashboard_url(tenant.organisation, "from=2026-05-01&to=2026-04-01"))
    screenshot("reversed-range")
    assert browser.find_element(By.ID, "range-error").text == (
        "“From” must be on or before “To”. Showing the last 12 months instead."
    )
    assert figure(browser, "awarded") == "4,700"


def test_the_organisation_page_leads_to_its_dashboard(admin_browser, tenant):
    build_world(tenant)
    browser, base = admin_browser

    open_page(browser, f"{base}/admin/users/organisation/{tenant.organisation.pk}/change/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "DASHBOARD"))
    assert browser.current_url == base + dashboard_url(tenant.organisation)
    open_page(browser, f"{base}/admin/reports/dashboard/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Open dashboard"))
    assert browser.find_element(By.TAG_NAME, "h1").text == tenant.organisation.name

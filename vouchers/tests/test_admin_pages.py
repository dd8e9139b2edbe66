"""The vouchers admin as operations staff see it, in headless Chromium on a 1400 px screen: a campaign's
progress, the campaign list and every other vouchers list. Each test measures the page in the browser and
saves a screenshot (var/screenshots/) for a person to look at."""

from dataclasses import dataclass
from unittest import mock

import pytest
from selenium.webdriver.common.by import By

from points.tests.admin_pages import UUID, assert_fits_the_screen, column, open_page, readonly_value, rect
from points.tests.factories import make_programme, seed_employees, system
from vouchers import services
from vouchers.commands import CampaignCreate
from vouchers.models import Campaign, Voucher
from vouchers.tests.factories import fund_wallet, make_catalogue, order

pytestmark = pytest.mark.django_db(transaction=True)

PROGRAMME = "PERKS — Year-end perks"
EMPLOYEES = [f"E{n}" for n in range(10)]


@dataclass
class Shop:
    running: Campaign  # 4 of its 10 recipients done
    done: Campaign


def campaign(tenant, campaign_id: str, product) -> Campaign:
    data = {"campaign_id": campaign_id, "name": "Year-end thanks", "product_id": str(product.pk), "denomination": 20}
    data |= {"programme": "PERKS", "filter": {}}
    return services.campaign_create(actor=system(tenant), command=CampaignCreate.parse(data)).campaign


@pytest.fixture
def shop(tenant) -> Shop:
    """acme: ten employees, a catalogue with stock, PERKS (2,500,000 points) paying two campaigns of a
    voucher of 240 points for everyone, and orders paid from a wallet and from PERKS."""
    seed_employees(tenant, *EMPLOYEES)
    catalogue = make_catalogue(tenant, stock_codes=3)
    make_programme(tenant, "PERKS", budget=2_500_000, name="Year-end perks")
    fund_wallet(tenant, "E1", 10_000)
    order(tenant, order_id="O1", product=catalogue.stock, quantity=2)
    order(tenant, order_id="O2", product=catalogue.generated, denomination=20, funding="programme", programme="PERKS")
    # The worker's part is played here, with or without Redis: "january" stops after its first chunk.
    with mock.patch("vouchers.services.campaigns.enqueue_on_commit"):
        done = campaign(tenant, "december", catalogue.generated)
        running = campaign(tenant, "january", catalogue.generated)
    services.campaign_process(done.pk)
    services.campaign_process(running.pk, chunk_size=4, max_seconds=0)
    return Shop(running, done)


def test_a_campaign_page_shows_its_progress_programme_and_grouped_points(admin_browser, screenshot, shop):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/vouchers/campaign/{shop.running.pk}/change/")
    bar = browser.find_element(By.CSS_SELECTOR, ".field-progress progress")
    screenshot("campaign-page")

    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("4", "10")
    assert bar.is_displayed() and rect(browser, bar)["width"] >= 100
    assert browser.find_element(By.CSS_SELECTOR, ".campaign-progress").text == "40% · 4 of 10 processed"
    assert readonly_value(browser, "programme") == PROGRAMME
    assert readonly_value(browser, "points_drawn_shown") == "960"
    assert readonly_value(browser, "issued_shown") == "4"
    assert not UUID.search(browser.find_element(By.ID, "content").text)

    open_page(browser, f"{base}/admin/vouchers/campaign/{shop.done.pk}/change/")
    assert browser.find_element(By.CSS_SELECTOR, ".campaign-progress").text == "100% · 10 of 10 processed"
    assert readonly_value(browser, "points_drawn_shown") == "2,400"


def test_the_campaign_list_fits_the_screen_with_progress_and_points(admin_browser, screenshot, shop):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/vouchers/campaign/")
    screenshot("campaigns")

    assert column(browser, "campaign_id") == ["january", "december"]
    assert column(browser, "progress_short") == ["40% · 4 of 10", "100% · 10 of 10"]
    assert column(browser, "points_drawn_shown") == ["960", "2,400"]
    assert not UUID.search(browser.find_element(By.ID, "result_list").text)
    assert_fits_the_screen(browser, "campaigns")


def test_every_vouchers_list_fits_the_screen(admin_browser, screenshot, shop):
    browser, base = admin_browser
    models = ("brand", "product", "stockimport", "stockcode", "voucher", "voucherorder", "voucherreveal")
    for model in (*models, "campaignrecipient"):
        open_page(browser, f"{base}/admin/vouchers/{model}/")
        screenshot(model)
        assert_fits_the_screen(browser, model)
        if model == "voucherorder":
            assert sorted(column(browser, "points_shown")) == ["240", "500"]

    paid_by_perks = Voucher.objects.get(order__order_id="O2")
    open_page(browser, f"{base}/admin/vouchers/voucher/{paid_by_perks.pk}/change/")
    screenshot("voucher-page")
    assert readonly_value(browser, "programme") == PROGRAMME
    assert readonly_value(browser, "points_shown") == "240"

"""The points admin as operations staff see it, in headless Chromium on a 1400 px screen: the upload preview
with its row errors, batch progress, requests waiting for approval, programmes and their budgets.
Each test measures the page in the browser and saves a screenshot (var/screenshots/) for a person to look at."""

import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from selenium.webdriver.common.by import By

from points import services
from points.commands import PointsRequestCommand, PointsUploadConfirmCommand
from points.models import Account, PointsBatch, PointsRequest, PointsUpload, Programme, ReconciliationIssue
from points.tests.admin_pages import (
    GROUPED,
    UUID,
    assert_fits_the_screen,
    column,
    open_page,
    readonly_value,
    rect,
)
from points.tests.batches_support import Org, credits, make_org

pytestmark = pytest.mark.django_db(transaction=True)

PROGRAMME = "KUDOS — Kudos for great work"
BAD_PLURAL = re.compile(r"([^aeiou]ys|[sxz]s|[cs]hs)$")  # Django's default plural adds an "s" to any name
UPLOAD = (
    "employee_id,points,reason,request_id,programme\n"
    "E00000,250,Thanks,u-1,KUDOS\n"
    "NOBODY,250,,u-2,KUDOS\n"
    "E00001,lots,,u-3,KUDOS\n"
    "E00002,250,,u-4,NOSUCH\n"
    "E00003,250000,,u-5,KUDOS\n"
)


@dataclass
class Desk:
    org: Org
    upload: PointsUpload
    batch: PointsBatch  # 4 of 10 items processed, the rest queued


@pytest.fixture
def desk(tenant) -> Desk:
    """acme with a funded programme (1,250,000 points), two requests waiting for approval, one credited,
    an upload with four bad rows and a batch stopped part way."""
    org = make_org(tenant, employees=6, budget=1_250_000, approval_threshold=1_000, name="Kudos for great work")
    for request_id, points in (("big-1", 12_500), ("big-2", 1_500), ("small-1", 250)):
        data = {"request_id": request_id, "employee_id": "E00004", "points": points, "programme": "KUDOS"}
        services.points_request_submit(actor=org.actor, command=PointsRequestCommand.parse(data))
    file = SimpleUploadedFile("awards-december.csv", UPLOAD.encode(), "text/csv")
    upload = services.points_upload_create(actor=org.actor, file=file, filename=file.name, content_type="text/csv")
    # The worker's part is played here, with or without Redis: the batch stops after its first chunk.
    with mock.patch("points.services.batches.enqueue_on_commit"):
        batch = org.batch("december-awards", credits(org, 10, prefix="dec", points=lambda n: 100 + n))
    services.points_batch_process(batch.pk, chunk_size=4, max_seconds=0)
    return Desk(org, upload, batch)


def test_upload_preview_shows_each_row_error_across_the_page(admin_browser, screenshot, desk):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/points/pointsupload/{desk.upload.pk}/change/")

    table = browser.find_element(By.ID, "upload-errors")
    header = [th.get_attribute("textContent") for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    messages = table.find_elements(By.CSS_SELECTOR, "tbody td:last-child")
    confirm = browser.find_element(By.ID, "confirm-upload")
    path = screenshot("upload-preview")

    assert header == ["Row", "Column", "Code", "Message"]
    assert [row[:3] for row in rows] == [
        ["3", "employee_id", "employee_not_found"],
        ["4", "points", "invalid"],
        ["5", "programme", "programme_not_found"],
        ["6", "points", "points_out_of_range"],
    ], rows
    assert rows[0][3] == "No employee 'NOBODY'."
    assert rect(browser, table)["width"] >= 800
    for message in messages:  # each message on the page, on lines of readable width
        assert message.is_displayed() and message.text
        assert rect(browser, message)["width"] >= 400
    table_box, confirm_box = rect(browser, table), rect(browser, confirm)
    assert confirm_box["bottom"] <= table_box["top"]  # the button stands above the table, not beside it
    assert confirm.get_attribute("value") == "Confirm: credit the 1 valid row"
    assert path.exists()


def test_batch_progress_on_its_page_and_in_the_list(admin_browser, screenshot, desk):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/points/pointsbatch/{desk.batch.pk}/change/")
    bar = browser.find_element(By.CSS_SELECTOR, ".field-progress progress")
    text = browser.find_element(By.CSS_SELECTOR, ".batch-progress").text
    screenshot("batch-page")

    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("4", "10")
    assert bar.is_displayed() and rect(browser, bar)["width"] >= 100
    assert text == "40% · 4 of 10 processed: 4 credited, 0 pending approval, 0 rejected, 0 replayed"

    open_page(browser, f"{base}/admin/points/pointsbatch/")
    screenshot("batch-list")
    assert column(browser, "batch_id") == ["december-awards"]
    assert column(browser, "percent") == ["40%"]
    assert_fits_the_screen(browser, "batch list")


def test_requests_waiting_for_approval_show_programme_names_and_grouped_points(admin_browser, screenshot, desk):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/points/pointsrequest/?status__exact=pending_approval")
    screenshot("pending-requests")

    assert sorted(column(browser, "request_id")) == ["big-1", "big-2"]
    assert sorted(column(browser, "points_shown")) == ["1,500", "12,500"]
    assert column(browser, "programme") == [PROGRAMME, PROGRAMME]
    assert not UUID.search(browser.find_element(By.ID, "result_list").text)
    assert_fits_the_screen(browser, "pending requests")
    filter_choices = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#changelist-filter a")]
    assert PROGRAMME in filter_choices

    pending = PointsRequest.objects.get(request_id="big-1")
    open_page(browser, f"{base}/admin/points/pointsrequest/{pending.pk}/change/")
    screenshot("request-page")
    assert readonly_value(browser, "points_shown") == "12,500"
    assert readonly_value(browser, "programme") == PROGRAMME
    assert readonly_value(browser, "balance_after_shown") == "-"  # not credited yet: the admin's empty mark
    assert readonly_value(browser, "batch_link") == "-"

    from_batch = PointsRequest.objects.get(request_id="dec-0")
    open_page(browser, f"{base}/admin/points/pointsrequest/{from_batch.pk}/change/")
    assert readonly_value(browser, "batch_link") == "december-awards (processing)"
    assert readonly_value(browser, "balance_after_shown") == "100"
    assert not UUID.search(browser.find_element(By.ID, "content").text)


def test_programmes_list_and_page_show_grouped_budgets(admin_browser, screenshot, desk):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/points/programme/")
    screenshot("programmes")

    # 1,250,000 topped up; 250 credited, and 406 by the batch's first four items
    assert column(browser, "budget_balance") == ["1,249,344"]
    assert column(browser, "approval_threshold_shown") == ["1,000"]
    assert column(browser, "name") == ["Kudos for great work"]
    assert_fits_the_screen(browser, "programmes")

    programme = Programme.objects.get(code="KUDOS")
    open_page(browser, f"{base}/admin/points/programme/{programme.pk}/change/")
    screenshot("programme-page")
    assert readonly_value(browser, "budget_balance") == "1,249,344"
    assert readonly_value(browser, "max_points_shown") == "100,000"
    assert browser.find_element(By.CSS_SELECTOR, "#content h2").text == PROGRAMME
    assert not UUID.search(browser.find_element(By.ID, "content").text)


def test_the_index_names_every_model_in_plain_english(admin_browser, screenshot, desk):
    browser, base = admin_browser
    open_page(browser, f"{base}/admin/")
    screenshot("index")
    tables = browser.find_elements(By.CSS_SELECTOR, "#content-main .module table")
    labels = {
        table.find_element(By.TAG_NAME, "caption").text: [
            th.text for th in table.find_elements(By.CSS_SELECTOR, "th[scope=row]")
        ]
        for table in tables
    }

    assert labels["POINTS"] == [
        "Accounts",
        "Ledger entries",
        "Points batch items",
        "Points batches",
        "Points requests",
        "Points uploads",
        "Programmes",
        "Reconciliation issues",
    ]
    assert labels["USERS"] == ["API clients", "Business units", "Cost centres", "Employees", "Organisations"]
    assert "entrys" not in browser.page_source and "Api clients" not in browser.page_source
    every_label = [label for section in labels.values() for label in section]
    assert len(every_label) >= 22, labels
    assert [label for label in every_label if BAD_PLURAL.search(label)] == []  # any app's, e.g. "deliverys"


def filter_titles(browser) -> list[str]:
    return [title.text for title in browser.find_elements(By.CSS_SELECTOR, "#changelist-filter details summary")]


def test_every_points_and_users_list_fits_the_screen(admin_browser, screenshot, desk):
    browser, base = admin_browser
    with mock.patch("points.services.batches.enqueue_on_commit"):  # a second batch, from the file
        from_file = services.points_upload_confirm(
            actor=desk.org.actor, command=PointsUploadConfirmCommand.parse({"upload": desk.upload.pk})
        ).batch
    services.points_batch_process(from_file.pk)
    funding = Account.objects.get(kind="funding", organisation=desk.org.tenant.organisation)
    issue = {"kind": "entries", "cached_balance": -1_250_000, "computed_balance": -1}
    ReconciliationIssue.objects.create(organisation=funding.organisation, account=funding, **issue)  # as the job would
    lists = [f"points/{model}/" for model in ("programme", "pointsrequest", "ledgerentry", "reconciliationissue")]
    lists += [f"points/{model}/" for model in ("pointsbatch", "pointsbatchitem", "pointsupload", "pointsupload/add")]
    lists += [f"users/{model}/" for model in ("organisation", "apiclient", "employee", "businessunit", "costcentre")]
    for path in ["points/account/", *lists]:
        open_page(browser, f"{base}/admin/{path}")
        screenshot(path.strip("/").replace("/", "-"))
        assert_fits_the_screen(browser, path)
        if path == "points/account/":
            balances = column(browser, "balance_shown")
            assert "-1,250,000" in balances  # the funding account paid the top-up
            assert all(GROUPED.fullmatch(b) for b in balances), balances
            assert not UUID.search(browser.find_element(By.ID, "result_list").text)
        if path == "points/ledgerentry/":
            assert "-1,250,000" in column(browser, "amount_shown")
            assert filter_titles(browser) == ["By transaction kind", "By account kind"]
        if path == "users/employee/":
            assert filter_titles(browser) == ["By status", "By country", "By business unit", "By cost centre"]
        if path == "points/reconciliationissue/":
            assert (column(browser, "cached_shown"), column(browser, "computed_shown")) == (["-1,250,000"], ["-1"])

"""The webhooks admin as operations staff see it, in headless Chromium against the live server: the
subscriptions list, a subscription added with its secret shown once, "send test" and "retry" reaching a real
receiver on 127.0.0.1 (signatures checked with the standardwebhooks library), and a delivery's attempts."""

import pytest
from django.contrib.sessions.models import Session
from pytest_httpserver import HTTPServer
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from standardwebhooks import Webhook

from integrations.webhooks.models import Delivery, Subscription
from integrations.webhooks.tests.test_deliveries_support import make_delivery, make_subscription
from plum.core.keys import unseal
from plum.testing.browser import click_and_wait, shown_messages
from points.tests.admin_pages import assert_fits_the_screen, column, open_page, readonly_value

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SUBSCRIPTIONS = "/admin/integrations_webhooks/subscription/"
DELIVERIES = "/admin/integrations_webhooks/delivery/"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def sends_in_the_server(monkeypatch):
    """The worker's part is played by the live server's thread, with or without Redis: "retry" queues the send."""
    from integrations.webhooks import tasks

    task = tasks.send_deliveries_task
    monkeypatch.setattr(task, "delay", lambda ids, token: task.apply(args=(ids, token)).get())


def run_action(browser, url: str, action: str, *rows) -> None:
    """Tick `rows` on the change list at `url`, choose `action` and press Go, as a person would."""
    open_page(browser, url)
    for row in rows:
        browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{row.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[name=index]"))


def verified(received, secret: str) -> dict:
    """The body of a POST the receiver got, once its Standard Webhooks signature checks out."""
    return Webhook(secret).verify(received.get_data(), dict(received.headers))


def test_the_list_shows_url_events_active_and_why_disabled(admin_browser, screenshot, tenant):
    make_subscription(tenant.organisation.id, "https://93.184.215.14/hook", ["voucher.issued", "employee.created"])
    gone = {"active": False, "disabled_reason": "Receiver answered 410 Gone"}
    make_subscription(tenant.organisation.id, "https://93.184.215.15/old", ["employee.created"], **gone)
    browser, base = admin_browser
    open_page(browser, f"{base}{SUBSCRIPTIONS}")
    screenshot("subscriptions")

    rows = sorted(
        zip(
            column(browser, "url"),
            column(browser, "event_list"),
            [img.get_attribute("alt") for img in browser.find_elements(By.CSS_SELECTOR, "td.field-active img")],
            column(browser, "disabled_reason"),
            strict=True,
        )
    )
    assert rows == [
        ("https://93.184.215.14/hook", "voucher.issued, employee.created", "True", "-"),
        ("https://93.184.215.15/old", "employee.created", "False", "Receiver answered 410 Gone"),
    ]
    assert_fits_the_screen(browser, "subscriptions")


def add_subscription(browser, base: str, organisation) -> None:
    """Fill in and save the add form, as a person would, for a subscription to voucher.issued."""
    open_page(browser, f"{base}{SUBSCRIPTIONS}add/")
    Select(browser.find_element(By.NAME, "organisation")).select_by_value(str(organisation.pk))
    browser.find_element(By.NAME, "url").send_keys("https://93.184.215.14/hook")
    browser.find_element(By.CSS_SELECTOR, "input[name=events][value='voucher.issued']").click()
    assert browser.find_element(By.NAME, "active").is_selected()  # active unless staff untick it
    click_and_wait(browser, browser.find_element(By.NAME, "_save"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".errorlist"), browser.find_element(By.ID, "content").text


def test_adding_a_subscription_shows_its_secret_once_and_stores_it_sealed(admin_browser, screenshot, tenant):
    browser, base = admin_browser
    add_subscription(browser, base, tenant.organisation)

    secret = browser.find_element(By.ID, "signing-secret").text
    screenshot("secret-page")
    subscription = Subscription.objects.get()
    assert secret.startswith("whsec_") and unseal(subscription.secret_sealed, tenant.organisation.pk) == secret
    assert (subscription.url, subscription.events, subscription.active) == (
        "https://93.184.215.14/hook",
        ["voucher.issued"],
        True,
    )
    row = Subscription.objects.filter(pk=subscription.pk).values().get()
    sealed = bytes(row.pop("secret_sealed"))
    assert secret.removeprefix("whsec_").encode() not in sealed and row["previous_secret_sealed"] is None
    assert all(secret not in str(value) for value in row.values())

    # Never again: not after the link back, not on the list, not on the change page, nor held for later.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Back to the subscription"))
    change_page = browser.page_source
    assert readonly_value(browser, "created_at") and secret not in change_page and "secret_sealed" not in change_page
    for url in (f"{base}{SUBSCRIPTIONS}", f"{base}{SUBSCRIPTIONS}{subscription.pk}/change/"):
        open_page(browser, url)
        assert secret not in browser.page_source and not shown_messages(browser), url
    assert all(secret not in cookie["value"] for cookie in browser.get_cookies())
    assert all(secret not in str(session.get_decoded()) for session in Session.objects.all())


def test_the_secret_page_has_one_heading(admin_browser, tenant):
    browser, base = admin_browser
    add_subscription(browser, base, tenant.organisation)

    # read in one script: elements found first and read later can go stale while the page settles
    headings = browser.execute_script(
        "return [...document.querySelectorAll('#content h1')].map(h => h.innerText.trim())"
    )
    assert headings == ["Webhook subscription created"]


def test_send_test_reaches_the_receiver_signed_and_says_so(admin_browser, receiver, tenant):
    receiver.expect_request("/hook", method="POST").respond_with_data("thanks", status=200)
    subscription, secret = make_subscription(tenant.organisation.id, receiver.url_for("/hook"), ["voucher.issued"])
    browser, base = admin_browser

    run_action(browser, f"{base}{SUBSCRIPTIONS}", "send_test", subscription)

    delivery = Delivery.objects.get()
    [(received, _)] = receiver.log
    event = verified(received, secret)
    assert (event["id"], event["type"]) == (str(delivery.event_id), "webhook.test")
    assert received.headers["webhook-id"] == str(delivery.event_id)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert shown_messages(browser) == [f"Test delivery to {subscription.url}: delivered (200)."]


def test_send_test_message_tells_how_the_send_went(admin_browser, receiver, tenant):
    receiver.expect_request("/hook", method="POST").respond_with_data("no", status=503)
    subscription, _ = make_subscription(tenant.organisation.id, receiver.url_for("/hook"), ["voucher.issued"])
    browser, base = admin_browser

    run_action(browser, f"{base}{SUBSCRIPTIONS}", "send_test", subscription)

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.last_status_code) == ("failed", 503)
    assert shown_messages(browser) == [f"Test delivery to {subscription.url}: failed (503)."]


def test_a_delivery_page_shows_each_attempt(admin_browser, screenshot, receiver, sends_in_the_server, tenant):
    """Failed once (503), then sent again by "retry" and delivered: both attempts on its page."""
    receiver.expect_oneshot_request("/hook", method="POST").respond_with_data("try later", status=503)
    receiver.expect_request("/hook", method="POST").respond_with_data('{"received": true}', status=200)
    subscription, secret = make_subscription(tenant.organisation.id, receiver.url_for("/hook"), ["voucher.issued"])
    browser, base = admin_browser
    run_action(browser, f"{base}{SUBSCRIPTIONS}", "send_test", subscription)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 1, 503)
    run_action(browser, f"{base}{DELIVERIES}", "retry", delivery)
    assert shown_messages(browser) == ["1 delivery queued again."]

    open_page(browser, f"{base}{DELIVERIES}{delivery.pk}/change/")
    path = screenshot("delivery-page")
    cells = ("number", "status_code", "error", "answer_excerpt")
    attempts = [
        [row.find_element(By.CSS_SELECTOR, f"td.field-{name}").text for name in cells]
        for row in browser.find_elements(By.CSS_SELECTOR, "#attempts_made-group tbody tr.form-row")
    ]
    assert attempts == [
        ["1", "503", "Receiver answered 503", "try later"],
        ["2", "200", "-", '{"received": true}'],  # "-": the admin's empty mark
    ]
    assert (readonly_value(browser, "state"), readonly_value(browser, "attempts")) == ("Delivered", "2")
    assert readonly_value(browser, "event_id") == str(delivery.event_id)
    text = browser.find_element(By.ID, "content").text
    assert "Receiver answered 503" in text and "try later" in text and "webhook.test" in text
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000
    assert [verified(received, secret)["id"] for received, _ in receiver.log] == [str(delivery.event_id)] * 2
    assert_fits_the_screen(browser, "delivery page")


def test_retry_puts_a_dead_delivery_back_and_the_receiver_gets_it(
    admin_browser, screenshot, receiver, sends_in_the_server, tenant
):
    receiver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    subscription, secret = make_subscription(tenant.organisation.id, receiver.url_for("/hook"), ["employee.created"])
    dead = make_delivery(subscription, "dead", attempts=8, last_status_code=500, last_error="Receiver answered 500")
    browser, base = admin_browser
    open_page(browser, f"{base}{DELIVERIES}?state__exact=dead")
    assert column(browser, "state") == ["Dead"]

    run_action(browser, f"{base}{DELIVERIES}?state__exact=dead", "retry", dead)
    screenshot("retried")

    assert shown_messages(browser) == ["1 delivery queued again."]
    [(received, _)] = receiver.log
    assert verified(received, secret) == {"id": str(dead.event_id), "type": "employee.created", "data": {}}
    assert received.headers["webhook-id"] == str(dead.event_id)
    dead.refresh_from_db()
    assert (dead.state, dead.attempts, dead.last_status_code, dead.last_error) == ("delivered", 9, 204, "")

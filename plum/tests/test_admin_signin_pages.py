"""Headless Chromium: staff sign in to the admin with a password and a TOTP code computed here; a wrong
code is refused; a recovery code works once; enrolment shows the QR code; without MFA the old flow works."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By

from plum.core.signin.forms import WRONG_CODE
from plum.testing.browser import click_and_wait

pytestmark = pytest.mark.django_db(transaction=True)


def code_of(device: TOTPDevice, shift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{(totp.token() + shift) % 10**6:06d}"


def sign_in(browser, base_url, code=None):
    browser.delete_all_cookies()
    browser.get(f"{base_url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    if code is not None:
        browser.find_element(By.NAME, "otp_token").send_keys(code)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))


def on_admin_index(browser) -> bool:
    return browser.find_elements(By.ID, "site-name") != [] and browser.title.startswith("Site administration")


@pytest.fixture
def enrolled(admin_user, settings):
    settings.ADMIN_MFA = True
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=admin_user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=recovery, token="rcv12345")
    return device


def test_a_wrong_code_is_refused_and_the_right_one_signs_in(browser, live_server, enrolled, screenshot):
    sign_in(browser, live_server.url, code=code_of(enrolled, shift=1))
    assert WRONG_CODE in browser.find_element(By.CSS_SELECTOR, "p.errornote").text
    assert not on_admin_index(browser)
    screenshot("wrong-code")

    TOTPDevice.objects.filter(pk=enrolled.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    sign_in(browser, live_server.url, code=code_of(enrolled))
    assert on_admin_index(browser)


def test_a_recovery_code_signs_in_once(browser, live_server, enrolled):
    sign_in(browser, live_server.url, code="rcv12345")
    assert on_admin_index(browser)
    sign_in(browser, live_server.url, code="rcv12345")
    assert WRONG_CODE in browser.find_element(By.CSS_SELECTOR, "p.errornote").text


def test_first_sign_in_enrols_with_the_qr_code_and_shows_recovery_codes(
    browser, live_server, admin_user, settings, screenshot
):
    settings.ADMIN_MFA = True
    sign_in(browser, live_server.url, code="")
    assert browser.current_url == f"{live_server.url}/admin/mfa/enrol/"
    qr = browser.find_element(By.CSS_SELECTOR, ".mfa-qr svg")
    assert qr.size["width"] >= 150 and qr.size["height"] >= 150
    screenshot("enrol")
    device = TOTPDevice.objects.get(user=admin_user)
    browser.find_element(By.NAME, "otp_token").send_keys(code_of(device))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#mfa-enrol-form input[type=submit]"))
    shown = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
    assert sorted(shown) == sorted(StaticToken.objects.values_list("token", flat=True)) and len(shown) == 10
    screenshot("recovery-codes")
    click_and_wait(browser, browser.find_element(By.ID, "continue"))
    assert on_admin_index(browser)


def test_without_mfa_the_password_alone_signs_in(browser, live_server, admin_user):
    sign_in(browser, live_server.url)
    assert browser.find_elements(By.NAME, "otp_token") == [] or on_admin_index(browser)
    assert on_admin_index(browser)

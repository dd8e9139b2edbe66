"""Staff sign-in to the admin: the second factor (PLUM_ADMIN_MFA=1), enrolment, recovery codes, and
throttled failures (django-axes); the API's OAuth token endpoint is not affected."""

import re

import pytest
from axes.models import AccessAttempt
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from plum.core.signin.forms import WRONG_CODE

LOGIN, INDEX, ENROL = "/admin/login/", "/admin/", "/admin/mfa/enrol/"
LOCKED = "Too many failed sign-ins for this user from this address."


def sign_in(client, username="admin", password="password", code=None):
    data = {"username": username, "password": password, "next": INDEX}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.fixture
def mfa(settings):
    settings.ADMIN_MFA = True


@pytest.fixture
def enrolled(admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=admin_user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=recovery, token="rcv12345")
    return device


def test_without_mfa_the_password_alone_signs_in_and_no_code_is_asked(client, admin_user):
    assert 'name="otp_token"' not in client.get(LOGIN).content.decode()
    response = sign_in(client)
    assert (response.status_code, response["Location"]) == (302, INDEX)
    assert client.get(INDEX).status_code == 200


def test_with_mfa_the_right_code_signs_in(client, mfa, enrolled):
    assert 'name="otp_token"' in client.get(LOGIN).content.decode()
    response = sign_in(client, code=current_code(enrolled))
    assert (response.status_code, response["Location"]) == (302, INDEX)
    assert client.get(INDEX).status_code == 200


@pytest.mark.parametrize("code", ["", "wrong"])
def test_with_mfa_a_missing_or_wrong_code_is_refused(client, mfa, enrolled, code):
    response = sign_in(client, code=wrong(current_code(enrolled)) if code else "")
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(INDEX).status_code == 302


def test_a_recovery_code_signs_in_once(client, mfa, enrolled):
    assert sign_in(client, code="rcv12345")["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    client.logout()
    again = sign_in(client, code="rcv12345")
    assert WRONG_CODE in again.content.decode()
    assert StaticToken.objects.count() == 0


def test_a_password_only_session_does_not_open_the_admin_when_mfa_is_on(client, admin_user, mfa, enrolled):
    client.force_login(admin_user)
    response = client.get(INDEX)
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next={INDEX}")
    page = client.get(LOGIN).content.decode()
    assert "with a password only: sign in again with the code" in page


def test_staff_without_a_device_enrol_and_see_their_recovery_codes_once(client, settings, admin_user, mfa):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a person waits a second after a wrong code (django-otp's throttle)
    response = sign_in(client, code="")
    assert (response.status_code, response["Location"]) == (302, ENROL)
    assert client.get(INDEX).status_code == 302  # not verified yet
    page = client.get(ENROL).content.decode()
    secret = re.search(r'<code id="mfa-secret">([A-Z2-7]+)</code>', page).group(1)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'href="otpauth://totp/Plum%3Aadmin?secret=' in page
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert secret == __import__("base64").b32encode(device.bin_key).decode()

    refused = client.post(ENROL, {"otp_token": wrong(current_code(device))})
    assert "That code is not the one the app shows now" in refused.content.decode()
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is False

    shown = client.post(ENROL, {"otp_token": current_code(device)}).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    assert client.get(INDEX).status_code == 200  # this session is verified by the new device
    assert client.get(ENROL)["Location"] == INDEX  # enrolment happens once
    client.logout()
    assert sign_in(client, code=codes[0])["Location"] == INDEX


def test_enrolment_is_not_offered_without_mfa_or_to_anyone_signed_out(client, settings, admin_user):
    assert client.get(ENROL)["Location"] == LOGIN
    client.force_login(admin_user)
    assert client.get(ENROL)["Location"] == INDEX
    assert TOTPDevice.objects.count() == 0


def test_failed_sign_ins_lock_the_user_out_from_that_address_for_the_cooloff(client, settings, admin_user):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert sign_in(client, password="nope").status_code == 200
    assert sign_in(client, password="nope").status_code == 429  # the third failure locks
    locked = sign_in(client)  # then even the right password is refused
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode() and "locked for 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="admin").failures_since_start == 4
    # another user from the same address is not locked
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("other", password="password", is_staff=True)
    assert sign_in(client, username="other")["Location"] == INDEX


def test_wrong_codes_count_as_failed_sign_ins(client, settings, mfa, enrolled):
    settings.AXES_FAILURE_LIMIT = 2
    assert WRONG_CODE in sign_in(client, code=wrong(current_code(enrolled))).content.decode()
    assert sign_in(client, code=wrong(current_code(enrolled))).status_code == 429
    assert sign_in(client, code=current_code(enrolled)).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_api_token_endpoint_is_not_throttled_by_the_admin_lockout(client, settings, tenant, admin_user):
    settings.AXES_FAILURE_LIMIT = 1
    sign_in(client, password="nope")
    answer = client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION="Basic "
        + __import__("base64").b64encode(f"{tenant.client.client_id}:{tenant.client_secret}".encode()).decode(),
    )
    assert answer.status_code == 200 and "access_token" in answer.json()

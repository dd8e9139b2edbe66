"""PLUM_VOUCHER_KEY: checked at start-up; the development key only warns."""

import base64

import pytest

from plum.core.keys import UnknownKey
from vouchers.apps import voucher_key_check
from vouchers.codes import decrypt, encrypt, lookup_hash

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


def test_no_key_warns_that_the_public_development_key_is_in_use(settings):
    settings.VOUCHER_CODE_KEY = ""
    assert [(m.id, m.level) for m in voucher_key_check(None)] == [("vouchers.W001", 30)]


def test_a_proper_key_passes(settings):
    settings.VOUCHER_CODE_KEY = KEY
    assert voucher_key_check(None) == []


@pytest.mark.parametrize("bad", ["not base64 !!", base64.urlsafe_b64encode(b"short").decode()])
def test_a_bad_key_is_an_error(settings, bad):
    settings.VOUCHER_CODE_KEY = bad
    assert [m.id for m in voucher_key_check(None)] == ["vouchers.E001"]


def test_the_key_decides_hash_and_ciphertext(settings):
    import uuid

    org = uuid.uuid4()
    settings.VOUCHER_CODE_KEY = KEY
    sealed, digest = encrypt("GIFT-1234", org), lookup_hash("GIFT-1234")
    assert decrypt(sealed, org) == "GIFT-1234"
    settings.VOUCHER_CODE_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
    assert lookup_hash("GIFT-1234") != digest
    with pytest.raises(UnknownKey, match="not PLUM_VOUCHER_KEY or PLUM_VOUCHER_KEY_PREVIOUS"):
        decrypt(sealed, org)


def test_a_previous_key_without_a_pinned_lookup_key_is_an_error(settings):
    settings.VOUCHER_CODE_KEY = KEY
    settings.VOUCHER_CODE_KEY_PREVIOUS = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
    settings.VOUCHER_LOOKUP_KEY = ""
    (error,) = voucher_key_check(None)
    assert error.id == "vouchers.E001"
    assert error.msg.startswith("PLUM_VOUCHER_KEY_PREVIOUS is set but PLUM_VOUCHER_LOOKUP_KEY is not")


@pytest.mark.parametrize(
    "name",
    ["VOUCHER_CODE_KEY_PREVIOUS", "VOUCHER_LOOKUP_KEY", "INTEGRATION_SECRET_KEY", "INTEGRATION_SECRET_KEY_PREVIOUS"],
)
def test_a_bad_rotation_key_is_an_error_naming_it(settings, name):
    settings.VOUCHER_CODE_KEY = settings.VOUCHER_LOOKUP_KEY = KEY
    setattr(settings, name, base64.urlsafe_b64encode(b"short").decode())
    variable = {
        "VOUCHER_CODE_KEY_PREVIOUS": "PLUM_VOUCHER_KEY_PREVIOUS",
        "VOUCHER_LOOKUP_KEY": "PLUM_VOUCHER_LOOKUP_KEY",
    }
    expected = variable.get(name, name.replace("INTEGRATION_SECRET_KEY", "PLUM_INTEGRATION_KEY"))
    assert [(m.id, m.msg) for m in voucher_key_check(None)] == [
        ("vouchers.E001", f"{expected} must be 32 bytes (URL-safe base64).")
    ]


def test_the_lookup_hash_stays_with_the_pinned_key_while_the_code_key_changes(settings):
    settings.VOUCHER_CODE_KEY = KEY
    digest = lookup_hash("GIFT-1234")
    settings.VOUCHER_CODE_KEY = base64.urlsafe_b64encode(bytes(range(1, 33))).decode()
    settings.VOUCHER_CODE_KEY_PREVIOUS = settings.VOUCHER_LOOKUP_KEY = KEY
    assert lookup_hash("GIFT-1234") == digest

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

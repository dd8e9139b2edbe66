"""Integration secrets are sealed at rest: readable only with Plum's key and only on their own tenant's row."""

import base64
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidTag
from standardwebhooks import Webhook

from plum.core.keys import UnknownKey, new_webhook_secret, rotate_secret, seal, secrets_in_force, unseal

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()


def test_a_sealed_secret_opens_to_itself_and_holds_no_readable_copy():
    secret = new_webhook_secret()
    blob = seal(secret, ORG)
    assert unseal(blob, ORG) == secret
    assert secret.encode() not in blob and secret.removeprefix("whsec_").encode() not in blob


def test_two_seals_of_one_secret_differ():
    secret = new_webhook_secret()
    assert seal(secret, ORG) != seal(secret, ORG)  # a fresh nonce each time


def test_a_secret_copied_onto_another_tenants_row_does_not_open():
    with pytest.raises(InvalidTag):
        unseal(seal(new_webhook_secret(), ORG), OTHER_ORG)


def test_a_secret_sealed_under_another_key_does_not_open(settings):
    blob = seal("whsec_x", ORG)
    settings.VOUCHER_CODE_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
    with pytest.raises(UnknownKey, match="not PLUM_INTEGRATION_KEY or PLUM_INTEGRATION_KEY_PREVIOUS"):
        unseal(blob, ORG)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="Unknown integration secrets format"):
        unseal(b"\x07" + bytes(40), ORG)


def test_a_new_secret_is_32_random_bytes_that_standard_webhooks_reads():
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first != second and first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    signed = Webhook(first).sign("msg_1", datetime.now(UTC), "{}")
    assert signed.startswith("v1,")


def test_a_rotation_keeps_the_previous_secret_in_force_for_24_hours_exactly():
    holder = SimpleNamespace(organisation_id=ORG, previous_secret_sealed=None, previous_secret_expires_at=None)
    first = new_webhook_secret()
    holder.secret_sealed = seal(first, ORG)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    second = rotate_secret(holder, now)
    third = rotate_secret(holder, now + timedelta(hours=1))  # one previous secret: the first stops now

    assert secrets_in_force(holder, now + timedelta(hours=1)) == [third, second]
    assert secrets_in_force(holder, now + timedelta(hours=25) - timedelta(microseconds=1)) == [third, second]
    assert secrets_in_force(holder, now + timedelta(hours=25)) == [third]
    assert first not in secrets_in_force(holder, now + timedelta(hours=1))

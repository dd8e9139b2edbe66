"""plum_rotate_voucher_key: every code and PIN moves onto the new key, resumably, verified; lookups keep working."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plum.core.keys import key_id, parse_key
from plum.core.rotation import Outcome, outdated_count, rotate
from plum.management.commands.plum_rotate_voucher_key import VOUCHER_ROTATION
from plum.tests.rotation_support import NEW, OLD, STRANGER, before_rotation, legacy_seal, opened, step_one, stored
from points.tests.factories import seed_employees
from vouchers.models import StockCode, Voucher
from vouchers.tests.factories import fund_wallet, make_catalogue, order, redeem, reveal

STOCK = 3000
LEGACY = 5


@pytest.fixture
def shop(tenant, settings):
    """3000 stock codes with PINs, two orders (stock and generated) sealed under OLD, 5 codes in the legacy format."""
    before_rotation(settings)
    seed_employees(tenant, "E1")
    fund_wallet(tenant, "E1", 10_000)
    catalogue = make_catalogue(tenant, stock_codes=STOCK)
    stock_order = order(tenant, product=catalogue.stock, quantity=2)
    generated_order = order(tenant, order_id="O2", product=catalogue.generated, denomination=10, quantity=2)
    org = tenant.organisation.id
    for code in StockCode.objects.filter(status="available").order_by("-id")[:LEGACY]:
        legacy = legacy_seal(OLD, b"plum voucher encryption", "LEGACY-" + str(code.pk), org)
        StockCode.objects.filter(pk=code.pk).update(code_ciphertext=legacy)
    return catalogue, stock_order, generated_order


def sealed_values() -> int:
    return (
        2 * StockCode.objects.count() + Voucher.objects.count() + Voucher.objects.exclude(pin_ciphertext=None).count()
    )


def test_thousands_of_codes_move_onto_the_new_key_and_verify(tenant, settings, shop):
    _, stock_order, generated_order = shop
    before = opened(VOUCHER_ROTATION)
    step_one(settings)
    out = StringIO()

    call_command("plum_rotate_voucher_key", "--chunk-size", "500", stdout=out)

    total = sealed_values()
    assert total == 2 * STOCK + 4 + 2
    assert (
        f"Done: {total} re-sealed (vouchers_stockcode {2 * STOCK}, vouchers_voucher 6) in 1 pass(es)" in out.getvalue()
    )
    assert f"verified {total} voucher codes open with PLUM_VOUCHER_KEY alone" in out.getvalue()
    assert opened(VOUCHER_ROTATION, current_only=True) == before
    prefix = b"\x02" + key_id(parse_key(NEW, "t"))
    assert all(blob is None or blob.startswith(prefix) for blob in stored(VOUCHER_ROTATION).values())
    # the previous key dropped (step 3): codes still open and are still found by their lookup hash
    settings.VOUCHER_CODE_KEY_PREVIOUS = ""
    first, second = stock_order.document["vouchers"]
    assert reveal(tenant, first["id"])["code"] == first["code"]
    assert redeem(tenant, second["code"]).status == "redeemed"
    assert redeem(tenant, generated_order.document["vouchers"][0]["code"]).status == "redeemed"


def test_a_crash_midway_then_a_rerun_finishes_without_sealing_anything_twice(settings, shop):
    before, total = opened(VOUCHER_ROTATION), sealed_values()
    step_one(settings)

    def crash_after_three_chunks(outcome: Outcome):
        if outcome.chunks == 3:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        rotate(VOUCHER_ROTATION, chunk_size=100, after_chunk=crash_after_three_chunks)
    assert outdated_count(VOUCHER_ROTATION) == total - 2 * 300  # 3 chunks of 100 stock codes, each with a PIN
    assert opened(VOUCHER_ROTATION) == before  # half way, every value opens (the new key or the previous)

    outcome = rotate(VOUCHER_ROTATION, chunk_size=100)

    assert outcome.rewritten == total - 2 * 300  # the rows done before the crash are not touched again
    assert outcome.verified == total
    assert opened(VOUCHER_ROTATION, current_only=True) == before


def test_without_the_previous_key_the_command_refuses_and_changes_nothing(settings, shop):
    before = stored(VOUCHER_ROTATION)
    settings.VOUCHER_CODE_KEY = NEW  # PLUM_VOUCHER_KEY_PREVIOUS forgotten

    with pytest.raises(CommandError) as refused:
        call_command("plum_rotate_voucher_key", stdout=StringIO())

    assert str(refused.value) == (
        f"{STOCK - LEGACY} voucher codes (vouchers_stockcode.code_ciphertext) are not under the current "
        "PLUM_VOUCHER_KEY, and PLUM_VOUCHER_KEY_PREVIOUS is not set: set it to the key they were sealed with. "
        "Nothing was changed."
    )
    assert stored(VOUCHER_ROTATION) == before


@pytest.mark.parametrize("legacy_only", [False, True])
def test_a_wrong_previous_key_is_refused_and_changes_nothing(settings, shop, legacy_only):
    if legacy_only:  # values naming no key: the wrong key is found by trying it
        Voucher.objects.all().delete()
        legacy = [pk for (table, pk, _), blob in stored(VOUCHER_ROTATION).items() if blob and blob[:1] == b"\x01"]
        StockCode.objects.exclude(pk__in=legacy).delete()
        StockCode.objects.update(pin_ciphertext=None)
    before = stored(VOUCHER_ROTATION)
    assert len([blob for blob in before.values() if blob]) == (LEGACY if legacy_only else 2 * STOCK + 6)
    step_one(settings, previous=STRANGER)

    with pytest.raises(
        CommandError, match="opens with neither PLUM_VOUCHER_KEY nor PLUM_VOUCHER_KEY_PREVIOUS"
    ) as refused:
        call_command("plum_rotate_voucher_key", stdout=StringIO())

    assert ("InvalidTag" if legacy_only else "UnknownKey") in str(refused.value)
    assert str(refused.value).endswith(
        "is PLUM_VOUCHER_KEY_PREVIOUS the key they were sealed with? Nothing was changed."
    )
    assert stored(VOUCHER_ROTATION) == before


def test_verify_only_fails_before_the_rotation_and_passes_after(settings, shop):
    step_one(settings)
    with pytest.raises(
        CommandError, match=f"^{sealed_values()} voucher codes are not under the current PLUM_VOUCHER_KEY yet.$"
    ):
        call_command("plum_rotate_voucher_key", "--verify-only", stdout=StringIO())
    call_command("plum_rotate_voucher_key", stdout=StringIO())
    out = StringIO()
    call_command("plum_rotate_voucher_key", "--verify-only", stdout=out)
    assert out.getvalue().strip() == (
        f"Verified: {sealed_values()} voucher codes open with key {key_id(parse_key(NEW, 't')).hex()}."
    )


def test_a_rerun_after_success_changes_nothing(settings, shop):
    step_one(settings)
    call_command("plum_rotate_voucher_key", stdout=StringIO())
    after = stored(VOUCHER_ROTATION)
    outcome = rotate(VOUCHER_ROTATION)
    assert (outcome.rewritten, outcome.verified) == (0, sealed_values())
    assert stored(VOUCHER_ROTATION) == after

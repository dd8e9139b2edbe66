"""Vouchers from issue to end: codes at rest, generated codes, cancel with its exact refund, expiry once,
and stock imports whole or not at all. Every refusal also proves that nothing changed."""

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from plum.core.ids import uuid7
from plum.core.models import OutboxEvent
from points.models import LedgerTransaction, Lot
from points.services import ledger_reconcile
from points.tests.factories import balance, budget, make_programme, seed_employees, system
from points.tests.ledger_support import run_parallel
from vouchers import codes, services
from vouchers.commands import StockFileImport, VoucherCancel, VoucherRedeem, VoucherReveal
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import StockCode, StockImport, Voucher
from vouchers.tests.expected import vouchers_nothing_changes, vouchers_state
from vouchers.tests.factories import add_stock, fund_wallet, make_catalogue, order, stock_csv

pytestmark = pytest.mark.django_db
PIN = "PIN-7391-4482"
CODE_PATTERN = re.compile(r"^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){4}$")


def events(event_type: str) -> list[str]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id").values_list("aggregate_id", flat=True))


@contextmanager
def refused(code: VoucherErrorCode, status: int):
    """`with refused(...)`: the block raises this voucher error and changes no row at all."""
    with vouchers_nothing_changes(), pytest.raises(VoucherError) as info:
        yield
    assert (info.value.code, info.value.http_status) == (code, status)


# --- codes at rest ---------------------------------------------------------------------------------


def test_codes_and_pins_are_not_readable_in_the_database(tenant):
    seed_employees(tenant, "E1")
    cat = make_catalogue(tenant, stock_codes=3, pin=PIN)
    make_programme(tenant, "P1", budget=10_000)
    stock = order(tenant, order_id="O1", product=cat.stock, funding="programme", programme="P1")
    made = order(tenant, order_id="O2", product=cat.generated, denomination=10, funding="programme", programme="P1")
    plain = [v["code"] for p in (stock, made) for v in p.document["vouchers"]]
    plain += [f"SKY-{tenant.organisation.slug}-{n:05d}" for n in range(3)]
    secrets_ = {*plain, *(codes.normalise(c) for c in plain), PIN}
    assert stock.document["vouchers"][0]["pin"] == PIN

    with connection.cursor() as cursor:
        for table in ("vouchers_voucher", "vouchers_stockcode", "vouchers_voucherorder", "core_outboxevent"):
            cursor.execute(f"SELECT t::text FROM {table} t")  # every column, bytea as hex
            rows = [text for (text,) in cursor.fetchall()]
            assert rows
            for secret in secrets_:
                assert not any(secret.lower() in r.lower() or secret.encode().hex() in r for r in rows), table
        for table in ("vouchers_voucher", "vouchers_stockcode"):
            cursor.execute(f"SELECT code_ciphertext, pin_ciphertext, code_hash FROM {table}")
            blobs = [bytes(b) for row in cursor.fetchall() for b in row if b is not None]
            assert not any(s.encode() in b for s in secrets_ for b in blobs)
        cursor.execute("SELECT code_hash FROM vouchers_voucher UNION ALL SELECT code_hash FROM vouchers_stockcode")
        hashes = {bytes(h) for (h,) in cursor.fetchall()}
    plain_sha = {hashlib.sha256(v.encode()).digest() for c in plain for v in (c, codes.normalise(c))}
    assert hashes and not hashes & plain_sha  # a keyed hash: a table of SHA-256s cannot reverse it
    assert hashes == {codes.lookup_hash(c) for c in plain}


def test_a_ciphertext_only_decrypts_for_its_organisation(tenant, other_tenant):
    blob = codes.encrypt("SECRET-CODE-1", tenant.organisation.id)
    assert codes.decrypt(blob, tenant.organisation.id) == "SECRET-CODE-1"
    with pytest.raises(InvalidTag):
        codes.decrypt(blob, other_tenant.organisation.id)
    assert codes.encrypt("SECRET-CODE-1", tenant.organisation.id) != blob  # a fresh nonce each time


# --- generated codes -------------------------------------------------------------------------------


def test_generated_codes_have_the_format_and_no_look_alikes():
    made = [codes.generate() for _ in range(2000)]
    assert all(CODE_PATTERN.match(c) for c in made)
    assert len(set(made)) == 2000
    assert not set("01OIL") & set(codes.ALPHABET) and len(codes.ALPHABET) == 31


def _checks_out(code: str) -> bool:
    symbols = codes.normalise(code)
    return codes.check_symbol(symbols[:-1]) == symbols[-1]


def test_the_check_symbol_catches_every_single_change_and_neighbour_swap():
    for code in [codes.generate() for _ in range(50)]:
        symbols = codes.normalise(code)
        assert _checks_out(code)
        for i, right in enumerate(symbols):
            for wrong in codes.ALPHABET.replace(right, ""):
                assert not _checks_out(symbols[:i] + wrong + symbols[i + 1 :]), (code, i, wrong)
            if i and symbols[i - 1] != right:
                assert not _checks_out(symbols[: i - 1] + right + symbols[i - 1] + symbols[i + 1 :]), (code, i)


def test_the_database_refuses_a_generated_code_twice(tenant):
    seed_employees(tenant, "E1")
    cat = make_catalogue(tenant)
    make_programme(tenant, "P1", budget=10_000)
    first = order(tenant, product=cat.generated, denomination=10, funding="programme", programme="P1").vouchers[0]
    twin = Voucher.objects.get(pk=first.pk)  # a copy, cancelled: the live-code constraint lets that pass
    twin.pk, twin.status, twin.cancelled_at = uuid7(), "cancelled", timezone.now()
    twin.refund_transaction_id = twin.funding_transaction_id
    with vouchers_nothing_changes(), pytest.raises(IntegrityError, match="generated_code_unique"), transaction.atomic():
        twin.save(force_insert=True)


def test_an_order_retries_when_a_generated_code_collides(tenant, other_tenant, monkeypatch):
    for t in (tenant, other_tenant):
        seed_employees(t, "E1")
        make_programme(t, "P1", budget=10_000)
    cat, theirs = make_catalogue(tenant), make_catalogue(other_tenant)
    body = {"product": cat.generated, "denomination": 10, "funding": "programme", "programme": "P1"}
    mine = order(tenant, order_id="O1", **body).document["vouchers"][0]["code"]
    other = order(other_tenant, order_id="O1", **{**body, "product": theirs.generated}).document["vouchers"][0]["code"]
    real, handed = codes.generate, []

    def colliding():  # another organisation's code, then our own, then fresh ones
        handed.append([other, mine][len(handed)] if len(handed) < 2 else real())
        return handed[-1]

    monkeypatch.setattr(codes, "generate", colliding)
    placed = order(tenant, order_id="O2", **body)

    assert len(handed) == 3 and placed.document["vouchers"][0]["code"] == handed[2]
    assert Voucher.objects.filter(code_hash=codes.lookup_hash(mine)).count() == 1
    assert Voucher.objects.filter(code_hash=codes.lookup_hash(other)).count() == 1
    assert budget(tenant) == 10_000 - 2 * 120  # the retries did not pay twice
    assert ledger_reconcile() == []


# --- cancel ----------------------------------------------------------------------------------------


def lots(tenant) -> list[int]:
    return list(
        Lot.objects.filter(organisation_id=tenant.organisation.id)
        .order_by("expires_at")
        .values_list("remaining", flat=True)
    )


def test_cancel_gives_each_voucher_its_own_lots_back(tenant):
    seed_employees(tenant, "E1")
    for points in (100, 150, 300):  # three lots, first to expire first
        fund_wallet(tenant, "E1", points)
    cat = make_catalogue(tenant)
    first, second = order(tenant, product=cat.generated, denomination=10, quantity=2).vouchers  # 2 x 120
    ids = list(Lot.objects.order_by("expires_at").values_list("id", flat=True))
    assert (lots(tenant), balance(tenant)) == ([0, 10, 300], 310)
    assert first.spent_lots == [[str(ids[0]), 100], [str(ids[1]), 20]]
    assert second.spent_lots == [[str(ids[1]), 120]]

    assert (
        services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=first.pk)).status == "cancelled"
    )
    assert (lots(tenant), balance(tenant)) == ([100, 30, 300], 430)
    services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=second.pk))
    assert (lots(tenant), balance(tenant)) == ([100, 150, 300], 550)
    refunds = LedgerTransaction.objects.filter(kind="refund")
    assert refunds.count() == 2
    assert ledger_reconcile() == []


def test_cancel_restores_the_budget_and_the_stock_code_is_issued_again(tenant):
    seed_employees(tenant, "E1", "E2")
    cat = make_catalogue(tenant, stock_codes=1)
    make_programme(tenant, "P1", budget=1000)
    placed = order(tenant, order_id="O1", product=cat.stock, funding="programme", programme="P1")
    code, voucher = placed.document["vouchers"][0]["code"], placed.vouchers[0]
    assert budget(tenant) == 750 and StockCode.objects.get().status == "issued"

    services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=voucher.pk))
    assert budget(tenant) == 1000 and StockCode.objects.get().status == "available"
    again = order(tenant, order_id="O2", employee_id="E2", product=cat.stock, funding="programme", programme="P1")
    assert again.document["vouchers"][0]["code"] == code
    assert again.vouchers[0].stock_code_id == voucher.stock_code_id
    assert services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=code)).pk == again.vouchers[0].pk
    assert Voucher.objects.get(pk=voucher.pk).status == "cancelled"
    assert budget(tenant) == 750
    assert ledger_reconcile() == []


def test_cancel_after_redeem_is_refused_and_cancel_twice_refunds_once(tenant):
    seed_employees(tenant, "E1")
    fund_wallet(tenant, "E1", 1000)
    cat = make_catalogue(tenant, stock_codes=2)
    placed = order(tenant, product=cat.stock, quantity=2)
    redeemed, cancelled = placed.vouchers
    services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=placed.document["vouchers"][0]["code"]))
    with refused(VoucherErrorCode.ALREADY_REDEEMED, 409):
        services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=redeemed.pk))

    services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=cancelled.pk))
    assert balance(tenant) == 750
    with vouchers_nothing_changes():
        assert (
            services.voucher_cancel(actor=system(tenant), command=VoucherCancel(voucher_id=cancelled.pk)).status
            == "cancelled"
        )
    assert balance(tenant) == 750 and LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert ledger_reconcile() == []


# --- expiry ----------------------------------------------------------------------------------------


def _issue_for_expiry(tenant, generated: int) -> tuple[list[Voucher], Voucher]:
    """`generated` vouchers valid 180 days and one stock voucher valid 365."""
    seed_employees(tenant, "E1")
    cat = make_catalogue(tenant, stock_codes=1)
    make_programme(tenant, "P1", budget=100_000)
    body = {"funding": "programme", "programme": "P1"}
    due = order(tenant, order_id="G", product=cat.generated, denomination=10, quantity=generated, **body).vouchers
    return due, order(tenant, order_id="S", product=cat.stock, **body).vouchers[0]


def test_expiry_marks_each_due_voucher_once(tenant):
    due, later = _issue_for_expiry(tenant, 5)
    when = timezone.now() + timedelta(days=200)
    assert services.vouchers_expire(now=when, limit=3) == 3
    assert services.vouchers_expire(now=when, limit=3) == 2
    with vouchers_nothing_changes():
        assert services.vouchers_expire(now=when) == 0
    assert sorted(events("voucher.expired")) == sorted(str(v.pk) for v in due)
    assert set(Voucher.objects.filter(status="expired").values_list("pk", flat=True)) == {v.pk for v in due}
    assert Voucher.objects.get(pk=later.pk).status == "issued"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_expiry_runs_mark_each_voucher_once(tenant):
    due, _ = _issue_for_expiry(tenant, 60)
    when = timezone.now() + timedelta(days=200)

    def drain() -> int:
        total = 0
        while marked := services.vouchers_expire(now=when, limit=7):
            total += marked
        return total

    results = run_parallel([drain] * 8, workers=8)
    assert sum(results) == 60, results
    assert sorted(events("voucher.expired")) == sorted(str(v.pk) for v in due)
    assert Voucher.objects.filter(status="expired").count() == 60


def test_redeem_after_expiry_is_refused(tenant):
    due, later = _issue_for_expiry(tenant, 1)
    code = services.voucher_reveal(actor=system(tenant), command=VoucherReveal(voucher_id=due[0].pk))["code"]
    services.vouchers_expire(now=timezone.now() + timedelta(days=200))
    with refused(VoucherErrorCode.VOUCHER_EXPIRED, 422):
        services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=code))
    # past its time but not yet marked by the expiry run: refused all the same
    Voucher.objects.filter(pk=later.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    code = services.voucher_reveal(actor=system(tenant), command=VoucherReveal(voucher_id=later.pk))["code"]
    with refused(VoucherErrorCode.VOUCHER_EXPIRED, 422):
        services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=code))


# --- stock imports ---------------------------------------------------------------------------------


def _rejected_whole(tenant, product, content: bytes) -> StockImport:
    before = vouchers_state()
    record = services.stock_import(
        actor=system(tenant),
        command=StockFileImport.parse({"product_id": product.pk, "content": content, "filename": "x.csv"}),
    )
    after = vouchers_state()
    assert record.status == "rejected" and record.imported == 0
    assert after["imports"][-1]["id"] == record.pk  # only the report was added
    assert {**after, "imports": before["imports"]} == before
    return record


def test_stock_import_with_one_duplicate_imports_nothing(tenant):
    cat = make_catalogue(tenant)
    rows = [f"NEW-{n:04d}" for n in range(50)] + ["new 0007"]  # row 52: row 9 in other spelling
    record = _rejected_whole(tenant, cat.stock, stock_csv(rows))
    assert [(e["row"], e["field"], e["code"]) for e in record.errors] == [(52, "code", "duplicate_code")]

    add_stock(tenant, cat.stock, ["OLD-1", "OLD-2"])
    record = _rejected_whole(tenant, cat.stock, stock_csv(["NEW-A", "NEW-B", "old-2"]))
    assert [(e["row"], e["code"]) for e in record.errors] == [(4, "duplicate_code")]
    assert StockCode.objects.count() == 2
    assert json.dumps(record.errors).lower().count("old-2") == 0  # the report does not echo codes

"""Vouchers under real concurrency: threads with their own PostgreSQL connections, released together by a
barrier. Each race has a naive twin, written here, that must fail: the harness is known to see races."""

import time
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from plum.core.models import OutboxEvent
from plum.core.outbox import Event, outbox_emit
from points.models import Account, LedgerEntry, LedgerTransaction, Lot
from points.services import ledger_reconcile
from points.tests.factories import seed_employees, system
from points.tests.ledger_support import codes as tally
from points.tests.ledger_support import run_parallel
from vouchers import codes, services
from vouchers.commands import VoucherCancel, VoucherRedeem
from vouchers.errors import VoucherError, VoucherErrorCode
from vouchers.models import StockCode, Voucher, VoucherOrder
from vouchers.services import issuing
from vouchers.services import orders as orders_module
from vouchers.tests.factories import fund_wallet, make_catalogue, order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# Threads at once, each with its own connection: PostgreSQL allows 100 and other suites share it.
THREADS = 32
STOCK_POINTS = 250  # a EUR 25 stock voucher at 10 points per unit
GENERATED_POINTS = 120  # a GBP 10 generated voucher at 12 points per unit


def events(event_type: str) -> list[str]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id").values_list("aggregate_id", flat=True))


def wallet_balances(tenant) -> dict[str, int]:
    wallets = Account.objects.filter(organisation_id=tenant.organisation.id, kind=Account.Kind.WALLET)
    return dict(wallets.values_list("employee__employee_id", "balance"))


def lots_total(tenant) -> int:
    return Lot.objects.filter(organisation_id=tenant.organisation.id).aggregate(s=Sum("remaining"))["s"] or 0


def employees(tenant, count: int, points: int) -> list[str]:
    """`count` employees with `points` each (credited in parallel: one at a time takes seconds)."""
    ids = [f"E{n:03d}" for n in range(count)]
    seed_employees(tenant, *ids)
    fund_wallet(tenant, ids[0], points)  # makes the funding programme
    if count > 1:
        assert tally(run_parallel([partial(fund_wallet, tenant, e, points) for e in ids[1:]])) == {
            "NoneType": count - 1
        }
    return ids


def test_200_parallel_orders_share_100_codes_exactly(tenant):
    ids = employees(tenant, 200, 300)
    cat = make_catalogue(tenant, stock_codes=100)
    jobs = [lambda n=n: order(tenant, order_id=f"O{n}", employee_id=ids[n], product=cat.stock) for n in range(200)]
    results = run_parallel(jobs, workers=THREADS)

    assert tally(results) == {"Placed": 100, "out_of_stock": 100}
    placed = [r for r in results if isinstance(r, services.Placed)]
    issued = [v["code"] for r in placed for v in r.document["vouchers"]]
    assert len(issued) == len(set(issued)) == 100
    vouchers = Voucher.objects.all()
    assert vouchers.count() == 100 and vouchers.values("stock_code").distinct().count() == 100
    assert StockCode.objects.filter(status="available").count() == 0
    buyers = {r.order.employee.employee_id for r in placed}
    assert wallet_balances(tenant) == {e: 300 - STOCK_POINTS if e in buyers else 300 for e in ids}
    debited = 200 * 300 - sum(wallet_balances(tenant).values())
    assert debited == vouchers.aggregate(s=Sum("points"))["s"] == 100 * STOCK_POINTS
    assert VoucherOrder.objects.count() == LedgerTransaction.objects.filter(kind="spend").count() == 100
    assert len(set(events("voucher.issued"))) == len(events("voucher.issued")) == 100
    assert ledger_reconcile() == []


NAIVE_CLAIM_SQL = (
    "SELECT id, code_ciphertext, pin_ciphertext, code_hash, code_last4, expires_at FROM vouchers_stockcode"
    " WHERE product_id = %s AND denomination = %s AND status = 'available'"
    " AND (expires_at IS NULL OR expires_at > %s) ORDER BY expires_at NULLS LAST, id LIMIT %s"
)


def _naive_claim(product, denomination, count, now):
    """Stock claimed by a plain SELECT, then an UPDATE: no row lock between them, no SKIP LOCKED."""
    with connection.cursor() as cursor:
        cursor.execute(NAIVE_CLAIM_SQL, [product.pk, denomination, now, count])
        rows = cursor.fetchall()
        time.sleep(0.005)  # the gap between the read and the write, made wide enough to see
        cursor.execute("UPDATE vouchers_stockcode SET status = 'issued' WHERE id = ANY(%s)", [[r[0] for r in rows]])
    return [issuing.Code(bytes(c), bytes(p) if p else None, bytes(h), last4, pk, e) for pk, c, p, h, last4, e in rows]


def test_naive_stock_claim_hands_one_code_to_two_orders(tenant, monkeypatch):
    """The same parallel orders with a naive claim: orders take a code another order holds, and only the
    unique constraint on a stock code's live voucher stops the second issue."""
    ids = employees(tenant, 64, 300)
    cat = make_catalogue(tenant, stock_codes=100)
    monkeypatch.setattr(orders_module, "claim_stock", _naive_claim)
    for attempt in range(3):
        jobs = [
            lambda n=n, a=attempt: order(tenant, order_id=f"O{a}-{n}", employee_id=ids[n], product=cat.stock)
            for n in range(64)
        ]
        results = run_parallel(jobs, workers=THREADS)
        twice = [r for r in results if isinstance(r, IntegrityError) and "stock_code_issued_once" in str(r)]
        if twice:
            break
    assert twice, tally(results)
    assert Voucher.objects.values("stock_code").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert ledger_reconcile() == []


def _one_voucher(tenant, employee_id: str, product, order_id: str) -> str:
    return order(tenant, order_id=order_id, employee_id=employee_id, product=product).document["vouchers"][0]["code"]


def test_200_parallel_redemptions_of_one_code_redeem_it_once(tenant):
    employees(tenant, 1, 1000)
    cat = make_catalogue(tenant, stock_codes=1)
    code = _one_voucher(tenant, "E000", cat.stock, "O1")
    results = run_parallel(
        [lambda: services.voucher_redeem(actor=system(tenant), command=VoucherRedeem(code=code))] * 200, workers=THREADS
    )

    assert tally(results) == {"Voucher": 1, "already_redeemed": 199}
    voucher = Voucher.objects.get()
    assert voucher.status == "redeemed" and voucher.redeemed_at is not None
    assert events("voucher.redeemed") == [str(voucher.pk)]


def _naive_redeem(organisation_id, code: str) -> Voucher:
    """Read the status, then write: every caller that read `issued` before the first write wins."""
    with transaction.atomic():
        voucher = Voucher.objects.get(organisation_id=organisation_id, code_hash=codes.lookup_hash(code))
        if voucher.status != Voucher.Status.ISSUED:
            raise VoucherError(VoucherErrorCode.ALREADY_REDEEMED, "Redeemed.")
        time.sleep(0.005)
        Voucher.objects.filter(pk=voucher.pk).update(status=Voucher.Status.REDEEMED, redeemed_at=timezone.now())
        outbox_emit(organisation_id=organisation_id, event=Event("voucher.redeemed", "voucher", str(voucher.pk), {}))
    return voucher


def test_naive_read_then_write_redeem_lets_several_win(tenant):
    employees(tenant, 1, 10_000)
    cat = make_catalogue(tenant, stock_codes=3)
    for attempt in range(3):
        code = _one_voucher(tenant, "E000", cat.stock, f"O{attempt}")
        results = run_parallel([lambda c=code: _naive_redeem(tenant.organisation.id, c)] * 200, workers=THREADS)
        if tally(results).get("Voucher", 0) > 1:
            break
    assert tally(results).get("Voucher", 0) > 1, tally(results)
    assert len(events("voucher.redeemed")) > 1


def test_parallel_orders_from_one_wallet_never_overdraw_it(tenant):
    seed_employees(tenant, "E1")
    for points in (500, 700, 1000, 1300):  # four lots: orders consume them first to expire first
        fund_wallet(tenant, "E1", points)
    cat = make_catalogue(tenant)
    jobs = [lambda n=n: order(tenant, order_id=f"O{n}", product=cat.generated, denomination=10) for n in range(80)]
    results = run_parallel(jobs, workers=THREADS)

    paid = 3500 // GENERATED_POINTS  # 29
    assert tally(results) == {"Placed": paid, "insufficient_balance": 80 - paid}
    assert wallet_balances(tenant) == {"E1": 3500 - paid * GENERATED_POINTS} == {"E1": lots_total(tenant)}
    orders = VoucherOrder.objects.all()
    vouchers = Voucher.objects.all()
    assert orders.count() == vouchers.count() == paid
    # each voucher has its order's payment, each payment its order: one spend of the wallet per order
    spends = LedgerTransaction.objects.filter(kind="spend")
    assert set(spends.values_list("reference", flat=True)) == {f"voucher order {o.order_id}" for o in orders}
    assert set(spends.values_list("id", flat=True)) == set(orders.values_list("transaction_id", flat=True))
    assert set(vouchers.values_list("funding_transaction_id", flat=True)) == set(spends.values_list("id", flat=True))
    wallet_debits = LedgerEntry.objects.filter(transaction__in=spends, account__kind="wallet")
    assert sorted(wallet_debits.values_list("amount", flat=True)) == [-GENERATED_POINTS] * paid
    assert all(sum(taken for _, taken in v.spent_lots) == GENERATED_POINTS for v in vouchers)
    assert ledger_reconcile() == []


def test_50_parallel_identical_orders_place_one(tenant):
    employees(tenant, 1, 2000)
    cat = make_catalogue(tenant, stock_codes=10)
    same = {"order_id": "same", "employee_id": "E000", "product": cat.stock, "quantity": 5}
    results = run_parallel([lambda: order(tenant, **same)] * 50, workers=THREADS)

    assert tally(results) == {"Placed": 50}
    assert [r.replayed for r in results].count(False) == 1
    first = next(r for r in results if not r.replayed)
    assert {r.order.pk for r in results} == {VoucherOrder.objects.get().pk}
    # every replay answers the first answer's codes, in its order
    answered = {tuple(v["code"] for v in r.document["vouchers"]) for r in results}
    assert answered == {tuple(v["code"] for v in first.document["vouchers"])}
    assert Voucher.objects.count() == 5 and StockCode.objects.filter(status="available").count() == 5
    assert wallet_balances(tenant) == {"E000": 2000 - 5 * STOCK_POINTS}
    assert LedgerTransaction.objects.filter(kind="spend").count() == 1
    assert len(events("voucher.issued")) == 5
    assert ledger_reconcile() == []


def test_parallel_cancels_of_one_voucher_refund_it_once(tenant):
    employees(tenant, 1, 1000)
    cat = make_catalogue(tenant, stock_codes=1)
    voucher = order(tenant, order_id="O1", employee_id="E000", product=cat.stock).vouchers[0]
    cancel = partial(services.voucher_cancel, actor=system(tenant), command=VoucherCancel(voucher_id=voucher.pk))
    results = run_parallel([cancel] * 50, workers=THREADS)

    assert tally(results) == {"Voucher": 50}
    assert {r.status for r in results} == {"cancelled"}
    assert wallet_balances(tenant) == {"E000": 1000} == {"E000": lots_total(tenant)}
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert StockCode.objects.get().status == "available"
    assert ledger_reconcile() == []


def test_redeem_racing_cancel_one_of_them_wins(tenant):
    """Each round, 20 redemptions and 20 cancels of one voucher: it ends redeemed without a refund, or
    cancelled with exactly one, and never both."""
    employees(tenant, 1, 100_000)
    cat = make_catalogue(tenant, stock_codes=3)
    for attempt in range(3):
        placed = order(tenant, order_id=f"O{attempt}", employee_id="E000", product=cat.stock)
        code, voucher = placed.document["vouchers"][0]["code"], placed.vouchers[0]
        redeem = partial(services.voucher_redeem, actor=system(tenant), command=VoucherRedeem(code=code))
        cancel = partial(services.voucher_cancel, actor=system(tenant), command=VoucherCancel(voucher_id=voucher.pk))
        results = run_parallel([redeem, cancel] * 20, workers=THREADS)
        voucher.refresh_from_db()
        refunds = LedgerTransaction.objects.filter(kind="refund", reference=f"voucher {voucher.pk} cancelled")
        redeemed = events("voucher.redeemed").count(str(voucher.pk))
        if voucher.status == "redeemed":
            assert (refunds.count(), redeemed) == (0, 1)
            assert tally(results[0::2]) == {"Voucher": 1, "already_redeemed": 19}
            assert tally(results[1::2]) == {"already_redeemed": 20}
        else:
            assert (voucher.status, refunds.count(), redeemed) == ("cancelled", 1, 0)
            assert tally(results[0::2]) == {"voucher_cancelled": 20}
            assert tally(results[1::2]) == {"Voucher": 20}
    assert wallet_balances(tenant)["E000"] == lots_total(tenant)
    assert ledger_reconcile() == []

"""Expiry: lots past their date leave wallets for the expiry sink, once, and never twice with spends."""

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from points.errors import PointsError
from points.ledger import organisation_account_id, post_transaction
from points.models import Account, LedgerTransaction, Lot
from points.selectors import wallet_get
from points.services import ledger_reconcile, lots_expire, points_spend
from points.tests.ledger_support import assert_wallet, codes, ledger_state, make_world, run_parallel

pytestmark = pytest.mark.django_db
BASE = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def clock():
    """The time points_spend sees (spend() passes it): `clock.now = ...`."""
    return SimpleNamespace(now=BASE)


def lot_of(world, request_id: str, points: int, expires_at, employee: int = 0) -> Lot:
    lot = world.credit(request_id, points, employee=employee).request.lot
    Lot.objects.filter(pk=lot.pk).update(expires_at=expires_at)
    return lot


def spend(world, points: int, reference: str = "order", *, now=None):
    return points_spend(actor=world.actor, employee_id="E000", points=points, reference=reference, now=now)


def remaining(*lots: Lot) -> list[int]:
    return [Lot.objects.get(pk=lot.pk).remaining for lot in lots]


def test_spend_after_partial_expiry_never_deducts_spent_points_twice(make_tenant, clock):
    world = make_world(make_tenant, budget=10_000)
    soon = lot_of(world, "r1", 100, BASE + timedelta(days=10))
    later = lot_of(world, "r2", 100, BASE + timedelta(days=100))
    spend(world, 30, "o1", now=clock.now)  # from the lot that expires first

    assert lots_expire(now=BASE + timedelta(days=10)) == 70

    # unexpired credits (100) minus all debits (30) would say 70: the spent 30 left with the first lot
    assert_wallet(world.wallet(), 100)
    assert wallet_get(actor=world.actor, employee_id="E000")["balance"] == 100
    assert (world.sink(Account.Kind.REDEMPTION), world.sink(Account.Kind.EXPIRY)) == (30, 70)
    clock.now = BASE + timedelta(days=11)
    assert spend(world, 100, "o2", now=clock.now).lots == [(later.id, 100)]
    assert remaining(soon, later) == [0, 0]
    with pytest.raises(PointsError, match="spendable"):
        spend(world, 1, "o3", now=clock.now)
    assert_wallet(world.wallet(), 0)
    assert ledger_reconcile() == []


def test_points_past_their_date_are_never_spent_even_before_the_expiry_run(make_tenant, clock):
    world = make_world(make_tenant, budget=10_000)
    gone = lot_of(world, "r1", 100, BASE - timedelta(seconds=1))
    kept = lot_of(world, "r2", 100, BASE + timedelta(days=5))
    before = ledger_state()

    with pytest.raises(PointsError) as error:
        spend(world, 101, now=clock.now)  # the cached balance (200) would allow it; the lots do not
    assert error.value.code == "insufficient_balance"
    assert ledger_state() == before

    assert spend(world, 100, now=clock.now).lots == [(kept.id, 100)]
    assert lots_expire(now=BASE) == 100
    assert remaining(gone, kept) == [0, 0]
    assert_wallet(world.wallet(), 0)
    assert (world.sink(Account.Kind.REDEMPTION), world.sink(Account.Kind.EXPIRY)) == (100, 100)


@pytest.mark.parametrize("order", ["spend, then expire", "expire, then spend"])
def test_a_lot_expiring_at_the_instant_of_a_spend_is_either_spent_or_expired(make_tenant, clock, order):
    """Spending uses lots with expires_at > now, expiry takes expires_at <= now: at the same instant
    the lot belongs to expiry, whichever runs first."""
    world = make_world(make_tenant, budget=10_000)
    due = lot_of(world, "r1", 50, BASE)
    next_ = lot_of(world, "r2", 50, BASE + timedelta(days=1))
    clock.now = BASE

    if order == "spend, then expire":
        spent, expired = spend(world, 30, now=clock.now), lots_expire(now=BASE)
        assert spent.balance_after == 70
    else:
        expired, spent = lots_expire(now=BASE), spend(world, 30, now=clock.now)
        assert spent.balance_after == 20

    assert (spent.lots, expired) == ([(next_.id, 30)], 50)
    assert remaining(due, next_) == [0, 20]
    assert_wallet(world.wallet(), 20)
    assert (world.sink(Account.Kind.REDEMPTION), world.sink(Account.Kind.EXPIRY)) == (30, 50)
    assert ledger_reconcile() == []


@pytest.mark.parametrize("order", ["before expiry", "after expiry"])
def test_a_spend_needing_the_expiring_lot_is_refused_at_that_instant(make_tenant, clock, order):
    world = make_world(make_tenant, budget=10_000)
    lot_of(world, "r1", 50, BASE)
    lot_of(world, "r2", 50, BASE + timedelta(days=1))
    clock.now = BASE
    if order == "after expiry":
        lots_expire(now=BASE)
    before = ledger_state()

    with pytest.raises(PointsError) as error:
        spend(world, 60, now=clock.now)

    assert error.value.code == "insufficient_balance"
    assert ledger_state() == before


def test_a_spend_one_microsecond_before_expiry_takes_the_expiring_lot_first(make_tenant, clock):
    world = make_world(make_tenant, budget=10_000)
    due = lot_of(world, "r1", 50, BASE)
    next_ = lot_of(world, "r2", 50, BASE + timedelta(days=1))
    clock.now = BASE - timedelta(microseconds=1)

    assert spend(world, 30, now=clock.now).lots == [(due.id, 30)]
    assert lots_expire(now=BASE) == 20
    assert remaining(due, next_) == [0, 50]
    assert_wallet(world.wallet(), 50)


def test_nothing_due_expires_nothing(make_tenant):
    world = make_world(make_tenant, budget=10_000)
    lot_of(world, "r1", 50, BASE)
    assert lots_expire(now=BASE) == 50
    before = ledger_state()

    assert lots_expire(now=BASE + timedelta(days=1)) == 0
    assert ledger_state() == before


def test_a_broken_wallet_does_not_stop_expiry_for_the_others(make_tenant, caplog):
    world = make_world(make_tenant, employees=2, budget=10_000)
    lot_of(world, "r1", 50, BASE)
    lot_of(world, "r2", 70, BASE, employee=1)
    broken = world.wallet(0)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE points_account SET balance = 10 WHERE id = %s", [broken.pk])

    with caplog.at_level(logging.ERROR, logger="points.services.wallets"):
        assert lots_expire(now=BASE) == 70

    assert [r.getMessage() for r in caplog.records] == [f"Expiry of wallet {broken.pk} refused by the database"]
    assert_wallet(world.wallet(1), 0)
    assert [(i.account_id, i.kind) for i in ledger_reconcile()] == [(broken.pk, "entries"), (broken.pk, "lots")]


def _expiring_wallets(make_tenant, wallets: int):
    world = make_world(make_tenant, employees=wallets, budget=100_000)
    for n in range(wallets):
        lot_of(world, f"a{n}", 10, BASE, employee=n)
        lot_of(world, f"b{n}", 20, BASE - timedelta(days=1), employee=n)
        world.credit(f"c{n}", 100, employee=n)
    return world


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("runs", [2, 6])
def test_parallel_expiry_runs_expire_each_lot_once(make_tenant, runs):
    world = _expiring_wallets(make_tenant, 40)
    results = run_parallel([lambda: lots_expire(now=BASE) for _ in range(runs)])

    assert sum(results) == 40 * 30
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.EXPIRY).count() == 40
    assert world.sink(Account.Kind.EXPIRY) == 1200  # exactly what left the wallets
    for n in range(40):
        assert_wallet(world.wallet(n), 100)
    assert ledger_reconcile() == []


def _naive_expire(now) -> int:
    """Reads the due lots without locking the wallet first, then expires what it read."""
    expired = 0
    for lot in list(Lot.objects.filter(remaining__gt=0, expires_at__lte=now)):
        time.sleep(0.001)
        with transaction.atomic():
            Lot.objects.filter(pk=lot.pk).update(remaining=0)
            Account.objects.filter(pk=lot.account_id).update(balance=F("balance") - lot.remaining)
            sink = organisation_account_id(lot.organisation_id, Account.Kind.EXPIRY)
            post_transaction(
                lot.organisation_id, "expiry", [(lot.account_id, -lot.remaining, None), (sink, lot.remaining, None)]
            )
        expired += lot.remaining
    return expired


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_naive_parallel_expiry_expires_lots_twice(make_tenant):
    """The harness detects the race: expiring what was read without the wallet lock doubles it."""
    world = _expiring_wallets(make_tenant, 20)
    results = run_parallel([lambda: _naive_expire(BASE) for _ in range(2)])

    assert codes(results) == {"int": 2}
    assert world.sink(Account.Kind.EXPIRY) > 20 * 30
    assert ledger_reconcile() != []

"""The ledger under real concurrency: threads with their own PostgreSQL connections, released together."""

import logging
import time

import pytest
from django.db import transaction

from points.models import Account, LedgerEntry, LedgerTransaction, PointsRequest
from points.services import Spent, ledger_reconcile, points_spend
from points.tests.ledger_support import (
    assert_wallet,
    codes,
    make_world,
    run_parallel,
    shard_balances,
    unbalanced_transactions,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def assert_healthy() -> None:
    assert ledger_reconcile() == []
    assert unbalanced_transactions() == []


def all_shards_locked(caplog) -> list:
    """The programmes whose budget a credit locked whole (points.ledger.budget_take's last resort), from
    the ledger's debug log of every thread."""
    return [r.args for r in caplog.records if r.name == "points.ledger.budget" and "every budget shard" in r.msg]


def test_200_parallel_credits_to_one_wallet_all_land_exactly(make_tenant):
    world = make_world(make_tenant, budget=80_000)
    results = run_parallel([lambda n=n: world.credit(f"req-{n}", 7) for n in range(200)])

    assert codes(results) == {"Submitted": 200}
    assert not any(r.replayed for r in results)
    assert sorted(r.request.balance_after for r in results) == list(range(7, 1401, 7))  # no two saw one balance
    assert_wallet(world.wallet(), 1400)
    assert world.wallet().lots.count() == 200
    assert world.budget() == 80_000 - 1400
    assert PointsRequest.objects.filter(status="credited").count() == 200
    assert sum(1 for balance in shard_balances(world.programme) if balance < 10_000) > 1  # spread over shards
    assert_healthy()


def _naive_credit(employee_pk, points: int) -> None:
    """Read, compute, write back, without a row lock: what the ledger must never do."""
    with transaction.atomic():
        wallet = Account.objects.get(kind=Account.Kind.WALLET, employee_id=employee_pk)
        balance = wallet.balance + points
        time.sleep(0.002)  # the gap every read-modify-write has, made wide enough to see
        Account.objects.filter(pk=wallet.pk).update(balance=balance)


def test_naive_read_modify_write_credit_loses_updates(make_tenant):
    """The harness detects races: the same 200 parallel credits, done naively, lose some."""
    world = make_world(make_tenant, budget=1000)
    world.credit("seed", 1)  # creates the wallet
    wallet = world.wallet()
    results = run_parallel([lambda: _naive_credit(wallet.employee_id, 7) for _ in range(200)])

    assert codes(results) == {"NoneType": 200}
    wallet.refresh_from_db()
    assert wallet.balance < 1 + 1400


def test_500_parallel_identical_requests_credit_once(make_tenant):
    world = make_world(make_tenant, budget=10_000)
    results = run_parallel([lambda: world.credit("same", 25) for _ in range(500)])

    assert codes(results) == {"Submitted": 500}
    assert [r.replayed for r in results].count(False) == 1
    assert {r.request.pk for r in results} == {PointsRequest.objects.get().pk}
    assert {(r.request.request_id, r.request.status, r.request.balance_after) for r in results} == {
        ("same", "credited", 25)
    }
    assert_wallet(world.wallet(), 25)
    assert world.budget() == 10_000 - 25
    assert LedgerTransaction.objects.filter(kind="award").count() == 1
    assert_healthy()


def test_200_parallel_spends_of_10_against_1000(make_tenant):
    world = make_world(make_tenant, budget=10_000)
    for n in range(4):
        world.credit(f"fund-{n}", 250)
    spend = {"actor": world.actor, "employee_id": "E000", "points": 10}
    results = run_parallel([lambda n=n: points_spend(**spend, reference=f"order-{n}") for n in range(200)])

    assert codes(results) == {"Spent": 100, "insufficient_balance": 100}
    spent = [r for r in results if isinstance(r, Spent)]
    assert sorted(r.balance_after for r in spent) == list(range(0, 1000, 10))
    assert all(sum(taken for _, taken in r.lots) == 10 for r in spent)
    assert_wallet(world.wallet(), 0)
    assert world.sink(Account.Kind.REDEMPTION) == 1000
    assert LedgerTransaction.objects.filter(kind="spend").count() == 100
    assert_healthy()


def test_busy_shards_are_waited_for_not_all_locked(make_tenant, caplog):
    """While one shard can pay alone, a credit never locks the whole budget, however busy the shards."""
    world = make_world(make_tenant, employees=50, budget=1_000_000)
    caplog.set_level(logging.DEBUG, logger="points.ledger.budget")
    results = run_parallel([lambda n=n: world.credit(f"r-{n}", 5, employee=n % 50) for n in range(200)])

    assert codes(results) == {"Submitted": 200}
    assert all_shards_locked(caplog) == []
    assert {LedgerEntry.objects.filter(transaction=r.request.transaction_id).count() for r in results} == {2}
    assert world.budget() == 1_000_000 - 1000
    assert_healthy()


@pytest.mark.parametrize(("points", "credited", "left"), [(10, 100, 0), (7, 142, 6)])
def test_parallel_credits_to_many_wallets_never_overspend_the_budget(make_tenant, points, credited, left):
    """1,000 points over 8 shards; 160 credits ask for more. 7 does not divide a shard's 125, so the
    last credits must gather points from several shards."""
    world = make_world(make_tenant, employees=20, budget=1000)
    results = run_parallel([lambda n=n: world.credit(f"r-{n}", points, employee=n % 20) for n in range(160)])

    assert codes(results) == {"Submitted": credited, "budget_exhausted": 160 - credited}
    assert world.budget() == left
    assert min(shard_balances(world.programme)) >= 0
    wallets = Account.objects.filter(organisation_id=world.organisation_id, kind=Account.Kind.WALLET)
    assert sum(w.balance for w in wallets) == credited * points == 1000 - left
    assert PointsRequest.objects.count() == credited  # a refused credit leaves no request behind
    assert_healthy()

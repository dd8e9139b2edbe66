"""Every kind of ledger write at once on a few wallets and one programme: no deadlock, exact books."""

import random
import threading

import pytest
from django.db import OperationalError, transaction

from plum.core.db import fetchall, fetchone
from plum.core.errors import DomainError
from points.commands import PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.ledger import budget_shards_create
from points.models import Account, LedgerTransaction, PointsRequest, Programme
from points.services import (
    Spent,
    ledger_reconcile,
    points_request_approve,
    points_request_reject,
    points_request_reverse,
    points_spend,
)
from points.tests.ledger_support import (
    codes,
    make_world,
    run_parallel,
    shard_balances,
    topup,
    unbalanced_transactions,
    wait_for_lock_waiters,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WALLETS = 4


@pytest.mark.parametrize("budget", [20_000, 1_200], ids=["ample budget", "small shards"])
def test_credits_spends_reversals_approvals_and_top_ups_together_neither_deadlock_nor_drift(make_tenant, budget):
    """With small shards most credits find no free shard that can pay alone and lock them all."""
    world = make_world(make_tenant, employees=WALLETS, budget=budget, approval_threshold=100)
    credited = [world.credit(f"old-{n}", 20, employee=n % WALLETS).request for n in range(24)]
    pending = [world.credit(f"ask-{n}", 100 + n, employee=n % WALLETS).request for n in range(12)]
    actor, employees = world.actor, world.employees

    jobs = [("credit", lambda n=n: world.credit(f"new-{n}", 15, employee=n % WALLETS)) for n in range(48)]
    jobs += [
        ("spend", lambda n=n: points_spend(actor=actor, employee_id=employees[n % WALLETS], points=10, reference="o"))
        for n in range(48)
    ]
    jobs += [
        (
            "reverse",
            lambda r=r: points_request_reverse(actor=actor, request_uuid=r.pk, command=PointsRequestReverseCommand()),
        )
        for r in credited
    ]
    jobs += [
        (
            f"decide {r.pk}",
            lambda r=r: points_request_approve(actor=actor, request_uuid=r.pk, command=PointsRequestDecisionCommand()),
        )
        for r in pending
    ]
    jobs += [
        (
            f"decide {r.pk}",
            lambda r=r: points_request_reject(actor=actor, request_uuid=r.pk, command=PointsRequestDecisionCommand()),
        )
        for r in pending
    ]
    jobs += [("top-up", lambda: topup(actor, "KUDOS", 101))] * 4
    jobs += [("reconcile", ledger_reconcile)] * 4  # while everything moves: one snapshot, no false mismatch
    random.Random(7).shuffle(jobs)

    results = run_parallel([job for _, job in jobs])
    by_label: dict = {}
    for (label, _), result in zip(jobs, results, strict=True):
        by_label.setdefault(label, []).append(result)

    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)] == []  # no deadlock
    assert set(codes(by_label["credit"])) <= {"Submitted", "budget_exhausted"}
    assert set(codes(by_label["spend"])) <= {"Spent", "insufficient_balance"}
    assert set(codes(by_label["reverse"])) <= {"PointsRequest", "insufficient_balance"}
    assert codes(by_label["top-up"]) == {"LedgerTransaction": 4}
    assert by_label["reconcile"] == [[]] * 4
    for request in pending:  # approve and reject raced: exactly one of them decided
        outcome = codes(by_label[f"decide {request.pk}"])
        assert outcome["PointsRequest"] == 1
        assert outcome.keys() <= {"PointsRequest", "request_not_pending", "budget_exhausted"}
        assert PointsRequest.objects.get(pk=request.pk).status in ("credited", "rejected")

    spent = 10 * sum(isinstance(r, Spent) for r in results)
    now_credited = sum(PointsRequest.objects.filter(status="credited").values_list("points", flat=True))
    reversed_ = PointsRequest.objects.filter(status="reversed").count()
    assert reversed_ == codes(by_label["reverse"]).get("PointsRequest", 0)
    assert reversed_ == LedgerTransaction.objects.filter(kind="reversal").count()
    assert sum(Account.objects.filter(kind=Account.Kind.WALLET).values_list("balance", flat=True)) == (
        now_credited - spent
    )
    assert world.budget() == budget + 4 * 101 - now_credited
    assert Account.objects.get(kind=Account.Kind.FUNDING).balance == -(budget + 4 * 101)
    assert world.sink(Account.Kind.REDEMPTION) == spent
    assert ledger_reconcile() == []
    assert unbalanced_transactions() == []


def _budget_first_refund(programme_pk, employee_pk, shards_locked: threading.Event) -> None:
    """Locks the budget, then the wallet: against the ledger's order (wallet, then budget)."""
    with transaction.atomic():
        fetchall("SELECT id FROM points_account WHERE programme_id = %s ORDER BY id FOR UPDATE", [programme_pk])
        shards_locked.set()
        wait_for_lock_waiters(1)  # the credit holds the wallet and waits for a shard
        fetchone("UPDATE points_account SET balance = balance WHERE employee_id = %s RETURNING id", [employee_pk])


def test_the_harness_sees_a_deadlock_when_locks_are_taken_out_of_order(make_tenant):
    world = make_world(make_tenant, budget=1000)
    world.credit("wallet", 1)
    programme, employee = world.programme.pk, world.wallet().employee_id
    shards_locked = threading.Event()
    results = run_parallel(
        [
            lambda: _budget_first_refund(programme, employee, shards_locked),
            lambda: shards_locked.wait(10) and world.credit("r", 1),
        ]
    )

    deadlocks = [r for r in results if isinstance(r, OperationalError) and "deadlock detected" in str(r)]
    assert len(deadlocks) == 1, results  # PostgreSQL broke the cycle by failing one of the two


def test_a_busy_shard_drained_while_waited_for_is_let_go_before_all_are_locked(make_tenant, settings):
    """The credit waits for the one shard that could pay; it is drained meanwhile, so the credit must
    lock all shards, but only after letting that one go: a top-up already holds the first shard and
    waits for the drained one. This is the general path's wait (approvals credit through it); the
    one-statement credit's is tested in points/tests/test_single_credit.py."""
    settings.POINTS_ONE_STATEMENT_CREDIT = False
    world = make_world(make_tenant, budget=0)
    programme = Programme.objects.create(organisation_id=world.organisation_id, code="TWO", name="Two", budget_shards=2)
    budget_shards_create(programme)
    world.programme = programme
    small, big = Account.objects.filter(programme=programme).order_by("id")
    Account.objects.filter(pk=small.pk).update(balance=5)
    Account.objects.filter(pk=big.pk).update(balance=100)
    drained = threading.Event()

    def drain():
        with transaction.atomic():
            fetchone("UPDATE points_account SET balance = 0 WHERE id = %s RETURNING id", [big.pk])
            drained.set()
            wait_for_lock_waiters(2)  # the credit (for `big`) and the top-up (holding `small`, for `big`)

    def top_up():
        wait_for_lock_waiters(1)
        return topup(world.actor, "TWO", 100)

    results = run_parallel([drain, lambda: drained.wait(10) and world.credit("r", 50), top_up])

    assert codes(results) == {"NoneType": 1, "Submitted": 1, "LedgerTransaction": 1}
    assert shard_balances(programme) == [52, 3]  # topped up to 52 and 53, then 50 taken from the larger
    assert (world.wallet().balance, results[1].request.balance_after) == (50, 50)

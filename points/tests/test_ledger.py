"""The ledger's invariants live in PostgreSQL: append-only rows, balanced transactions, accounts that
cannot go negative; the reconciliation proves cached balances; the budget is sharded."""

import logging

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction

from points.commands import PointsRequestReverseCommand
from points.errors import PointsError
from points.ledger import post_transaction
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, ReconciliationIssue
from points.services import ledger_reconcile, points_request_reverse, points_spend
from points.tests.ledger_support import assert_wallet, ledger_state, make_world, shard_balances, topup

pytestmark = pytest.mark.django_db


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_ledgerentry SET amount = amount * 2",
        "DELETE FROM points_ledgerentry",
        "UPDATE points_ledgertransaction SET memo = 'edited'",
        "DELETE FROM points_ledgertransaction",
    ],
)
def test_ledger_rows_are_append_only(make_tenant, sql):
    world = make_world(make_tenant, budget=1000)
    world.credit("r1", 40)
    before = ledger_state()

    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        execute(sql)

    assert ledger_state() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["not summing to zero", "single entry", "line added to a committed transaction"])
def test_an_unbalanced_transaction_is_refused_at_commit(make_tenant, case):
    world = make_world(make_tenant, budget=1000)
    world.credit("r1", 40)
    wallet, shard = world.wallet().pk, Account.objects.filter(kind=Account.Kind.BUDGET).first().pk
    before = ledger_state()
    reached_commit = False

    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        if case == "not summing to zero":
            post_transaction(world.organisation_id, "award", [(wallet, 5, 45), (shard, -4, 0)])
        elif case == "single entry":
            post_transaction(world.organisation_id, "award", [(wallet, 5, 45)])
        else:
            LedgerEntry.objects.create(
                transaction=LedgerTransaction.objects.get(kind="award"), account_id=wallet, amount=5
            )
        reached_commit = True  # the rows went in; PostgreSQL refuses them when the transaction commits

    assert reached_commit
    assert ledger_state() == before


@pytest.mark.parametrize("kind", [Account.Kind.WALLET, Account.Kind.BUDGET])
def test_wallets_and_budget_shards_never_go_negative_even_via_raw_sql(make_tenant, kind):
    world = make_world(make_tenant, budget=800)
    world.credit("r1", 40)
    account = Account.objects.filter(kind=kind).order_by("id").first()
    before = ledger_state()

    for sql in (
        "UPDATE points_account SET balance = -1 WHERE id = %s",
        "UPDATE points_account SET balance = balance - 101 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="account_balance_not_negative"), transaction.atomic():
            execute(sql, [account.pk])

    assert ledger_state() == before
    assert Account.objects.get(kind=Account.Kind.FUNDING).balance == -800  # the one account that may


def test_a_lot_never_holds_more_than_its_points_nor_less_than_nothing(make_tenant):
    world = make_world(make_tenant, budget=800)
    world.credit("r1", 40)
    lot = Lot.objects.get()
    for remaining in (-1, 41):
        with pytest.raises(IntegrityError, match="lot_remaining_within_points"), transaction.atomic():
            execute("UPDATE points_lot SET remaining = %s WHERE id = %s", [remaining, lot.pk])
    lot.refresh_from_db()
    assert lot.remaining == 40


def test_reconciliation_finds_nothing_on_a_healthy_ledger(make_tenant, caplog):
    world = make_world(make_tenant, employees=2, budget=1000)
    world.credit("r1", 100)
    reversed_ = world.credit("r2", 50, employee=1).request
    points_request_reverse(actor=world.actor, request_uuid=reversed_.pk, command=PointsRequestReverseCommand())
    points_spend(actor=world.actor, employee_id="E000", points=30, reference="o1")

    with caplog.at_level(logging.ERROR):
        assert ledger_reconcile() == []

    assert caplog.records == []
    assert not ReconciliationIssue.objects.exists()


@pytest.mark.parametrize(
    ("target", "sql", "found"),
    [
        (
            "wallet",
            "UPDATE points_account SET balance = balance + 5 WHERE id = %s",
            [("entries", 105, 100), ("lots", 105, 100)],
        ),
        ("wallet", "UPDATE points_lot SET remaining = remaining - 5 WHERE account_id = %s", [("lots", 100, 95)]),
        ("shard", "UPDATE points_account SET balance = balance + 5 WHERE id = %s", [("entries", 130, 125)]),
    ],
)
def test_reconciliation_records_and_logs_a_tampered_balance_once(make_tenant, caplog, target, sql, found):
    world = make_world(make_tenant, budget=1000)
    world.credit("r1", 100)
    shard = next(a for a in Account.objects.filter(kind=Account.Kind.BUDGET).order_by("id") if a.balance == 125)
    account = world.wallet() if target == "wallet" else shard
    execute(sql, [account.pk])

    with caplog.at_level(logging.ERROR, logger="points.services.wallets"):
        first = ledger_reconcile()
        again = ledger_reconcile()

    assert [(i.account_id, i.kind, i.cached_balance, i.computed_balance) for i in first] == [
        (account.pk, kind, cached, computed) for kind, cached, computed in found
    ]
    assert [i.pk for i in again] == [i.pk for i in first]  # still open: answered again, not recorded twice
    stored = ReconciliationIssue.objects.order_by("kind")
    assert [(i.account_id, i.kind, i.cached_balance, i.computed_balance) for i in stored] == [
        (account.pk, kind, cached, computed) for kind, cached, computed in found
    ]
    assert all(i.organisation_id == world.organisation_id and not i.resolved for i in stored)
    assert [r.levelname for r in caplog.records] == ["ERROR"] * 2 * len(found)
    assert all(f"account {account.pk}" in r.getMessage() for r in caplog.records)


def test_top_up_spreads_evenly_over_the_shards_poorest_first(make_tenant):
    world = make_world(make_tenant, budget=1003)
    assert shard_balances(world.programme) == [126, 126, 126, 125, 125, 125, 125, 125]
    assert Account.objects.get(kind=Account.Kind.FUNDING).balance == -1003

    for _ in range(5):  # small top-ups do not all land on the first shard
        topup(world.actor, "KUDOS", 1)
    assert shard_balances(world.programme) == [126, 126, 126, 126, 126, 126, 126, 126]

    world.credit("drain", 252)  # larger than a shard: empties the first two
    assert shard_balances(world.programme) == [0, 0, 126, 126, 126, 126, 126, 126]
    topup(world.actor, "KUDOS", 253)
    assert shard_balances(world.programme) == [127, 126, 126, 126, 126, 126, 126, 126]
    assert ledger_reconcile() == []


def test_a_credit_larger_than_any_shard_takes_from_several(make_tenant):
    world = make_world(make_tenant, budget=800)
    request = world.credit("big", 250).request

    lines = sorted(LedgerEntry.objects.filter(transaction=request.transaction).values_list("amount", flat=True))
    assert lines == [-100, -100, -50, 250]
    assert shard_balances(world.programme) == [0, 0, 50, 100, 100, 100, 100, 100]
    assert_wallet(world.wallet(), 250)
    assert ledger_reconcile() == []


def test_a_credit_larger_than_the_whole_budget_is_refused_and_changes_nothing(make_tenant):
    world = make_world(make_tenant, budget=800)
    world.credit("r1", 700)
    before = ledger_state()

    with pytest.raises(PointsError) as refused:
        world.credit("r2", 101)

    assert refused.value.code == "budget_exhausted"
    assert ledger_state() == before


def test_many_credits_draw_on_more_than_one_shard(make_tenant):
    world = make_world(make_tenant, budget=8000)
    for n in range(40):
        world.credit(f"r{n}", 10)

    balances = shard_balances(world.programme)
    assert sum(balances) == 8000 - 400
    assert sum(1 for b in balances if b < 1000) > 1
    assert ledger_reconcile() == []

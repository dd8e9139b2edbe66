"""Helpers for the points ledger tests (no tests here): a programme with employees and a budget, a
barrier-released thread pool, and read-outs of the ledger that the assertions compare exactly."""

import threading
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from plum.core.actor import Actor
from plum.core.db import fetchone
from plum.core.models import OutboxEvent
from points.commands import PointsRequestCommand, ProgrammeCommand, ProgrammeTopupCommand
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, PointsRequest, Programme
from points.services import points_request_submit, programme_create, programme_topup
from tests.support import seed

# PostgreSQL here allows 100 connections and other suites share it: a pool of threads, each with its
# own connection, works through the jobs instead of one thread per job.
WORKERS = 16


@dataclass
class World:
    actor: Actor
    programme: Programme
    employees: list[str]

    @property
    def organisation_id(self):
        return self.actor.organisation_id

    def credit(self, request_id: str, points: int, employee: int = 0):
        data = {
            "request_id": request_id,
            "employee_id": self.employees[employee],
            "points": points,
            "programme": self.programme.code,
        }
        return points_request_submit(actor=self.actor, command=PointsRequestCommand.parse(data))

    def wallet(self, employee: int = 0) -> Account:
        return Account.objects.get(kind=Account.Kind.WALLET, employee__employee_id=self.employees[employee])

    def budget(self) -> int:
        return sum(shard_balances(self.programme))

    def sink(self, kind: str) -> int:
        """What an organisation sink received: the sum of its entries."""
        return entries_total(Account.objects.filter(organisation_id=self.organisation_id, kind=kind))


def make_world(make_tenant, *, employees: int = 2, budget: int = 0, **programme) -> World:
    tenant = make_tenant()
    actor = Actor.system(tenant.organisation.id)
    ids = [f"E{n:03d}" for n in range(employees)]
    seed(
        tenant,
        [{"employee_id": e, "email": f"{e.lower()}@example.com", "first_name": "A", "last_name": "B"} for e in ids],
    )
    created = programme_create(
        actor=actor, command=ProgrammeCommand.parse({"code": "KUDOS", "name": "Kudos", **programme})
    )
    if budget:
        topup(actor, "KUDOS", budget)
    return World(actor, created, ids)


def topup(actor: Actor, code: str, points: int):
    return programme_topup(actor=actor, command=ProgrammeTopupCommand.parse({"programme": code, "points": points}))


def shard_balances(programme: Programme) -> list[int]:
    return list(
        Account.objects.filter(programme=programme, kind=Account.Kind.BUDGET)
        .order_by("shard")
        .values_list("balance", flat=True)
    )


def entries_total(accounts) -> int:
    if isinstance(accounts, Account):
        accounts = [accounts]
    return LedgerEntry.objects.filter(account__in=accounts).aggregate(total=Sum("amount"))["total"] or 0


def lots_total(account: Account) -> int:
    return Lot.objects.filter(account=account).aggregate(total=Sum("remaining"))["total"] or 0


def assert_wallet(account: Account, balance: int) -> None:
    """Cached balance, the sum of the wallet's entries and the sum of its lots all equal `balance`."""
    account.refresh_from_db()
    assert (account.balance, entries_total(account), lots_total(account)) == (balance, balance, balance)


def unbalanced_transactions() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM points_ledgertransaction t LEFT JOIN points_ledgerentry e ON e.transaction_id = t.id"
            " GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2"
        )
        return cursor.fetchall()


def ledger_state() -> dict:
    """Every ledger row a points service may touch, for `nothing changed` assertions."""
    return {
        "accounts": list(Account.objects.order_by("id").values_list("id", "kind", "balance")),
        "lots": list(Lot.objects.order_by("id").values_list("id", "remaining")),
        "transactions": LedgerTransaction.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "requests": list(PointsRequest.objects.order_by("id").values()),
        "outbox": OutboxEvent.objects.count(),
    }


def run_parallel(jobs: list, workers: int = WORKERS) -> list:
    """Run the callables on `workers` threads released together by a barrier; each thread takes every
    `workers`-th job and closes its own connection at the end. Answers each job's result or exception."""
    workers = min(workers, len(jobs))
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(workers)

    def worker(first: int) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(first, len(jobs), workers):
                try:
                    results[i] = jobs[i]()
                except Exception as exc:
                    results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def codes(results: list) -> dict:
    """{error code or result class name: count} over parallel results."""
    counts: dict = {}
    for result in results:
        key = str(getattr(result, "code", None) or type(result).__name__)
        counts[key] = counts.get(key, 0) + 1
    return counts


def wait_for_lock_waiters(count: int) -> None:
    """Until `count` other sessions of this database wait for a lock on rows of the points accounts,
    directly or inside the one-statement credit."""
    for _ in range(500):
        fetchone("SELECT pg_stat_clear_snapshot()", [])  # else the view stays as first read in a transaction
        waiting = fetchone(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND (query LIKE %s OR query LIKE %s)",
            ["%points_account%", "%points_request_credit(%"],
        )[0]
        if waiting >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{count} sessions never waited")

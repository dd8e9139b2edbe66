"""Helpers for the batch, upload and worker tests (no tests here): an organisation with employees and a
funded programme, request lists, and read-outs of the ledger that the assertions compare exactly."""

from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count

from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from points.commands import PointsBatchCommand, ProgrammeCommand, ProgrammeTopupCommand
from points.models import (
    Account,
    LedgerEntry,
    LedgerTransaction,
    Lot,
    PointsBatch,
    PointsBatchItem,
    PointsRequest,
    PointsUpload,
)
from points.services import points_batch_create, programme_create, programme_topup
from tests.support import seed

BATCHES = "/api/v1/points/batches/"
UPLOADS = "/api/v1/points/uploads/"


@dataclass
class Org:
    tenant: object
    actor: Actor
    employees: list[str]

    @property
    def organisation_id(self):
        return self.actor.organisation_id

    def batch(self, batch_id: str, requests: list[dict]) -> PointsBatch:
        return points_batch_create(
            actor=self.actor, command=PointsBatchCommand.parse({"batch_id": batch_id, "requests": requests})
        ).batch


def make_org(tenant, *, employees: int = 50, budget: int = 10_000_000, **programme) -> Org:
    actor = Actor.system(tenant.organisation.id, label="tests")
    ids = [f"E{n:05d}" for n in range(employees)]
    for start in range(0, employees, 10_000):
        seed(
            tenant,
            [
                {"employee_id": e, "email": f"{e.lower()}@example.com", "first_name": "A", "last_name": "B"}
                for e in ids[start : start + 10_000]
            ],
        )
    programme_create(actor=actor, command=ProgrammeCommand.parse({"code": "KUDOS", "name": "Kudos", **programme}))
    if budget:
        programme_topup(actor=actor, command=ProgrammeTopupCommand.parse({"programme": "KUDOS", "points": budget}))
    return Org(tenant, actor, ids)


def credits(org: Org, count: int, *, prefix: str = "r", points=lambda n: 1 + n % 7) -> list[dict]:
    """`count` valid requests spread over the employees, each employee several times."""
    return [
        {
            "request_id": f"{prefix}-{n}",
            "employee_id": org.employees[n % len(org.employees)],
            "points": points(n),
            "programme": "KUDOS",
        }
        for n in range(count)
    ]


def item_statuses(batch) -> Counter:
    return Counter(PointsBatchItem.objects.filter(batch=batch).values_list("status", flat=True))


def counts(batch) -> dict:
    batch.refresh_from_db()
    return {
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "credited": batch.credited,
        "pending_approval": batch.pending_approval,
        "rejected": batch.rejected,
        "replayed": batch.replayed,
    }


def wallets(org: Org) -> dict[str, int]:
    return dict(
        Account.objects.filter(organisation_id=org.organisation_id, kind=Account.Kind.WALLET).values_list(
            "employee__employee_id", "balance"
        )
    )


def expected_wallets(requests: list[dict]) -> dict[str, int]:
    totals = Counter()
    for r in requests:
        totals[r["employee_id"]] += r["points"]
    return dict(totals)


def assert_ledger_proven(org: Org) -> None:
    """Each tracked account's balance = the sum of its entries; each wallet's = the sum of its lots; every
    ledger transaction balances; each credited request has one transaction, one lot, one wallet entry."""
    accounts = Account.objects.filter(organisation_id=org.organisation_id).exclude(kind__in=["redemption", "expiry"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM points_account a"
            " LEFT JOIN (SELECT account_id, SUM(amount) s FROM points_ledgerentry GROUP BY account_id) e"
            "  ON e.account_id = a.id"
            " LEFT JOIN (SELECT account_id, SUM(remaining) s FROM points_lot GROUP BY account_id) l"
            "  ON l.account_id = a.id"
            " WHERE a.organisation_id = %s AND a.kind NOT IN ('redemption', 'expiry')"
            " AND (a.balance <> COALESCE(e.s, 0) OR (a.kind = 'wallet' AND a.balance <> COALESCE(l.s, 0)))",
            [org.organisation_id],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT transaction_id FROM points_ledgerentry GROUP BY transaction_id HAVING SUM(amount) <> 0"
            " OR COUNT(*) < 2"
        )
        assert cursor.fetchall() == []
    assert accounts.filter(kind="funding").get().balance < 0
    credited = PointsRequest.objects.filter(organisation_id=org.organisation_id, status="credited")
    assert credited.filter(transaction__isnull=True).count() == 0
    assert credited.values("transaction_id").distinct().count() == credited.count()
    assert credited.values("lot_id").distinct().count() == credited.count()
    wallet_entries = LedgerEntry.objects.filter(account__kind="wallet", account__organisation_id=org.organisation_id)
    assert wallet_entries.count() == credited.count()
    assert (
        LedgerTransaction.objects.filter(organisation_id=org.organisation_id, kind="award").count() == credited.count()
    )
    assert Lot.objects.filter(organisation_id=org.organisation_id).count() == credited.count()


def assert_items_match_counters(batch) -> None:
    """The batch's counters are the tally of its items' outcomes."""
    tally = item_statuses(batch)
    c = counts(batch)
    assert c["processed"] == sum(n for s, n in tally.items() if s != "queued")
    for status in ("credited", "pending_approval", "rejected", "replayed"):
        assert c[status] == tally.get(status, 0)


def assert_each_request_once(batch) -> None:
    """Every item made at most one request and no request came from two items."""
    made = PointsBatchItem.objects.filter(batch=batch, status__in=["credited", "pending_approval"])
    assert made.filter(points_request__isnull=True).count() == 0
    duplicates = made.values("points_request_id").annotate(n=Count("id")).filter(n__gt=1)
    assert list(duplicates) == []
    assert PointsRequest.objects.filter(batch_id=batch.pk).count() == made.count()


def events(event_type: str) -> list[str]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id").values_list("aggregate_id", flat=True))


def batch_tables() -> dict:
    """Every batch and upload row, for 'nothing changed' checks next to points_state()."""
    return {
        "batches": list(PointsBatch.objects.order_by("id").values()),
        "items": list(PointsBatchItem.objects.order_by("id").values()),
        "uploads": list(PointsUpload.objects.order_by("id").values()),
        "requests": list(PointsRequest.objects.order_by("id").values()),
        "lots": list(Lot.objects.order_by("id").values()),
        "entries": list(LedgerEntry.objects.order_by("id").values()),
        "accounts": list(Account.objects.order_by("id").values()),
        "outbox": list(OutboxEvent.objects.order_by("id").values()),
    }


def assert_exactly_once(org, batch, requests) -> None:
    """Every request of the batch credited once: counters, wallets, ledger, items, requests, events."""
    assert counts(batch) == {
        "status": "completed",
        "total": len(requests),
        "processed": len(requests),
        "credited": len(requests),
        "pending_approval": 0,
        "rejected": 0,
        "replayed": 0,
    }
    assert wallets(org) == expected_wallets(requests)
    assert_ledger_proven(org)
    assert_items_match_counters(batch)
    assert_each_request_once(batch)
    assert events("points_batch.completed") == [str(batch.pk)]
    assert len(events("points_request.credited")) == len(requests)

"""The capture trigger's programme of an award or reversal, by every path that writes the ledger, and what
it reads to find it: the statement's own budget entries, never another transaction's entries (reading a
shard's whole history per award made the capture grow with the ledger)."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from plum.core.ids import uuid7
from points import ledger
from points import services as points_services
from points.commands import PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.models import Account, PointsRequest, Programme
from points.tests.factories import make_programme, seed_employees, submit, system
from users.models import Employee

# the lookup the capture made before: the programme of a transaction's budget entry, from the whole ledger
OLD_LOOKUP = """
    SELECT b.programme_id FROM points_ledgerentry be
    JOIN points_account b ON b.id = be.account_id AND b.kind = 'budget'
    WHERE be.transaction_id = %s LIMIT 1
"""


@pytest.fixture
def world(make_tenant):
    tenant = make_tenant("capture")
    seed_employees(tenant, "E1", "E2", "E3", business_unit="SALES", country="FR")
    p1 = make_programme(tenant, "P1", budget=50_000, approval_threshold=1_000)
    p2 = make_programme(tenant, "P2", budget=50_000)
    for n in range(6):  # a history in every shard of both programmes, which a capture must not read
        submit(tenant, request_id=f"h{n}", employee_id="E1", points=10 + n, programme="P1" if n % 2 else "P2")
    return tenant, p1, p2


def captured(transaction_id) -> list[tuple]:
    """(account kind, transaction kind, programme id, amount) of a ledger transaction's dimension rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.account_kind, d.kind, d.programme_id, d.amount FROM reports_entrydimension d"
            " JOIN points_ledgerentry e ON e.id = d.entry_id WHERE e.transaction_id = %s"
            " ORDER BY d.account_kind, d.amount",
            [transaction_id],
        )
        return cursor.fetchall()


def award_rows(programme: Programme, points: int) -> list[tuple]:
    return [("budget", "award", programme.pk, -points), ("wallet", "award", programme.pk, points)]


@contextmanager
def ledger_reads():
    """Counts the scans and rows this transaction reads from points_ledgerentry inside the block."""

    def now() -> tuple[int, int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(seq_scan, 0), COALESCE(idx_scan, 0), COALESCE(idx_tup_fetch, 0)"
                " FROM pg_stat_xact_user_tables WHERE relname = 'points_ledgerentry'"
            )
            return cursor.fetchone()

    reads = {}
    before = now()
    yield reads
    after = now()
    names = ("seq_scans", "index_scans", "rows_fetched")
    reads.update(zip(names, (a - b for a, b in zip(after, before, strict=True)), strict=True))


def request(tenant, request_id: str) -> PointsRequest:
    return PointsRequest.objects.get(organisation=tenant.organisation, request_id=request_id)


def test_the_one_statement_credit_captures_its_programme_without_reading_the_ledger(world):
    tenant, p1, _ = world
    with ledger_reads() as reads:
        credited = submit(tenant, request_id="one", employee_id="E2", points=70, programme="P1")
    assert reads == {"seq_scans": 0, "index_scans": 0, "rows_fetched": 0}
    assert credited.status == PointsRequest.Status.CREDITED
    assert captured(request(tenant, "one").transaction_id) == award_rows(p1, 70)


@override_settings(POINTS_ONE_STATEMENT_CREDIT=False)
def test_the_general_path_captures_its_programme_without_reading_the_ledger(world):
    tenant, _, p2 = world
    with ledger_reads() as reads:
        submit(tenant, request_id="general", employee_id="E2", points=80, programme="P2")
    assert reads == {"seq_scans": 0, "index_scans": 0, "rows_fetched": 0}
    assert captured(request(tenant, "general").transaction_id) == award_rows(p2, 80)


def test_an_approval_captures_its_programme(world):
    tenant, p1, _ = world
    pending = submit(tenant, request_id="big", employee_id="E3", points=1_500, programme="P1")
    assert pending.status == PointsRequest.Status.PENDING_APPROVAL
    with ledger_reads() as reads:
        points_services.points_request_approve(
            actor=system(tenant), request_uuid=pending.pk, command=PointsRequestDecisionCommand.parse({})
        )
    assert reads == {"seq_scans": 0, "index_scans": 0, "rows_fetched": 0}
    assert captured(request(tenant, "big").transaction_id) == award_rows(p1, 1_500)


def test_one_copy_of_credits_from_two_programmes_gives_each_its_own(world):
    tenant, p1, p2 = world
    employees = dict(Employee.objects.filter(organisation=tenant.organisation).values_list("employee_id", "pk"))
    now = timezone.now()
    credits = [
        ledger.Award(employee=employees[e], programme=p, points=points, reference=f"b{n}", memo="", expires_at=now)
        for n, (e, p, points) in enumerate([("E1", p1, 11), ("E2", p2, 22), ("E3", p1, 33), ("E1", p2, 44)])
    ]
    with ledger_reads() as reads:
        ledger.credit_many(tenant.organisation.id, credits, now)
    assert reads == {"seq_scans": 0, "index_scans": 0, "rows_fetched": 0}
    assert [captured(c.transaction_id) for c in credits] == [
        award_rows(p1, 11),
        award_rows(p2, 22),
        award_rows(p1, 33),
        award_rows(p2, 44),
    ]


def test_a_reversal_captures_its_programme(world):
    tenant, _, p2 = world
    submit(tenant, request_id="undo", employee_id="E2", points=90, programme="P2")
    with ledger_reads() as reads:
        points_services.points_request_reverse(
            actor=system(tenant),
            request_uuid=request(tenant, "undo").pk,
            command=PointsRequestReverseCommand.parse({"reason": "typo"}),
        )
    assert reads == {"seq_scans": 0, "index_scans": 0, "rows_fetched": 0}
    reversal = request(tenant, "undo").reversal_transaction_id
    assert captured(reversal) == [("budget", "reversal", p2.pk, 90), ("wallet", "reversal", p2.pk, -90)]


def test_a_budget_entry_of_an_earlier_statement_is_found_through_its_own_transaction_only(world):
    """No path writes one today; an entry added later to an open ledger transaction still gets its
    programme, read through the transaction's own entries."""
    tenant, p1, _ = world
    org = tenant.organisation
    wallet = Account.objects.get(kind=Account.Kind.WALLET, employee__employee_id="E1", organisation=org)
    shard = Account.objects.filter(kind=Account.Kind.BUDGET, programme=p1).order_by("pk").first()
    txn, now = uuid7(), timezone.now()
    entry = (
        "INSERT INTO points_ledgerentry (id, transaction_id, account_id, amount, balance_after, reference,"
        " created_at) VALUES (%s, %s, %s, %s, 0, 'late', %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO points_ledgertransaction (id, organisation_id, kind, reference, memo, created_at)"
            " VALUES (%s, %s, 'award', 'late', '', %s)",
            [txn, org.id, now],
        )
        cursor.execute(entry, [uuid7(), txn, shard.pk, -5, now])
        # the plan of a ledger of any real size: on a few test rows PostgreSQL 16 would read them whole.
        # The trigger's plan is kept per connection from its first call; DISCARD PLANS replans it here.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("DISCARD PLANS")
        with ledger_reads() as reads:
            cursor.execute(entry, [uuid7(), txn, wallet.pk, 5, now + timedelta(microseconds=1)])
    # one index scan of the transaction's own two entries, stopping at its budget entry: equal keys sit
    # in the index in heap order, so the wallet entry may come first when it reused an earlier page's space
    assert (reads["seq_scans"], reads["index_scans"]) == (0, 1)
    assert reads["rows_fetched"] in (1, 2)
    assert captured(txn) == award_rows(p1, 5)


def test_the_probe_sees_a_lookup_of_the_ledger(world):
    """The naive variant: the lookup the capture made before reads the ledger, and ledger_reads sees it."""
    tenant, _, _ = world
    some = request(tenant, "h1").transaction_id
    with ledger_reads() as reads, connection.cursor() as cursor:
        cursor.execute(OLD_LOOKUP, [some])
    assert reads["seq_scans"] + reads["index_scans"] > 0

"""The one-statement credit (points.services.single_credit): it writes exactly what the general path
writes, and hands every other case to the general path having changed nothing. Which path a credit took
is read from their debug logs; POINTS_ONE_STATEMENT_CREDIT = False sends every credit to the general path."""

import logging
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from plum.core import audit
from plum.core.models import AuditEntry, OutboxEvent
from points.commands import PointsRequestCommand
from points.errors import PointsError, PointsErrorCode
from points.models import LedgerEntry, LedgerTransaction, Lot, PointsRequest, Programme
from points.selectors import points_request_document
from points.services import ledger_reconcile
from points.services.requests import fingerprint
from points.services.single_credit import credit_in_one_statement
from points.tests.ledger_support import make_world, wait_for_lock_waiters
from users.models import Employee


def _written(request_id: str) -> dict:
    """Every row a credit wrote, without the values that differ by nature (ids, times)."""
    request = PointsRequest.objects.select_related("employee", "programme").get(request_id=request_id)
    txn = LedgerTransaction.objects.get(pk=request.transaction_id)
    lot = Lot.objects.get(pk=request.lot_id)
    event = OutboxEvent.objects.get(aggregate_id=str(request.id))
    entry = AuditEntry.objects.get(object_id=str(request.id))
    return {
        "request": (request.status, request.points, request.balance_after, request.expires_at - request.credited_at),
        "transaction": (txn.kind, txn.reference == request_id, txn.memo),
        "entries": sorted(
            # read right after the credit: each entry's balance_after is its account's balance now
            (e.account.kind, e.amount, e.balance_after == e.account.balance, e.reference == request_id)
            for e in LedgerEntry.objects.filter(transaction=txn).select_related("account")
        ),
        "lot": (lot.account.employee_id == request.employee_id, lot.points, lot.remaining),
        "event": (event.event_type, event.payload == points_request_document(request)),
        "expires_at": lot.expires_at == request.expires_at,
        "audit": (entry.action, entry.object_type, entry.changes == audit.created(points_request_document(request))),
    }


def test_the_one_statement_credit_writes_what_the_general_path_writes(make_tenant, settings):
    world = make_world(make_tenant, budget=1000)
    world.credit("fast", 40)
    fast = _written("fast")
    settings.POINTS_ONE_STATEMENT_CREDIT = False
    world.credit("general", 40, employee=1)
    general = _written("general")

    assert fast == general
    assert fast["request"][2] == 40 and fast["event"] == ("points_request.credited", True)
    assert fast["audit"] == ("points_request.credited", "points_request", True)
    assert fast["entries"] == [("budget", -40, True, True), ("wallet", 40, True, True)]
    assert ledger_reconcile() == []


def test_the_answer_is_the_stored_request(make_tenant):
    world = make_world(make_tenant, budget=1000)

    answered = world.credit("r1", 40, employee=1).request

    stored = PointsRequest.objects.select_related("employee", "programme").get(pk=answered.pk)
    assert points_request_document(answered) == points_request_document(stored)


def test_a_changed_validity_is_picked_up_at_once(make_tenant):
    world = make_world(make_tenant, budget=1000)
    world.credit("before", 10)
    Programme.objects.filter(pk=world.programme.pk).update(points_validity_days=30)

    after = world.credit("after", 10).request

    assert (after.expires_at - after.credited_at).days == 30
    assert Lot.objects.get(pk=after.lot_id).expires_at == after.expires_at
    assert (
        OutboxEvent.objects.get(aggregate_id=str(after.id)).payload["expires_at"]
        == (points_request_document(after)["expires_at"])
    )


def test_declined_cases_write_nothing_before_the_general_path(make_tenant):
    world = make_world(make_tenant, budget=1000, approval_threshold=100)
    declined = []

    def credit(request_id: str, points: int, employee: int = 0):
        """The statement alone first (it must decline, writing nothing), then the whole service."""
        data = {"request_id": request_id, "employee_id": world.employees[employee], "points": points}
        clean = PointsRequestCommand.parse({**data, "programme": world.programme.code}).as_clean()
        before = _counts()
        result = credit_in_one_statement(world.actor, clean, fingerprint=fingerprint(clean), now=timezone.now())
        declined.append(result is None and _counts() == before)
        return world.credit(request_id, points, employee=employee)

    assert credit("pending", 150).http_status == 202  # at the approval threshold
    assert credit("pending", 150).http_status == 200  # a replay
    Employee.objects.filter(organisation_id=world.organisation_id, employee_id=world.employees[1]).update(
        status=Employee.Status.INACTIVE
    )
    with pytest.raises(PointsError) as refused:
        credit("inactive", 10, employee=1)

    assert refused.value.code == PointsErrorCode.EMPLOYEE_INACTIVE
    assert declined == [True, True, True]


def _counts() -> tuple:
    return PointsRequest.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count()


class _PathsTaken:
    """From the debug logs of every thread: the request_ids that went on to the general path, and
    (request_id, waits for a busy shard) of every credit statement sent."""

    def __init__(self, caplog):
        self.caplog = caplog
        for name in ("points.services.requests", "points.services.single_credit"):
            caplog.set_level(logging.DEBUG, logger=name)

    @property
    def general(self) -> list:
        return [r.args[0] for r in self._records("points.services.requests", "general path")]

    @property
    def sent(self) -> list:
        return [r.args for r in self._records("points.services.single_credit", "statement")]

    def _records(self, logger: str, words: str) -> list:
        return [r for r in self.caplog.records if r.name == logger and words in r.msg]


def _hold_every_shard(world, holding: threading.Event, release: threading.Event, then=None):
    """In one transaction: lock every budget shard, optionally run `then()`, and commit once released."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM points_account WHERE programme_id = %s AND kind = 'budget' ORDER BY id FOR UPDATE",
                [world.programme.pk],
            )
        if then:
            then()
        holding.set()
        release.wait(10)
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_with_every_shard_held_elsewhere_the_statement_waits_and_credits_once(make_tenant, caplog):
    world = make_world(make_tenant, budget=1000)
    world.credit("warm", 10)  # the validity is known: the next call goes straight to the statement
    paths = _PathsTaken(caplog)
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def credit_in_a_transaction():
        try:
            with transaction.atomic():  # the statement runs in a savepoint of the caller's transaction
                outcome["request"] = world.credit("held", 25).request
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(target=_hold_every_shard, args=(world, holding, release))
    holder.start()
    assert holding.wait(10)
    creditor = threading.Thread(target=credit_in_a_transaction)
    creditor.start()
    wait_for_lock_waiters(1)  # the statement waits for a shard, having written nothing another can see
    assert creditor.is_alive()
    assert not PointsRequest.objects.filter(request_id="held").exists()
    release.set()
    holder.join(10)
    creditor.join(10)

    assert "error" not in outcome, outcome
    assert outcome["request"].status == PointsRequest.Status.CREDITED
    assert outcome["request"].balance_after == 35
    assert paths.general == []
    # turned away at once (its locks let go), then a statement holding no shard waited for one
    assert paths.sent == [("held", False), ("held", True)]
    assert PointsRequest.objects.filter(request_id="held").count() == 1
    assert world.wallet().balance == 35
    assert world.budget() == 1000 - 35
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_a_shard_drained_while_the_statement_waits_sends_the_credit_to_the_general_path(make_tenant, caplog):
    """The waited-for shard can no longer pay: the statement rolls back whole (its stray shard lock
    with it) and the general path, finding the whole budget short, refuses; nothing of it is written."""
    world = make_world(make_tenant, budget=1000)
    world.credit("warm", 10)
    paths = _PathsTaken(caplog)
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def late_credit():
        try:
            outcome["result"] = world.credit("late", 25)
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(
        target=_hold_every_shard, args=(world, holding, release, lambda: world.credit("all", 980))
    )
    holder.start()
    assert holding.wait(10)
    creditor = threading.Thread(target=late_credit)
    creditor.start()
    wait_for_lock_waiters(1)
    assert paths.general == ["all"]  # "late" waits in its statement, not on the general path
    release.set()  # commits the credit that leaves the budget 10 points
    holder.join(10)
    creditor.join(10)

    assert isinstance(outcome.get("error"), PointsError), outcome
    assert outcome["error"].code == PointsErrorCode.BUDGET_EXHAUSTED
    assert paths.general == ["all", "late"]  # no shard pays 980 alone; "late" was handed over by the statement
    assert [wait for request_id, wait in paths.sent if request_id == "late"] == [False, True]
    assert not PointsRequest.objects.filter(request_id="late").exists()
    assert (world.wallet().balance, world.budget()) == (990, 10)
    assert ledger_reconcile() == []


@pytest.mark.parametrize("points", [0, -(10**30), 2**31, 10**30])
def test_points_outside_the_column_range_are_refused_by_name(make_tenant, points):
    world = make_world(make_tenant, budget=1000)
    before = _counts()

    with pytest.raises(PointsError) as refused:
        world.credit("huge", points)

    assert refused.value.code == PointsErrorCode.POINTS_OUT_OF_RANGE
    assert _counts() == before

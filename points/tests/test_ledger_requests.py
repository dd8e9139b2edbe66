"""Points requests through the ledger: approval, rejection, reversal; every refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from plum.core.errors import DomainError
from plum.core.models import OutboxEvent
from points.commands import PointsRequestDecisionCommand, PointsRequestReverseCommand
from points.models import Account, LedgerEntry, LedgerTransaction, Lot, PointsRequest
from points.services import (
    ledger_reconcile,
    points_request_approve,
    points_request_reject,
    points_request_reverse,
    points_spend,
)
from points.tests.ledger_support import assert_wallet, ledger_state, make_world

pytestmark = pytest.mark.django_db


def refused(code: str, call, *args, **kwargs) -> None:
    """`call` raises the domain error `code` and the ledger, requests and outbox stay as they were."""
    before = ledger_state()
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    assert error.value.code == code
    assert ledger_state() == before


def events(request: PointsRequest) -> list[str]:
    return list(
        OutboxEvent.objects.filter(aggregate_id=str(request.pk)).order_by("id").values_list("event_type", flat=True)
    )


def test_reversing_an_unspent_request_restores_wallet_and_budget_exactly(make_tenant):
    world = make_world(make_tenant, budget=1000)
    world.credit("keep", 30)
    request = world.credit("undo", 120).request

    reversed_ = points_request_reverse(
        actor=world.actor, request_uuid=request.pk, command=PointsRequestReverseCommand(reason="sent twice")
    )

    assert (reversed_.status, reversed_.reversal_reason) == ("reversed", "sent twice")
    assert_wallet(world.wallet(), 30)
    assert Lot.objects.get(pk=request.lot_id).remaining == 0
    assert world.budget() == 1000 - 30
    lines = LedgerEntry.objects.filter(transaction=reversed_.reversal_transaction)
    assert sorted(lines.values_list("amount", flat=True)) == [-120, 120]
    assert reversed_.reversal_transaction.kind == LedgerTransaction.Kind.REVERSAL
    assert events(request) == ["points_request.credited", "points_request.reversed"]
    assert ledger_reconcile() == []


def test_reversal_after_a_partial_spend_is_refused(make_tenant):
    world = make_world(make_tenant, budget=1000)
    request = world.credit("r1", 100).request
    points_spend(actor=world.actor, employee_id="E000", points=1, reference="o1")

    refused(
        "insufficient_balance",
        points_request_reverse,
        actor=world.actor,
        request_uuid=request.pk,
        command=PointsRequestReverseCommand(),
    )
    assert_wallet(world.wallet(), 99)


def test_reversal_of_a_request_whose_points_are_held_by_another_lot_is_refused(make_tenant):
    """The wallet holds enough points, but not the request's own lot: still refused."""
    world = make_world(make_tenant, budget=1000)
    first = world.credit("r1", 50).request
    world.credit("r2", 500)
    points_spend(actor=world.actor, employee_id="E000", points=10, reference="o1")  # from r1's lot, first to expire

    refused(
        "insufficient_balance",
        points_request_reverse,
        actor=world.actor,
        request_uuid=first.pk,
        command=PointsRequestReverseCommand(),
    )
    assert_wallet(world.wallet(), 540)


def test_reversal_of_an_expired_lot_is_refused(make_tenant):
    world = make_world(make_tenant, budget=1000)
    request = world.credit("r1", 100).request
    Lot.objects.filter(pk=request.lot_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    refused(
        "insufficient_balance",
        points_request_reverse,
        actor=world.actor,
        request_uuid=request.pk,
        command=PointsRequestReverseCommand(),
    )


def test_a_request_is_reversed_once(make_tenant):
    world = make_world(make_tenant, budget=1000)
    request = world.credit("r1", 100).request
    points_request_reverse(actor=world.actor, request_uuid=request.pk, command=PointsRequestReverseCommand())

    refused(
        "request_not_credited",
        points_request_reverse,
        actor=world.actor,
        request_uuid=request.pk,
        command=PointsRequestReverseCommand(),
    )
    assert world.budget() == 1000


def test_approval_flow_credits_only_when_approved(make_tenant):
    world = make_world(make_tenant, budget=1000, approval_threshold=100)
    before = ledger_state()
    submitted = world.credit("big", 150)
    pending = submitted.request

    assert (submitted.replayed, submitted.http_status, pending.status) == (False, 202, "pending_approval")
    assert ledger_state()["accounts"] == before["accounts"]  # no wallet yet, budget untouched
    assert ledger_state()["transactions"] == before["transactions"]
    assert world.credit("big", 150).replayed

    approved = points_request_approve(
        actor=world.actor, request_uuid=pending.pk, command=PointsRequestDecisionCommand(note="ok")
    )

    assert (approved.status, approved.balance_after, approved.decision_note) == ("credited", 150, "ok")
    assert_wallet(world.wallet(), 150)
    assert world.budget() == 850
    assert approved.expires_at == Lot.objects.get(pk=approved.lot_id).expires_at
    refused(
        "request_not_pending",
        points_request_approve,
        actor=world.actor,
        request_uuid=pending.pk,
        command=PointsRequestDecisionCommand(),
    )
    refused(
        "request_not_pending",
        points_request_reject,
        actor=world.actor,
        request_uuid=pending.pk,
        command=PointsRequestDecisionCommand(),
    )
    assert events(pending) == ["points_request.pending_approval", "points_request.credited"]
    assert ledger_reconcile() == []


def test_rejection_leaves_the_ledger_alone(make_tenant):
    world = make_world(make_tenant, budget=1000, approval_threshold=100)
    pending = world.credit("big", 150).request
    before = ledger_state()

    rejected = points_request_reject(
        actor=world.actor, request_uuid=pending.pk, command=PointsRequestDecisionCommand(note="no")
    )

    after = ledger_state()
    assert rejected.status == "rejected"
    assert {k: v for k, v in after.items() if k not in ("requests", "outbox")} == {
        k: v for k, v in before.items() if k not in ("requests", "outbox")
    }
    assert not Account.objects.filter(kind=Account.Kind.WALLET).exists()
    refused(
        "request_not_pending",
        points_request_approve,
        actor=world.actor,
        request_uuid=pending.pk,
        command=PointsRequestDecisionCommand(),
    )
    refused(
        "request_not_credited",
        points_request_reverse,
        actor=world.actor,
        request_uuid=pending.pk,
        command=PointsRequestReverseCommand(),
    )


def test_approval_beyond_the_budget_is_refused_and_stays_pending(make_tenant):
    world = make_world(make_tenant, budget=100, approval_threshold=100)
    pending = world.credit("big", 150).request

    refused(
        "budget_exhausted",
        points_request_approve,
        actor=world.actor,
        request_uuid=pending.pk,
        command=PointsRequestDecisionCommand(),
    )
    assert PointsRequest.objects.get(pk=pending.pk).status == "pending_approval"


@pytest.mark.parametrize(
    ("field", "value"), [("points", 2**63), ("points", 0), ("reference", "x" * 129), ("memo", "a\x00b")]
)
def test_spend_refuses_what_the_database_cannot_store(make_tenant, field, value):
    world = make_world(make_tenant, budget=1000)
    world.credit("r1", 100)
    spend = {"actor": world.actor, "employee_id": "E000", "points": 10, "reference": "o1", field: value}

    before = ledger_state()
    with pytest.raises(DomainError) as error:
        points_spend(**spend)
    assert (error.value.code, [e["field"] for e in error.value.errors]) == ("validation_error", [field])
    assert ledger_state() == before

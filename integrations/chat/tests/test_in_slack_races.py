"""Eight people's Slack clients posting one Approve click at the same moment: threads with their own PostgreSQL
connections, released together by a barrier right before the points service decides. The service's row lock
credits once; the others are told it was already approved. Without the lock (the naive variant) the same
clicks credit eight times, so the harness is known to see the race."""

import threading

import pytest

from integrations.chat.services.inbound import clicks
from integrations.chat.tests import inbound_support
from integrations.chat.tests.inbound_support import (
    INTERACTIONS,
    click_body,
    make_org,
    post_slack,
    received,
    response_url,
)
from plum.core.models import OutboxEvent
from points.models import Account, LedgerTransaction, PointsRequest
from points.tests.ledger_support import assert_wallet, run_parallel

slack_receiver = inbound_support.slack_receiver  # the shared fixture
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CLICKS = 8
APPROVE = "points_request.approve"


def released_together(monkeypatch) -> None:
    """Every click waits, past its checks, until all eight are about to call the points service."""
    barrier = threading.Barrier(CLICKS)
    decide, verb, done = clicks.DECISIONS[APPROVE]

    def at_once(**kwargs):
        barrier.wait(timeout=30)
        return decide(**kwargs)

    monkeypatch.setitem(clicks.DECISIONS, APPROVE, (at_once, verb, done))


def click_in_parallel(org, pending, server) -> list:
    body = click_body(org, "U0APPROVER", APPROVE, str(pending.pk), response_url(server))
    return run_parallel([lambda: post_slack(INTERACTIONS, body, org.signing_secret) for _ in range(CLICKS)], CLICKS)


def awards(org) -> int:
    return LedgerTransaction.objects.filter(organisation_id=org.id, kind="award").count()


def test_eight_parallel_clicks_on_one_approve_button_credit_once(make_tenant, slack_receiver, monkeypatch):
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    released_together(monkeypatch)

    answers = click_in_parallel(org, pending, slack_receiver)

    assert [a.status_code for a in answers] == [200] * CLICKS
    assert PointsRequest.objects.get(pk=pending.pk).status == "credited"
    assert awards(org) == 1
    assert_wallet(Account.objects.get(organisation_id=org.id, kind="wallet", employee__employee_id="E1"), 500)
    credited = OutboxEvent.objects.filter(organisation_id=org.id, event_type="points_request.credited")
    assert list(credited.values_list("aggregate_id", flat=True)) == [str(pending.pk)]
    messages = received(slack_receiver)
    assert sorted(m["replace_original"] for m in messages) == [False] * (CLICKS - 1) + [True]
    assert [m["text"] for m in messages if not m["replace_original"]] == ["This request was already approved."] * (
        CLICKS - 1
    )


def test_naive_unlocked_decisions_credit_every_click(make_tenant, slack_receiver, monkeypatch):
    """The same clicks against a decision that reads the request without locking it: all eight credit."""
    org = make_org(make_tenant, approvers=["E3"])
    pending = org.submit("R-1", 500)
    read_together = threading.Barrier(CLICKS)

    def unlocked(actor, request_uuid):
        request = PointsRequest.objects.select_related("programme", "employee").get(
            organisation_id=actor.organisation_id, pk=request_uuid
        )
        read_together.wait(timeout=30)  # every click has seen it pending before any decides
        return request

    monkeypatch.setattr("points.services.requests._locked_request", unlocked)

    answers = click_in_parallel(org, pending, slack_receiver)

    assert [a.status_code for a in answers] == [200] * CLICKS
    assert awards(org) == CLICKS
    assert org.wallet()["balance"] == 500 * CLICKS
    assert [m["replace_original"] for m in received(slack_receiver)] == [True] * CLICKS

"""Approving, rejecting and reversing points requests over REST."""

import pytest

from plum.core.models import OutboxEvent
from plum.core.scopes import Scope
from points import services
from points.models import LedgerEntry, PointsRequest
from points.tests.factories import (
    REQUESTS,
    balance,
    budget,
    make_programme,
    points_nothing_changes,
    request_document,
    seed_employees,
    submit,
    system,
)
from tests.support import assert_problem


@pytest.fixture
def funded(tenant):
    seed_employees(tenant, "E1")
    make_programme(tenant, "P1", budget=1_000, approval_threshold=500)
    return tenant


@pytest.fixture
def pending(funded) -> PointsRequest:
    return submit(funded, points=600)


@pytest.fixture
def credited(funded) -> PointsRequest:
    return submit(funded, request_id="C1", points=300)


def url(request: PointsRequest, verb: str) -> str:
    return f"{REQUESTS}{request.id}/{verb}/"


def point_events() -> list[str]:
    return list(
        OutboxEvent.objects.filter(aggregate_type="points_request").order_by("id").values_list("event_type", flat=True)
    )


def test_the_approval_flow_end_to_end(api, funded):
    body = {"request_id": "BIG", "employee_id": "E1", "points": 500, "programme": "P1"}
    submitted = api.post(REQUESTS, body, format="json")
    assert (submitted.status_code, submitted.json()["status"]) == (202, "pending_approval")
    assert api.get("/api/v1/wallets/E1/").json()["balance"] == 0

    approved = api.post(f"{REQUESTS}{submitted.json()['id']}/approve/")

    assert (approved.status_code, approved.json()["status"], approved.json()["balance_after"]) == (200, "credited", 500)
    assert api.get("/api/v1/wallets/E1/").json()["balance"] == 500
    assert api.get(f"{REQUESTS}{submitted.json()['id']}/").json() == approved.json()
    assert budget(funded) == 500


def test_approving_credits_the_wallet(api, funded, pending):
    response = api.post(url(pending, "approve"), {"note": "Well deserved"}, format="json")

    assert response.status_code == 200
    document = response.json()
    assert document == request_document(pending)
    assert (document["status"], document["balance_after"]) == ("credited", 600)
    assert document["transaction_id"] is not None and document["decided_at"] is not None
    assert (pending.decision_note, pending.decided_by) == ("Well deserved", f"client:{funded.client.client_id}")
    assert (balance(funded), budget(funded)) == (600, 400)
    assert point_events() == ["points_request.pending_approval", "points_request.credited"]


def test_approving_without_a_body(api, funded, pending):
    assert api.post(url(pending, "approve")).json()["status"] == "credited"
    assert PointsRequest.objects.get(pk=pending.pk).decision_note == ""


def test_approving_twice_answers_409_and_changes_nothing(api, funded, pending):
    assert api.post(url(pending, "approve")).status_code == 200
    with points_nothing_changes():
        response = api.post(url(pending, "approve"))
    assert_problem(response, 409, "request_not_pending")
    assert balance(funded) == 600


def test_approving_what_the_budget_cannot_pay_answers_422_and_keeps_it_pending(api, funded, pending):
    submit(funded, request_id="R2", points=450)  # leaves 550 of 1,000; the pending request needs 600
    with points_nothing_changes():
        response = api.post(url(pending, "approve"))
    assert_problem(response, 422, "budget_exhausted")
    pending.refresh_from_db()
    assert pending.status == "pending_approval"


def test_rejecting_leaves_the_wallet_alone(api, funded, pending):
    response = api.post(url(pending, "reject"), {"note": "Duplicate of R0"}, format="json")

    assert response.status_code == 200
    assert response.json() == request_document(pending)
    assert (response.json()["status"], response.json()["balance_after"]) == ("rejected", None)
    assert pending.decision_note == "Duplicate of R0"
    assert (balance(funded), budget(funded)) == (0, 1_000)
    assert point_events() == ["points_request.pending_approval", "points_request.rejected"]
    with points_nothing_changes():
        assert_problem(api.post(url(pending, "approve")), 409, "request_not_pending")
        assert_problem(api.post(url(pending, "reject")), 409, "request_not_pending")


def test_a_credited_request_cannot_be_decided(api, credited):
    with points_nothing_changes():
        assert_problem(api.post(url(credited, "approve")), 409, "request_not_pending")
        assert_problem(api.post(url(credited, "reject")), 409, "request_not_pending")


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"note": 5}, [("note", "invalid")]),
        ({"note": "n" * 501}, [("note", "invalid")]),
        ({"comment": "x"}, [("comment", "unknown_field")]),
    ],
)
@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_decisions_refuse_bad_notes(api, pending, verb, payload, errors):
    with points_nothing_changes():
        response = api.post(url(pending, verb), payload, format="json")
    assert_problem(response, 400, "validation_error", errors)


def test_reversing_takes_the_points_back_and_restores_the_budget(api, funded, credited):
    response = api.post(url(credited, "reverse"), {"reason": "Sent twice"}, format="json")

    assert response.status_code == 200
    document = response.json()
    assert document == request_document(credited)
    assert (document["status"], document["reversal_reason"]) == ("reversed", "Sent twice")
    assert document["reversed_at"] is not None
    assert (balance(funded), budget(funded)) == (0, 1_000)
    reversal = LedgerEntry.objects.get(transaction=credited.reversal_transaction, account__kind="wallet")
    assert (reversal.amount, reversal.balance_after, reversal.reference) == (-300, 0, "C1")
    assert point_events() == ["points_request.credited", "points_request.reversed"]
    with points_nothing_changes():
        assert_problem(
            api.post(url(credited, "reverse"), {"reason": "again"}, format="json"), 409, "request_not_credited"
        )


def test_reversing_points_already_spent_answers_422_and_changes_nothing(api, funded, credited):
    services.points_spend(actor=system(funded), employee_id="E1", points=100, reference="order-1")
    with points_nothing_changes():
        response = api.post(url(credited, "reverse"), {"reason": "Too late"}, format="json")
    assert_problem(response, 422, "insufficient_balance")
    assert (balance(funded), budget(funded)) == (200, 700)


def test_reversing_a_pending_request_answers_409(api, pending):
    with points_nothing_changes():
        assert_problem(api.post(url(pending, "reverse"), {"reason": "x"}, format="json"), 409, "request_not_credited")


def test_reversing_without_a_reason_is_allowed(api, funded, credited):
    response = api.post(url(credited, "reverse"))
    assert (response.status_code, response.json()["reversal_reason"]) == (200, "")


@pytest.mark.parametrize(
    ("payload", "errors"),
    [({"reason": ["x"]}, [("reason", "invalid")]), ({"why": "x"}, [("why", "unknown_field")])],
)
def test_reversing_refuses_a_bad_reason(api, credited, payload, errors):
    with points_nothing_changes():
        assert_problem(api.post(url(credited, "reverse"), payload, format="json"), 400, "validation_error", errors)


@pytest.mark.parametrize("verb", ["approve", "reject", "reverse"])
@pytest.mark.parametrize("request_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "1" * 80])
def test_unknown_ids_answer_404(api, pending, verb, request_id):
    with points_nothing_changes():
        response = api.post(f"{REQUESTS}{request_id}/{verb}/")
    assert_problem(response, 404, "points_request_not_found")


def test_another_organisations_request_answers_404(funded, pending, other_tenant):
    intruder = other_tenant.api()
    with points_nothing_changes():
        for verb in ("approve", "reject", "reverse"):
            assert_problem(intruder.post(url(pending, verb)), 404, "points_request_not_found")


@pytest.mark.parametrize(
    ("verb", "needed"),
    [("approve", Scope.POINTS_APPROVE), ("reject", Scope.POINTS_APPROVE), ("reverse", Scope.POINTS_WRITE)],
)
def test_decisions_need_their_scope(funded, pending, verb, needed):
    others = [s for s in (Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.POINTS_APPROVE) if s != needed]
    with points_nothing_changes():
        response = funded.api(others).post(url(pending, verb))
    assert_problem(response, 403, "insufficient_scope")

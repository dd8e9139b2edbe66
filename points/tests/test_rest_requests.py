"""Points requests over REST: submit (201 credited, 202 pending, 200 replay), 409 and 422 refusals, 400 shapes."""

from datetime import timedelta

import pytest

from plum.core.models import OutboxEvent
from plum.core.scopes import Scope
from points.models import LedgerEntry, Lot, PointsRequest
from points.tests.factories import (
    REQUESTS,
    balance,
    body,
    budget,
    make_programme,
    points_nothing_changes,
    request_document,
    seed_employees,
)
from tests.support import assert_problem, parse_time


@pytest.fixture
def funded(tenant):
    """acme: employees E1 (active) and E2 (inactive), programme P1 with 1,000 points (approval at 500,
    at most 800 a request), and P0, which is inactive."""
    seed_employees(tenant, "E1")
    seed_employees(tenant, "E2", status="inactive")
    make_programme(tenant, "P1", budget=1_000, approval_threshold=500, max_points_per_request=800)
    make_programme(tenant, "P0", budget=1_000, status="inactive")
    return tenant


def post(api, **fields):
    return api.post(REQUESTS, body(**fields), format="json")


def test_under_the_threshold_credits_at_once_with_201(api, funded):
    response = post(api, points=300, reason="Great demo", source="crm", metadata={"deal": "D-9", "n": [1, 2]})

    assert response.status_code == 201
    stored = PointsRequest.objects.get(request_id="R1")
    document = response.json()
    assert document == {
        "id": str(stored.id),
        "request_id": "R1",
        "status": "credited",
        "points": 300,
        "employee_id": "E1",
        "programme": "P1",
        "reason": "Great demo",
        "source": "crm",
        "metadata": {"deal": "D-9", "n": [1, 2]},
        "balance_after": 300,
        "transaction_id": str(stored.transaction_id),
        "credited_at": document["credited_at"],
        "expires_at": document["expires_at"],
        "decided_at": None,
        "reversed_at": None,
        "reversal_reason": "",
        "created_at": document["created_at"],
    }
    assert document == request_document(stored)
    assert parse_time(document["expires_at"]) - parse_time(document["credited_at"]) == timedelta(days=365)
    assert (balance(funded), budget(funded)) == (300, 700)
    wallet_entry = LedgerEntry.objects.get(transaction=stored.transaction, account__kind="wallet")
    assert (wallet_entry.amount, wallet_entry.balance_after, wallet_entry.reference) == (300, 300, "R1")
    assert Lot.objects.get(pk=stored.lot_id).remaining == 300
    events = OutboxEvent.objects.filter(aggregate_type="points_request")
    assert [(e.event_type, e.aggregate_id, e.payload) for e in events] == [
        ("points_request.credited", str(stored.id), document)
    ]


def test_at_the_threshold_waits_for_approval_with_202(api, funded):
    response = post(api, points=500)

    assert response.status_code == 202
    stored = PointsRequest.objects.get(request_id="R1")
    assert response.json() == request_document(stored)
    assert response.json()["status"] == "pending_approval"
    assert (response.json()["balance_after"], response.json()["transaction_id"]) == (None, None)
    assert (balance(funded), budget(funded)) == (0, 1_000)
    assert list(OutboxEvent.objects.filter(aggregate_type="points_request").values_list("event_type", flat=True)) == [
        "points_request.pending_approval"
    ]


@pytest.mark.parametrize("points", [300, 500], ids=["credited", "pending"])
def test_a_repeated_request_id_with_the_same_body_replays_200(api, funded, points):
    first = post(api, points=points, metadata={"a": 1})
    with points_nothing_changes():
        again = post(api, points=points, metadata={"a": 1})

    assert again.status_code == 200
    assert again.json() == first.json()


def test_a_replay_repeats_the_first_answer_after_an_approval(api, funded):
    first = post(api, points=500)
    assert first.status_code == 202
    approved = api.post(f"{REQUESTS}{first.json()['id']}/approve/")
    assert approved.json()["status"] == "credited"

    with points_nothing_changes():
        again = post(api, points=500)

    assert again.status_code == 200
    assert again.json() == first.json()
    current = api.get(f"{REQUESTS}{first.json()['id']}/").json()
    assert current == request_document(PointsRequest.objects.get(request_id="R1"))
    assert (current["status"], current["balance_after"]) == ("credited", 500)


def test_a_replay_repeats_the_first_answer_after_a_reversal_or_a_rejection(api, funded):
    credited = post(api, points=300)
    assert api.post(f"{REQUESTS}{credited.json()['id']}/reverse/", {"reason": "typo"}, format="json").status_code == 200
    pending = post(api, request_id="R2", points=500)
    assert api.post(f"{REQUESTS}{pending.json()['id']}/reject/").status_code == 200

    with points_nothing_changes():
        again = [post(api, points=300), post(api, request_id="R2", points=500)]

    assert [a.status_code for a in again] == [200, 200]
    assert [a.json() for a in again] == [credited.json(), pending.json()]
    assert PointsRequest.objects.get(request_id="R1").status == "reversed"


@pytest.mark.parametrize(
    "changed",
    [{"points": 301}, {"employee_id": "E3"}, {"reason": "other"}, {"metadata": {"a": 2}}, {"source": "hr"}],
)
def test_a_repeated_request_id_with_another_body_answers_409(api, funded, changed):
    seed_employees(funded, "E3")
    post(api, points=300, metadata={"a": 1})
    with points_nothing_changes():
        response = post(api, **({"points": 300, "metadata": {"a": 1}} | changed))
    assert_problem(response, 409, "request_id_conflict", [("request_id", "request_id_conflict")])


def test_request_ids_are_per_organisation(api, funded, other_tenant):
    seed_employees(other_tenant, "E1")
    make_programme(other_tenant, "P1", budget=100)
    assert other_tenant.api().post(REQUESTS, body(points=50), format="json").status_code == 201

    assert post(api, points=300).status_code == 201
    assert PointsRequest.objects.filter(request_id="R1").count() == 2


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"employee_id": "NOBODY"}, "employee_not_found", "employee_id"),
        ({"employee_id": "E2"}, "employee_inactive", "employee_id"),
        ({"programme": "NOPE"}, "programme_not_found", "programme"),
        ({"programme": "P0"}, "programme_inactive", "programme"),
        ({"points": 0}, "points_out_of_range", "points"),
        ({"points": -5}, "points_out_of_range", "points"),
        ({"points": 801}, "points_out_of_range", "points"),
    ],
)
def test_business_rules_answer_422_and_change_nothing(api, funded, fields, code, field):
    with points_nothing_changes():
        response = post(api, **({"points": 100} | fields))
    assert_problem(response, 422, code, [(field, code)])
    assert not PointsRequest.objects.exists()


def test_an_exhausted_budget_answers_422_and_changes_nothing(api, funded):
    assert post(api, request_id="R0", points=400).status_code == 201
    assert post(api, request_id="R00", points=400).status_code == 201

    with points_nothing_changes():
        response = post(api, points=201)

    assert_problem(response, 422, "budget_exhausted")
    assert (balance(funded), budget(funded)) == (800, 200)
    assert post(api, points=200).status_code == 201
    assert budget(funded) == 0


def test_another_organisations_employee_and_programme_do_not_exist(api, funded, other_tenant):
    seed_employees(other_tenant, "X1")
    make_programme(other_tenant, "XP", budget=1_000)
    with points_nothing_changes():
        assert_problem(post(api, employee_id="X1"), 422, "employee_not_found", [("employee_id", "employee_not_found")])
        assert_problem(post(api, programme="XP"), 422, "programme_not_found", [("programme", "programme_not_found")])


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {},
            [
                ("request_id", "required"),
                ("employee_id", "required"),
                ("programme", "required"),
                ("points", "required"),
            ],
        ),
        (body(points="100"), [("points", "invalid")]),
        (body(points=True), [("points", "invalid")]),
        (body(points=1.5), [("points", "invalid")]),
        (body(request_id="has space"), [("request_id", "invalid")]),
        (body(request_id="r" * 129), [("request_id", "invalid"), ("request_id", "invalid")]),
        (body(employee_id=7), [("employee_id", "invalid")]),
        (body(reason="x" * 501), [("reason", "invalid")]),
        (body(source="s" * 65), [("source", "invalid")]),
        (body(metadata=["a"]), [("metadata", "invalid")]),
        (body(metadata={"k": "v" * 4100}), [("metadata", "invalid")]),
        (body(reason="nul\x00"), [("reason", "invalid")]),
        (body(metadata={"note": "nul\x00"}), [("metadata", "invalid")]),
        (body(metadata={"nul\x00": 1}), [("metadata", "invalid")]),
        (body(points=600, metadata={"deep": [{"n": "\x00"}]}), [("metadata", "invalid")]),
        (body(priority="high"), [("priority", "unknown_field")]),
    ],
)
def test_malformed_requests_answer_400_and_change_nothing(api, funded, payload, errors):
    with points_nothing_changes():
        response = api.post(REQUESTS, payload, format="json")
    assert_problem(response, 400, "validation_error", errors)


def test_metadata_with_escapes_postgresql_cannot_store_answers_400(api, funded):
    for text in ('"\\u0000"', '"\\ud800"'):
        payload = '{"request_id": "R1", "employee_id": "E1", "points": 10, "programme": "SPOT", "metadata": {"a": %s}}'
        with points_nothing_changes():
            response = api.post(REQUESTS, payload % text, content_type="application/json")
        assert_problem(response, 400, "validation_error", [("metadata", "invalid")])


def test_a_body_that_is_not_an_object_answers_400(api, funded):
    with points_nothing_changes():
        assert_problem(api.post(REQUESTS, [body()], format="json"), 400, "malformed_request")
        assert_problem(api.post(REQUESTS, "x", content_type="application/json"), 400, "malformed_request")


def test_an_idempotency_key_replays_a_refusal_too(api, funded):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = api.post(REQUESTS, body(employee_id="NOBODY"), format="json", **headers)
    seed_employees(funded, "NOBODY")  # the employee arrives, but the key still answers the first outcome
    with points_nothing_changes():
        again = api.post(REQUESTS, body(employee_id="NOBODY"), format="json", **headers)
    assert_problem(first, 422, "employee_not_found", [("employee_id", "employee_not_found")])
    assert_problem(again, 422, "employee_not_found", [("employee_id", "employee_not_found")])
    assert again["Idempotent-Replayed"] == "true"


def test_submitting_needs_points_write(funded):
    with points_nothing_changes():
        response = funded.api([Scope.POINTS_READ, Scope.POINTS_APPROVE]).post(REQUESTS, body(), format="json")
    assert_problem(response, 403, "insufficient_scope")

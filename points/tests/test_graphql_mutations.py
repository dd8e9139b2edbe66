"""GraphQL mutations of the points app: the same services as REST, business errors in the payload."""

import pytest
from graphql_relay import to_global_id

from plum.core.scopes import Scope
from points import services
from points.models import PointsRequest, Programme
from points.tests.factories import (
    balance,
    budget,
    make_programme,
    points_nothing_changes,
    seed_employees,
    submit,
    system,
)
from tests.conftest import graphql

ERRORS = "errors { field code message }"
CREATE = f"""mutation($input: PointsRequestCreateInput!) {{ pointsRequestCreate(input: $input) {{
    replayed pointsRequest {{ id requestId status points employeeId programme balanceAfter metadata }} {ERRORS} }} }}"""
PROGRAMME_CREATE = f"""mutation($input: ProgrammeCreateInput!) {{ programmeCreate(input: $input) {{
    programme {{ code name budgetBalance approvalThreshold maxPointsPerRequest pointsValidityDays status }}
    {ERRORS} }} }}"""


def decide(name: str) -> str:
    type_name = name[0].upper() + name[1:]
    return f"""mutation($input: {type_name}Input!) {{ {name}(input: $input) {{
        pointsRequest {{ requestId status balanceAfter reversalReason }} {ERRORS} }} }}"""


def gid(request: PointsRequest) -> str:
    return to_global_id("PointsRequest", str(request.id))


@pytest.fixture
def funded(tenant):
    seed_employees(tenant, "E1")
    seed_employees(tenant, "E2", status="inactive")
    make_programme(tenant, "P1", budget=1_000, approval_threshold=500, max_points_per_request=800)
    make_programme(tenant, "P0", status="inactive")
    return tenant


def run(tenant, query, data, scopes=(Scope.POINTS_WRITE, Scope.POINTS_APPROVE)):
    status, body = graphql(tenant.api(scopes), query, {"input": data})
    assert status == 200 and "errors" not in body, body
    return next(iter(body["data"].values()))


def create_input(**fields) -> dict:
    return {"requestId": "R1", "employeeId": "E1", "points": 100, "programme": "P1", **fields}


def test_programme_create(tenant):
    payload = run(
        tenant, PROGRAMME_CREATE, {"code": "SPOT", "name": "Spot", "approvalThreshold": 50, "status": "active"}
    )
    assert payload == {
        "programme": {
            "code": "SPOT",
            "name": "Spot",
            "budgetBalance": 0,
            "approvalThreshold": 50,
            "maxPointsPerRequest": 100_000,
            "pointsValidityDays": 365,
            "status": "active",
        },
        "errors": [],
    }
    assert Programme.objects.filter(organisation=tenant.organisation, code="SPOT").count() == 1


def test_programme_create_errors(tenant):
    make_programme(tenant, "SPOT")
    with points_nothing_changes():
        exists = run(tenant, PROGRAMME_CREATE, {"code": "SPOT", "name": "Again"})
        invalid = run(tenant, PROGRAMME_CREATE, {"code": "no spaces", "name": "X", "pointsValidityDays": 0})
    assert exists == {
        "programme": None,
        "errors": [{"field": "code", "code": "programme_exists", "message": "Programme 'SPOT' already exists."}],
    }
    assert [(e["field"], e["code"]) for e in invalid["errors"]] == [
        ("code", "invalid"),
        ("points_validity_days", "invalid"),
    ]


def test_create_credits_at_once(funded):
    payload = run(funded, CREATE, create_input(points=300, metadata={"deal": "D-1"}))
    stored = PointsRequest.objects.get(request_id="R1")
    assert payload == {
        "replayed": False,
        "pointsRequest": {
            "id": gid(stored),
            "requestId": "R1",
            "status": "credited",
            "points": 300,
            "employeeId": "E1",
            "programme": "P1",
            "balanceAfter": 300,
            "metadata": {"deal": "D-1"},
        },
        "errors": [],
    }
    assert (balance(funded), budget(funded)) == (300, 700)


def test_create_waits_for_approval_then_replays(funded):
    first = run(funded, CREATE, create_input(points=500))
    with points_nothing_changes():
        again = run(funded, CREATE, create_input(points=500))
    assert first["pointsRequest"]["status"] == "pending_approval"
    assert again == first | {"replayed": True}
    assert (balance(funded), budget(funded)) == (0, 1_000)

    run(funded, decide("pointsRequestApprove"), {"id": first["pointsRequest"]["id"]})
    with points_nothing_changes():
        after_approval = run(funded, CREATE, create_input(points=500))
    assert after_approval == first | {"replayed": True}  # the first answer, as REST replays it


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"points": 101}, "request_id_conflict", "request_id"),
        ({"requestId": "N1", "employeeId": "NOBODY"}, "employee_not_found", "employee_id"),
        ({"requestId": "N1", "employeeId": "E2"}, "employee_inactive", "employee_id"),
        ({"requestId": "N1", "programme": "NOPE"}, "programme_not_found", "programme"),
        ({"requestId": "N1", "programme": "P0"}, "programme_inactive", "programme"),
        ({"requestId": "N1", "points": 0}, "points_out_of_range", "points"),
        ({"requestId": "N1", "points": 801}, "points_out_of_range", "points"),
        ({"requestId": "N1", "points": 3_000_000_000}, "points_out_of_range", "points"),  # past Int's 32 bits
        ({"requestId": "N1", "points": 10**30}, "points_out_of_range", "points"),
        ({"requestId": "bad id"}, "invalid", "request_id"),
    ],
)
def test_create_business_errors_come_back_in_the_payload(funded, fields, code, field):
    run(funded, CREATE, create_input())
    with points_nothing_changes():
        payload = run(funded, CREATE, create_input(**fields))
    assert payload["pointsRequest"] is None and payload["replayed"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]


def test_create_budget_exhausted(funded):
    run(funded, CREATE, create_input(requestId="A", points=450))
    run(funded, CREATE, create_input(requestId="B", points=450))
    with points_nothing_changes():
        payload = run(funded, CREATE, create_input(requestId="C", points=101))
    assert payload["errors"] == [
        {"field": None, "code": "budget_exhausted", "message": "The budget of programme 'P1' cannot pay 101 points."}
    ]


def test_approve_then_approve_again(funded):
    pending = submit(funded, points=600)
    approved = run(funded, decide("pointsRequestApprove"), {"id": gid(pending), "note": "ok"})
    with points_nothing_changes():
        again = run(funded, decide("pointsRequestApprove"), {"id": gid(pending)})
    assert approved == {
        "pointsRequest": {"requestId": "R1", "status": "credited", "balanceAfter": 600, "reversalReason": ""},
        "errors": [],
    }
    assert [e["code"] for e in again["errors"]] == ["request_not_pending"]
    assert (balance(funded), budget(funded)) == (600, 400)
    pending.refresh_from_db()
    assert pending.decision_note == "ok"


def test_reject(funded):
    pending = submit(funded, points=600)
    payload = run(funded, decide("pointsRequestReject"), {"id": gid(pending), "note": "no"})
    assert payload["pointsRequest"] == {
        "requestId": "R1",
        "status": "rejected",
        "balanceAfter": None,
        "reversalReason": "",
    }
    assert (balance(funded), budget(funded)) == (0, 1_000)


def test_reverse_then_reverse_spent_points(funded):
    credited = submit(funded, points=300)
    reversed_ = run(funded, decide("pointsRequestReverse"), {"id": gid(credited), "reason": "twice"})
    assert reversed_["pointsRequest"] == {
        "requestId": "R1",
        "status": "reversed",
        "balanceAfter": 300,
        "reversalReason": "twice",
    }
    assert (balance(funded), budget(funded)) == (0, 1_000)

    spent = submit(funded, request_id="R2", points=200)
    services.points_spend(actor=system(funded), employee_id="E1", points=150, reference="order-1")
    with points_nothing_changes():
        refused = run(funded, decide("pointsRequestReverse"), {"id": gid(spent), "reason": "late"})
    assert refused["pointsRequest"] is None
    assert [e["code"] for e in refused["errors"]] == ["insufficient_balance"]


NO_REQUEST_IDS = {  # each builds, from a real pending request, an id that must name nothing
    "unknown uuid": lambda r: to_global_id("PointsRequest", "00000000-0000-0000-0000-000000000000"),
    "not a uuid": lambda r: to_global_id("PointsRequest", "not-a-uuid"),
    "another type": lambda r: to_global_id("Programme", str(r.id)),
    "bare uuid": lambda r: str(r.id),
    "garbage": lambda r: "%%%",
}


@pytest.mark.parametrize("kind", sorted(NO_REQUEST_IDS))
@pytest.mark.parametrize("name", ["pointsRequestApprove", "pointsRequestReject", "pointsRequestReverse"])
def test_ids_that_name_no_request_answer_not_found(funded, name, kind):
    pending = submit(funded, points=600)
    with points_nothing_changes():
        payload = run(funded, decide(name), {"id": NO_REQUEST_IDS[kind](pending)})
    assert payload["pointsRequest"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "points_request_not_found")]


@pytest.mark.parametrize(
    ("name", "needed"),
    [
        ("programmeCreate", Scope.POINTS_WRITE),
        ("pointsRequestCreate", Scope.POINTS_WRITE),
        ("pointsRequestApprove", Scope.POINTS_APPROVE),
        ("pointsRequestReject", Scope.POINTS_APPROVE),
        ("pointsRequestReverse", Scope.POINTS_WRITE),
    ],
)
def test_mutations_need_their_scope(funded, name, needed):
    pending = submit(funded, points=600)
    query, data = {
        "programmeCreate": (PROGRAMME_CREATE, {"code": "X", "name": "X"}),
        "pointsRequestCreate": (CREATE, create_input(requestId="N")),
    }.get(name, (decide(name), {"id": gid(pending)}))
    others = [s for s in (Scope.POINTS_READ, Scope.POINTS_WRITE, Scope.POINTS_APPROVE) if s != needed]
    with points_nothing_changes():
        status, body = graphql(funded.api(others), query, {"input": data})
    assert status == 200
    assert body["data"] == {name: None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (f"The token lacks the scope {needed}.", {"code": "insufficient_scope"})
    ]


def test_mutation_signatures_follow_the_contract(tenant):
    query = """{ __type(name: "Mutation") { fields { name args { name type { kind ofType { name } } }
        type { name fields { name type { kind name ofType { kind ofType { kind ofType { name } } } } } } } } }"""
    status, body = graphql(tenant.api([Scope.POINTS_READ]), query)
    assert status == 200
    fields = {f["name"]: f for f in body["data"]["__type"]["fields"]}
    for name, changed, error in [
        ("programmeCreate", "programme", "PointsError"),
        ("pointsRequestCreate", "pointsRequest", "PointsError"),
        ("pointsRequestApprove", "pointsRequest", "PointsError"),
        ("pointsRequestReject", "pointsRequest", "PointsError"),
        ("pointsRequestReverse", "pointsRequest", "PointsError"),
        ("voucherOrderCreate", "order", "VoucherError"),
        ("voucherCancel", "voucher", "VoucherError"),
        ("voucherRedeem", "voucher", "VoucherError"),
        ("campaignCreate", "campaign", "VoucherError"),
    ]:
        type_name = name[0].upper() + name[1:]
        assert fields[name]["args"] == [
            {"name": "input", "type": {"kind": "NON_NULL", "ofType": {"name": f"{type_name}Input"}}}
        ]
        assert fields[name]["type"]["name"] == f"{type_name}Payload"
        payload = {f["name"]: f["type"] for f in fields[name]["type"]["fields"]}
        assert payload["errors"]["ofType"] == {
            "kind": "LIST",
            "ofType": {"kind": "NON_NULL", "ofType": {"name": error}},
        }
        assert changed in payload

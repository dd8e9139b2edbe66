"""REST and GraphQL are two doors to the same services: each scenario runs once through each door,
in two tenants seeded alike, and must leave the same employees, the same outbox events and the same errors."""

from dataclasses import dataclass, field

import pytest
from graphene.utils.str_converters import to_camel_case, to_snake_case

from plum.core.errors import CoreErrorCode
from plum.core.models import OutboxEvent
from points.errors import PointsErrorCode
from tests import points_parity
from tests.conftest import employee_payload, graphql
from tests.points_parity import PointsScenario
from tests.support import seed
from users.errors import UsersErrorCode
from users.models import Employee
from users.selectors import employee_document

TIMESTAMPS = ("created_at", "updated_at")
ERRORS = "errors { field code message }"
SYNC_FIELDS = f"created updated deactivated unchanged recordErrors {{ index employeeId field code message }} {ERRORS}"
MUTATIONS = {  # action -> (mutation, REST method, REST path)
    "create": ("employeeCreate", "post", "/api/v1/employees/"),
    "update": ("employeeUpdate", "patch", "/api/v1/employees/{employee_id}/"),
    "deactivate": ("employeeDeactivate", "post", "/api/v1/employees/{employee_id}/deactivate/"),
    "sync": ("employeesSync", "post", "/api/v1/employees/sync/"),
}


def camel(value):
    """A REST body as GraphQL input: the same values under camelCase keys."""
    if isinstance(value, dict):
        return {to_camel_case(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def snake(value: dict) -> dict:
    return {to_snake_case(k): v for k, v in value.items()}


@dataclass(frozen=True)
class Scenario:
    """One write described once; `rest_step` and `graphql_step` perform it through each door."""

    name: str
    action: str
    body: dict | None = None
    employee_id: str | None = None
    seed: list = field(default_factory=list)
    codes: list = field(default_factory=list)  # the error codes both doors must answer
    events: list = field(default_factory=list)  # (event type, employee id) both doors must write

    def rest_step(self, api) -> dict:
        _, method, path = MUTATIONS[self.action]
        url = path.format(employee_id=self.employee_id)
        response = getattr(api, method)(url, self.body, format="json") if self.body else getattr(api, method)(url)
        body = response.json()
        if response.status_code >= 400:
            errors = body["errors"] or [{"field": None, "code": body["code"], "message": body["detail"]}]
            return {"errors": errors, "counts": None}
        if self.action != "sync":
            return {"errors": [], "counts": None}
        return {"errors": body.pop("errors"), "counts": body}

    def graphql_step(self, api) -> dict:
        name, _, _ = MUTATIONS[self.action]
        data = camel(self.body or {}) | ({"employeeId": self.employee_id} if self.employee_id else {})
        fields = SYNC_FIELDS if self.action == "sync" else ERRORS
        type_name = name[0].upper() + name[1:]
        query = f"mutation($input: {type_name}Input!) {{ {name}(input: $input) {{ {fields} }} }}"
        status, body = graphql(api, query, {"input": data})
        assert (status, "errors" in body) == (200, False), body
        payload = body["data"][name]
        if self.action != "sync" or payload["errors"]:
            return {"errors": payload["errors"], "counts": None}
        record_errors = [snake(e) for e in payload.pop("recordErrors")]
        payload.pop("errors")
        return {"errors": record_errors, "counts": payload}


def end_state(tenant, events_before: int) -> dict:
    employees = Employee.objects.filter(organisation=tenant.organisation).select_related(
        "business_unit", "cost_centre", "manager"
    )
    events = OutboxEvent.objects.filter(organisation_id=tenant.organisation.id).order_by("id")[events_before:]
    return {
        "employees": [without_timestamps(employee_document(e)) for e in employees.order_by("employee_id")],
        "events": [(e.event_type, e.aggregate_id, without_timestamps(e.payload)) for e in events],
    }


def without_timestamps(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in TIMESTAMPS}


E1 = employee_payload("E1", department="Eng", business_unit="SALES", cost_centre="CC1", country="GB")
MANAGER = employee_payload("M1", first_name="Grace", last_name="Hopper")
SYNC_MIX = [
    {**E1, "department": "Research"},  # 0 updated
    employee_payload("E4", manager_employee_id="M1", hire_date="2024-01-15"),  # 1 created
    {"employee_id": "E5", "first_name": "No", "last_name": "Email"},  # 2 required
    employee_payload("E6", email="not-an-email"),  # 3 invalid
    employee_payload("E7", manager_employee_id="NOBODY"),  # 4 manager_not_found
    employee_payload("E4"),  # 5 duplicate_employee_id
    employee_payload("E8", country="XX"),  # 6 invalid
    MANAGER,  # 7 unchanged
]

SCENARIOS = [
    Scenario(
        "create",
        "create",
        employee_payload(
            "E2", role="Engineer", business_unit="NEW", cost_centre="CC9", country="gb", manager_employee_id="M1"
        )
        | {"hire_date": "2024-02-01", "slack_user_id": "U123"},
        seed=[MANAGER],
        events=[("employee.created", "E2")],
    ),
    Scenario("create duplicate", "create", employee_payload("E1"), seed=[E1], codes=["employee_exists"]),
    Scenario("create invalid email", "create", employee_payload("E2", email="nope"), codes=["invalid"]),
    Scenario(
        "create invalid fields",
        "create",
        employee_payload("E2", country="ZZ", hire_date="2024-05-01", exit_date="2024-04-01"),
        codes=["invalid", "invalid"],
    ),
    Scenario(
        "create unknown manager",
        "create",
        employee_payload("E2", manager_employee_id="NOBODY"),
        codes=["manager_not_found"],
    ),
    Scenario(
        "update",
        "update",
        {"department": "Finance", "business_unit": "OPS", "manager_employee_id": "M1", "country": "us"},
        employee_id="E1",
        seed=[MANAGER, E1],
        events=[("employee.updated", "E1")],
    ),
    Scenario(
        "update to inactive",
        "update",
        {"status": "inactive", "exit_date": "2024-06-30"},
        employee_id="E1",
        seed=[E1],
        events=[("employee.deactivated", "E1")],
    ),
    Scenario("update null email", "update", {"email": None}, employee_id="E1", seed=[E1], codes=["required"]),
    Scenario("update self manager", "update", {"manager_employee_id": "E1"}, "E1", [E1], ["manager_is_self"]),
    Scenario("update unknown employee", "update", {"department": "Ops"}, "E9", [E1], codes=["employee_not_found"]),
    Scenario("deactivate", "deactivate", employee_id="E1", seed=[E1], events=[("employee.deactivated", "E1")]),
    Scenario("deactivate unknown employee", "deactivate", employee_id="E9", codes=["employee_not_found"]),
    Scenario(
        "sync full with valid and invalid records",
        "sync",
        {"mode": "full", "source": "workday", "employees": SYNC_MIX},
        seed=[MANAGER, E1, employee_payload("E2"), employee_payload("E3")],
        codes=["required", "invalid", "manager_not_found", "duplicate_employee_id", "invalid"],
        events=[
            ("employee.updated", "E1"),
            ("employee.created", "E4"),
            ("employee.deactivated", "E2"),
            ("employee.deactivated", "E3"),
        ],
    ),
    Scenario(
        "sync upsert deactivating by status",
        "sync",
        {"mode": "upsert", "employees": [{**E1, "status": "inactive"}]},
        seed=[E1],
        events=[("employee.deactivated", "E1")],
    ),
    Scenario(
        "sync with a bad source",
        "sync",
        {"mode": "upsert", "source": "s" * 65, "employees": [E1]},
        codes=["invalid"],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rest_and_graphql_leave_the_same_state(make_tenant, scenario):
    by_rest, by_graphql = make_tenant(), make_tenant()
    outcomes, states = [], []
    for tenant, step in ((by_rest, scenario.rest_step), (by_graphql, scenario.graphql_step)):
        if scenario.seed:
            seed(tenant, scenario.seed)
        events_before = OutboxEvent.objects.filter(organisation_id=tenant.organisation.id).count()
        outcomes.append(step(tenant.api()))
        states.append(end_state(tenant, events_before))

    rest, graphql_ = outcomes
    assert [e["code"] for e in rest["errors"]] == scenario.codes
    assert [(t, eid) for t, eid, _ in states[0]["events"]] == scenario.events
    assert graphql_ == rest
    assert states[1] == states[0]


def test_sync_counts_match_between_doors(make_tenant):
    """The counts are compared by the table above too; this pins them for the mixed full sync."""
    scenario = next(s for s in SCENARIOS if s.name == "sync full with valid and invalid records")
    tenant = make_tenant()
    seed(tenant, scenario.seed)
    assert scenario.graphql_step(tenant.api())["counts"] == {
        "created": 1,
        "updated": 1,
        "deactivated": 2,
        "unchanged": 1,
    }


def test_graphql_error_codes_are_the_rest_codes(tenant):
    status, body = graphql(tenant.api(), '{ __type(name: "UsersErrorCode") { enumValues { name } } }')
    assert status == 200
    codes = {v["name"] for v in body["data"]["__type"]["enumValues"]}
    assert codes == {c.value for c in CoreErrorCode} | {c.value for c in UsersErrorCode}


# --- Points: the same comparison for programmes and points requests (machinery in points_parity.py) ---

P1 = ("programme", "P1", 1_000, {"approval_threshold": 500})
CREDITED = ("submit", {"request_id": "R1", "points": 300})
PENDING = ("submit", {"request_id": "R1", "points": 600})
INACTIVE_P0 = ("programme", "P0", 100, {"status": "inactive"})


def submitting(name, *, given=(P1,), codes=(), events=(), **changes) -> PointsScenario:
    """Submit R1: 300 points to E1 in P1, with `changes`."""
    body = {"request_id": "R1", "employee_id": "E1", "points": 300, "programme": "P1"} | changes
    return PointsScenario(name, "submit", body, given=given, codes=list(codes), events=list(events))


def deciding(name, action, given, body=None, *, target="R1", codes=(), events=()) -> PointsScenario:
    return PointsScenario(name, action, body or {}, target, given, list(codes), list(events))


POINTS_SCENARIOS = [
    PointsScenario("programme", "programme", {"code": "SPOT", "name": "Spot", "approval_threshold": 50}),
    PointsScenario(
        "programme exists", "programme", {"code": "P1", "name": "X"}, given=(P1,), codes=["programme_exists"]
    ),
    PointsScenario(
        "programme invalid", "programme", {"code": "a b", "name": "X", "points_validity_days": 0}, codes=["invalid"] * 2
    ),
    submitting("credited", metadata={"a_b": 1}, events=[("points_request.credited", "R1")]),
    submitting("pending", points=500, events=[("points_request.pending_approval", "R1")]),
    submitting("replay", given=(P1, CREDITED)),
    submitting("request_id conflict", points=301, given=(P1, CREDITED), codes=["request_id_conflict"]),
    submitting("employee not found", employee_id="E9", codes=["employee_not_found"]),
    submitting("employee inactive", employee_id="E2", codes=["employee_inactive"]),
    submitting("programme not found", programme="P9", codes=["programme_not_found"]),
    submitting("programme inactive", programme="P0", given=(P1, INACTIVE_P0), codes=["programme_inactive"]),
    submitting("budget exhausted", programme="LOW", given=(("programme", "LOW", 299, {}),), codes=["budget_exhausted"]),
    submitting("points out of range", points=0, codes=["points_out_of_range"]),
    submitting("malformed", request_id="a b", reason="r" * 501, codes=["invalid", "invalid"]),
    deciding("approve", "approve", (P1, PENDING), {"note": "ok"}, events=[("points_request.credited", "R1")]),
    deciding("approve twice", "approve", (P1, PENDING, ("approve", "R1")), codes=["request_not_pending"]),
    deciding(
        "approve over budget",
        "approve",
        (P1, PENDING, ("submit", {"request_id": "R2", "points": 450})),
        codes=["budget_exhausted"],
    ),
    deciding("approve bad note", "approve", (P1, PENDING), {"note": "n" * 501}, codes=["invalid"]),
    deciding("approve unknown", "approve", (P1, PENDING), target="R9", codes=["points_request_not_found"]),
    deciding("reject", "reject", (P1, PENDING), {"note": "no"}, events=[("points_request.rejected", "R1")]),
    deciding("reject credited", "reject", (P1, CREDITED), codes=["request_not_pending"]),
    deciding("reverse", "reverse", (P1, CREDITED), {"reason": "twice"}, events=[("points_request.reversed", "R1")]),
    deciding("reverse spent", "reverse", (P1, CREDITED, ("spend", 1)), codes=["insufficient_balance"]),
    deciding("reverse pending", "reverse", (P1, PENDING), codes=["request_not_credited"]),
]


@pytest.mark.parametrize("scenario", POINTS_SCENARIOS, ids=[s.name for s in POINTS_SCENARIOS])
def test_points_rest_and_graphql_leave_the_same_state(make_tenant, scenario):
    by_rest, by_graphql = make_tenant(), make_tenant()
    outcomes, states = [], []
    for tenant, step in ((by_rest, scenario.rest_step), (by_graphql, scenario.graphql_step)):
        scenario.setup(tenant)
        events_before = points_parity.events_count(tenant)
        outcomes.append(step(tenant))
        states.append(points_parity.end_state(tenant, events_before))

    rest, graphql_ = outcomes
    assert [e["code"] for e in rest] == scenario.codes
    assert [(t, request_id) for t, request_id, _ in states[0]["events"]] == scenario.events
    assert graphql_ == rest
    assert states[1] == states[0]


def test_points_error_codes_are_the_rest_codes(tenant):
    status, body = graphql(tenant.api(), '{ __type(name: "PointsErrorCode") { enumValues { name } } }')
    assert status == 200
    codes = {v["name"] for v in body["data"]["__type"]["enumValues"]}
    assert codes == {c.value for c in CoreErrorCode} | {c.value for c in PointsErrorCode}

"""GraphQL door of the users app: the `employees` connection, `employee(employeeId)` and the mutations."""

from datetime import UTC, datetime

import pytest

from plum.core.actor import Actor
from plum.core.scopes import Scope
from plum.core.timefmt import iso
from tests.conftest import employee_payload, graphql
from tests.support import database_state, events_since, nothing_changes, seed
from users import services
from users.commands import EmployeeDeactivate
from users.models import Employee
from users.selectors import employee_document

# --- Fixtures ------------------------------------------------------------------------------------

UPDATED_AT = {
    "E1": datetime(2024, 1, 1, tzinfo=UTC),
    "E2": datetime(2024, 2, 1, tzinfo=UTC),
    "E3": datetime(2024, 3, 1, tzinfo=UTC),
    "E4": datetime(2024, 4, 1, tzinfo=UTC),
}


@pytest.fixture
def staff(tenant, other_tenant):
    """Four employees in acme, and a look-alike in globex that no acme filter may return."""
    seed(
        tenant,
        [
            employee_payload("E1", business_unit="SALES", cost_centre="CC1", country="GB", department="Eng"),
            employee_payload("E2", business_unit="OPS", cost_centre="CC2", country="US", department="Ops"),
            employee_payload(
                "E3",
                email="Mixed.Case@Example.com",
                business_unit="SALES",
                cost_centre="CC2",
                country="US",
                department="Eng",
                manager_employee_id="E1",
            ),
            employee_payload("E4", country="GB"),
        ],
    )
    command = EmployeeDeactivate.parse({"employee_id": "E2"})
    services.employee_deactivate(actor=Actor.system(tenant.organisation.id), command=command)
    for employee_id, updated_at in UPDATED_AT.items():
        Employee.objects.filter(organisation=tenant.organisation, employee_id=employee_id).update(updated_at=updated_at)
    seed(
        other_tenant,
        [employee_payload("X1", business_unit="SALES", cost_centre="CC2", country="GB", department="Eng")],
    )
    return tenant


def employee_ids(body: dict) -> list[str]:
    return [edge["node"]["employeeId"] for edge in body["data"]["employees"]["edges"]]


# --- The employees connection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", ["E1", "E2", "E3", "E4"]),
        ("status: active", ["E1", "E3", "E4"]),
        ("status: inactive", ["E2"]),
        ('businessUnit: "SALES"', ["E1", "E3"]),
        ('businessUnit: "NOPE"', []),
        ('costCentre: "CC2"', ["E2", "E3"]),
        ('country: "gb"', ["E1", "E4"]),
        ('department: "Eng"', ["E1", "E3"]),
        ('updatedSince: "2024-02-01T00:00:00+00:00"', ["E2", "E3", "E4"]),
        ('updatedSince: "2024-03-01T00:00:00.000001+00:00"', ["E4"]),
        ('email: "mixed.case@example.COM"', ["E3"]),
        ('email: "x1@example.com"', []),
        ('status: active, country: "US"', ["E3"]),
    ],
)
def test_employees_filters(staff, arguments, expected):
    query = f"{{ employees{f'({arguments})' if arguments else ''} {{ totalCount edges {{ node {{ employeeId }} }} }} }}"
    status, body = graphql(staff.api([Scope.EMPLOYEES_READ]), query)
    assert status == 200, body
    assert employee_ids(body) == expected
    assert body["data"]["employees"]["totalCount"] == len(expected)


def test_employees_pagination_with_first_and_after(staff):
    api = staff.api([Scope.EMPLOYEES_READ])
    query = """query($after: String) { employees(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { employeeId } } } }"""
    status, first_page = graphql(api, query)
    assert status == 200
    assert employee_ids(first_page) == ["E1", "E2"]
    assert first_page["data"]["employees"]["totalCount"] == 4
    assert first_page["data"]["employees"]["pageInfo"]["hasNextPage"] is True

    status, second_page = graphql(api, query, {"after": first_page["data"]["employees"]["pageInfo"]["endCursor"]})
    assert status == 200
    assert employee_ids(second_page) == ["E3", "E4"]
    assert second_page["data"]["employees"]["totalCount"] == 4
    assert second_page["data"]["employees"]["pageInfo"]["hasNextPage"] is False


def test_employees_last_page_of_a_filtered_list(staff):
    query = "{ employees(status: active, last: 1) { totalCount edges { node { employeeId } } } }"
    status, body = graphql(staff.api([Scope.EMPLOYEES_READ]), query)
    assert (status, employee_ids(body), body["data"]["employees"]["totalCount"]) == (200, ["E4"], 3)


def test_employee_node_has_every_field_of_the_employee_document(staff):
    query = """{ employee(employeeId: "E3") { employeeId email firstName lastName status role department
        businessUnit costCentre country managerEmployeeId hireDate exitDate slackUserId teamsUserId
        createdAt updatedAt } }"""
    status, body = graphql(staff.api([Scope.EMPLOYEES_READ]), query)
    employee = Employee.objects.get(organisation=staff.organisation, employee_id="E3")
    assert status == 200
    assert body == {
        "data": {
            "employee": {
                "employeeId": "E3",
                "email": "Mixed.Case@Example.com",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "status": "active",
                "role": "",
                "department": "Eng",
                "businessUnit": "SALES",
                "costCentre": "CC2",
                "country": "US",
                "managerEmployeeId": "E1",
                "hireDate": None,
                "exitDate": None,
                "slackUserId": "",
                "teamsUserId": "",
                "createdAt": iso(employee.created_at),
                "updatedAt": "2024-03-01T00:00:00Z",
            }
        }
    }


@pytest.mark.parametrize(("employee_id", "expected"), [("E1", {"employeeId": "E1"}), ("X1", None), ("NOBODY", None)])
def test_employee_by_id_sees_only_its_own_organisation(staff, employee_id, expected):
    query = f'{{ employee(employeeId: "{employee_id}") {{ employeeId }} }}'
    with nothing_changes():
        status, body = graphql(staff.api([Scope.EMPLOYEES_READ]), query)
    assert (status, body) == (200, {"data": {"employee": expected}})


def test_other_organisation_sees_only_its_own_employees(staff, other_tenant):
    status, body = graphql(
        other_tenant.api([Scope.EMPLOYEES_READ]), "{ employees { totalCount edges { node { employeeId } } } }"
    )
    assert (status, employee_ids(body)) == (200, ["X1"])


@pytest.mark.parametrize(
    "query", ["{ employees { totalCount } }", '{ employee(employeeId: "E1") { employeeId } }'], ids=["list", "one"]
)
def test_queries_need_employees_read(staff, query):
    with nothing_changes():
        status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), query)
    field = "employees" if "employees" in query else "employee"
    assert status == 200
    assert body["data"] == {field: None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("The token lacks the scope employees:read.", {"code": "insufficient_scope"})
    ]


# --- Mutations -----------------------------------------------------------------------------------

ERRORS = "errors { field code message }"
EMPLOYEE = "employee { employeeId email status department businessUnit costCentre country managerEmployeeId hireDate }"
CREATE = f"mutation($input: EmployeeCreateInput!) {{ employeeCreate(input: $input) {{ {EMPLOYEE} {ERRORS} }} }}"
UPDATE = f"mutation($input: EmployeeUpdateInput!) {{ employeeUpdate(input: $input) {{ {EMPLOYEE} {ERRORS} }} }}"
DEACTIVATE = f"""mutation($input: EmployeeDeactivateInput!) {{
    employeeDeactivate(input: $input) {{ employee {{ employeeId status }} {ERRORS} }} }}"""
SYNC = f"""mutation($input: EmployeesSyncInput!) {{ employeesSync(input: $input) {{
    created updated deactivated unchanged recordErrors {{ index employeeId field code message }} {ERRORS} }} }}"""


def new_employee(employee_id: str = "E9", first_name: str = "Grace", last_name: str = "Hopper", **fields) -> dict:
    email = f"{employee_id.lower()}@example.com"
    return {"employeeId": employee_id, "email": email, "firstName": first_name, "lastName": last_name, **fields}


def employee_out(employee_id: str, **fields) -> dict:
    """The EMPLOYEE selection of an employee with default fields, overridden by `fields`."""
    defaults = {"status": "active", "department": "", "businessUnit": None, "costCentre": None, "country": ""}
    defaults |= {"managerEmployeeId": None, "hireDate": None}
    return {"employeeId": employee_id, "email": f"{employee_id.lower()}@example.com", **defaults, **fields}


def test_employee_create(staff):
    before = database_state()
    fields = {"businessUnit": "NEW-BU", "costCentre": "CC1", "managerEmployeeId": "E1", "hireDate": "2024-05-01"}
    status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), CREATE, {"input": new_employee(country="fr", **fields)})
    assert (status, body) == (
        200,
        {"data": {"employeeCreate": {"employee": employee_out("E9", country="FR", **fields), "errors": []}}},
    )
    assert events_since(before) == [("employee.created", "E9")]
    stored = employee_document(Employee.objects.get(organisation=staff.organisation, employee_id="E9"))
    assert (stored["first_name"], stored["last_name"], stored["business_unit"]) == ("Grace", "Hopper", "NEW-BU")


def test_employee_update(staff):
    before = database_state()
    changes = {"department": "Finance", "businessUnit": "OPS", "managerEmployeeId": "E3", "costCentre": None}
    status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), UPDATE, {"input": {"employeeId": "E4", **changes}})
    assert (status, body) == (
        200,
        {"data": {"employeeUpdate": {"employee": employee_out("E4", country="GB", **changes), "errors": []}}},
    )
    assert events_since(before) == [("employee.updated", "E4")]


def test_employee_update_to_inactive_emits_deactivated(staff):
    before = database_state()
    variables = {"input": {"employeeId": "E1", "status": "inactive"}}
    status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), UPDATE, variables)
    assert (status, body["data"]["employeeUpdate"]["employee"]["status"]) == (200, "inactive")
    assert events_since(before) == [("employee.deactivated", "E1")]


def test_employee_deactivate_is_idempotent(staff):
    api = staff.api([Scope.EMPLOYEES_WRITE])
    before = database_state()
    expected = {"data": {"employeeDeactivate": {"employee": {"employeeId": "E1", "status": "inactive"}, "errors": []}}}
    for _ in range(2):
        assert graphql(api, DEACTIVATE, {"input": {"employeeId": "E1"}}) == (200, expected)
    assert events_since(before) == [("employee.deactivated", "E1")]


def test_employees_sync_full(staff):
    before = database_state()
    records = [
        new_employee("E1", "Ada", "Lovelace", department="Eng"),  # as stored: unchanged
        new_employee("E3", "Ada", "Lovelace", department="Ops"),
        new_employee("E5", "Alan", "Turing"),
        new_employee("E6", email="not-an-email"),
    ]
    variables = {"input": {"mode": "full", "source": "workday", "employees": records}}
    status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), SYNC, variables)
    assert status == 200
    bad_email = {"index": 3, "employeeId": "E6", "field": "email", "code": "invalid"}
    assert body["data"]["employeesSync"] == {
        "created": 1,
        "updated": 1,
        "deactivated": 1,
        "unchanged": 1,
        "recordErrors": [{**bad_email, "message": "Not a valid email address."}],
        "errors": [],
    }
    # E4 is absent from the feed; E2 was inactive already
    assert events_since(before) == [
        ("employee.updated", "E3"),
        ("employee.created", "E5"),
        ("employee.deactivated", "E4"),
    ]
    assert Employee.objects.get(organisation=staff.organisation, employee_id="E5").source == "workday"


CREATE_ERRORS = [
    ("duplicate", new_employee("E1"), [("employee_id", "employee_exists", "Employee 'E1' already exists.")]),
    ("invalid email", new_employee(email="nope"), [("email", "invalid", "Not a valid email address.")]),
    (
        "invalid country and dates",
        new_employee(country="ZZ", hireDate="2024-05-01", exitDate="2024-04-01"),
        [
            ("country", "invalid", "Must be an ISO 3166-1 alpha-2 country code."),
            ("exit_date", "invalid", "May not be before hire_date."),
        ],
    ),
    ("blank first name", new_employee(first_name="  "), [("first_name", "invalid", "1 to 150 characters.")]),
    (
        "unknown manager",
        new_employee(managerEmployeeId="X1"),
        [("manager_employee_id", "manager_not_found", "No employee 'X1' to be the manager.")],
    ),
]
UPDATE_ERRORS = [
    (
        "unknown employee",
        {"employeeId": "X1", "department": "Ops"},
        [(None, "employee_not_found", "No employee 'X1' in this organisation.")],
    ),
    ("null email", {"employeeId": "E1", "email": None}, [("email", "required", "May not be null.")]),
    (
        "self manager",
        {"employeeId": "E1", "managerEmployeeId": "E1"},
        [("manager_employee_id", "manager_is_self", "An employee cannot manage themselves.")],
    ),
]


@pytest.mark.parametrize(
    ("query", "name", "data", "expected"),
    [
        *[pytest.param(CREATE, "employeeCreate", d, e, id=f"create-{n}") for n, d, e in CREATE_ERRORS],
        *[pytest.param(UPDATE, "employeeUpdate", d, e, id=f"update-{n}") for n, d, e in UPDATE_ERRORS],
        pytest.param(
            DEACTIVATE,
            "employeeDeactivate",
            {"employeeId": "X1"},
            [(None, "employee_not_found", "No employee 'X1' in this organisation.")],
            id="deactivate-unknown",
        ),
        pytest.param(
            SYNC,
            "employeesSync",
            {"mode": "upsert", "source": "x" * 65, "employees": [new_employee()]},
            [("source", "invalid", "A string of at most 64 characters.")],
            id="sync-long-source",
        ),
    ],
)
def test_business_errors_come_back_in_the_payload(staff, query, name, data, expected):
    with nothing_changes():
        status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), query, {"input": data})
    assert status == 200
    assert "errors" not in body
    payload = body["data"][name]
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == expected
    assert payload.get("employee") is None


@pytest.mark.parametrize(
    ("query", "data", "message"),
    [
        (
            CREATE,
            {**new_employee(), "nickname": "Amazing Grace"},
            "Variable '$input' got invalid value {'employeeId': 'E9', 'email': 'e9@example.com', 'firstName': 'Grace',"
            " 'lastName': 'Hopper', 'nickname': 'Amazing Grace'}; Field 'nickname' is not defined by type"
            " 'EmployeeCreateInput'. Did you mean 'firstName' or 'lastName'?",
        ),
        (
            CREATE,
            {"employeeId": "E9", "firstName": "Grace", "lastName": "Hopper"},
            "Variable '$input' got invalid value {'employeeId': 'E9', 'firstName': 'Grace', 'lastName': 'Hopper'};"
            " Field 'email' of required type 'String!' was not provided.",
        ),
        (
            UPDATE,
            {"employeeId": "E1", "status": "retired"},
            "Variable '$input' got invalid value 'retired' at 'input.status';"
            " Value 'retired' does not exist in 'EmployeeStatus' enum.",
        ),
        (
            UPDATE,
            {"employeeId": "E1", "hireDate": "yesterday"},
            "Variable '$input' got invalid value 'yesterday' at 'input.hireDate';"
            " Date cannot represent value: 'yesterday'",
        ),
    ],
    ids=["unknown-field", "required-field", "bad-enum", "bad-date"],
)
def test_input_the_schema_refuses_answers_400(staff, query, data, message):
    """unknown_field and missing required fields never reach the service: the schema refuses them."""
    with nothing_changes():
        status, body = graphql(staff.api([Scope.EMPLOYEES_WRITE]), query, {"input": data})
    assert status == 400
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "graphql_validation_failed"})
    ]
    assert "data" not in body


@pytest.mark.parametrize(
    ("query", "name", "data"),
    [
        (CREATE, "employeeCreate", new_employee()),
        (UPDATE, "employeeUpdate", {"employeeId": "E1", "department": "Ops"}),
        (DEACTIVATE, "employeeDeactivate", {"employeeId": "E1"}),
        (SYNC, "employeesSync", {"mode": "full", "employees": [new_employee()]}),
    ],
    ids=["create", "update", "deactivate", "sync"],
)
def test_mutations_need_employees_write(staff, query, name, data):
    with nothing_changes():
        status, body = graphql(staff.api([Scope.EMPLOYEES_READ]), query, {"input": data})
    assert status == 200
    assert body["data"] == {name: None}
    assert [(e["message"], e["path"], e["extensions"]) for e in body["errors"]] == [
        ("The token lacks the scope employees:write.", [name], {"code": "insufficient_scope"})
    ]


def test_mutation_signatures_follow_the_contract(tenant):
    query = """{ __type(name: "Mutation") { fields { name args { name type { kind ofType { name } } }
        type { name fields { name type { kind ofType { kind ofType { kind ofType { name } } } } } } } } }"""
    status, body = graphql(tenant.api([Scope.EMPLOYEES_READ]), query)
    assert status == 200
    fields = {f["name"]: f for f in body["data"]["__type"]["fields"]}
    errors_type = {
        "kind": "NON_NULL",
        "ofType": {"kind": "LIST", "ofType": {"kind": "NON_NULL", "ofType": {"name": "UsersError"}}},
    }
    for name, payload_object in [
        ("employeeCreate", "employee"),
        ("employeeUpdate", "employee"),
        ("employeeDeactivate", "employee"),
        ("employeesSync", "recordErrors"),
    ]:
        type_name = name[0].upper() + name[1:]
        assert fields[name]["args"] == [
            {"name": "input", "type": {"kind": "NON_NULL", "ofType": {"name": f"{type_name}Input"}}}
        ]
        payload_fields = {f["name"]: f["type"] for f in fields[name]["type"]["fields"]}
        assert fields[name]["type"]["name"] == f"{type_name}Payload"
        assert payload_fields["errors"] == errors_type
        assert payload_object in payload_fields

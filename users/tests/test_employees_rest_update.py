"""PATCH /api/v1/employees/{employee_id}/: partial semantics, business rules and events."""

import pytest

from plum.core.models import OutboxEvent
from tests.conftest import employee_payload
from tests.support import assert_problem, events, nothing_changes, parse_time
from users.models import Employee

EMPLOYEES = "/api/v1/employees/"


@pytest.fixture
def employee(api) -> dict:
    """E1, managed by M1, with every optional field set; answers its document."""
    api.post(EMPLOYEES, employee_payload("M1"), format="json")
    payload = employee_payload(
        "E1",
        role="Engineer",
        department="Platform",
        business_unit="ENG",
        cost_centre="CC-1",
        country="GB",
        manager_employee_id="M1",
        hire_date="2020-01-01",
        exit_date="2030-01-01",
        slack_user_id="U1",
        teams_user_id="T1",
    )
    response = api.post(EMPLOYEES, payload, format="json")
    assert response.status_code == 201
    return response.json()


def patch(api, data, employee_id="E1"):
    return api.patch(f"{EMPLOYEES}{employee_id}/", data, format="json")


def test_omitted_fields_keep_their_values(api, employee):
    response = patch(api, {"role": "Staff Engineer", "country": "de"})

    assert response.status_code == 200
    body = response.json()
    assert body == {**employee, "role": "Staff Engineer", "country": "DE", "updated_at": body["updated_at"]}
    assert parse_time(body["updated_at"]) > parse_time(employee["updated_at"])
    stored = Employee.objects.get(employee_id="E1")
    assert (stored.role, stored.country, stored.department, stored.manager.employee_id) == (
        "Staff Engineer",
        "DE",
        "Platform",
        "M1",
    )


def test_null_clears_every_optional_field(api, employee):
    optional = ["role", "department", "business_unit", "cost_centre", "country", "manager_employee_id"]
    optional += ["hire_date", "exit_date", "slack_user_id", "teams_user_id"]

    response = patch(api, dict.fromkeys(optional))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        **employee,
        "role": "",
        "department": "",
        "business_unit": None,
        "cost_centre": None,
        "country": "",
        "manager_employee_id": None,
        "hire_date": None,
        "exit_date": None,
        "slack_user_id": "",
        "teams_user_id": "",
        "updated_at": body["updated_at"],
    }
    stored = Employee.objects.get(employee_id="E1")
    assert (stored.business_unit_id, stored.cost_centre_id, stored.manager_id) == (None, None, None)


def test_a_new_business_unit_is_created_on_first_use(api, employee):
    response = patch(api, {"business_unit": "SALES"})
    assert response.json()["business_unit"] == "SALES"
    units = api.get("/api/v1/business-units/").json()["results"]
    assert [u["code"] for u in units] == ["ENG", "SALES"]


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"first_name": None}, [("first_name", "required")]),
        ({"email": None}, [("email", "required")]),
        ({"status": None}, [("status", "required")]),
        ({"email": "bad"}, [("email", "invalid")]),
        ({"country": "UK"}, [("country", "invalid")]),
        ({"hire_date": "yesterday"}, [("hire_date", "invalid")]),
        ({"exit_date": "2019-12-31"}, [("exit_date", "invalid")]),  # before the stored hire_date
        ({"hire_date": "2031-01-01"}, [("exit_date", "invalid")]),  # after the stored exit_date
        ({"role": 7}, [("role", "invalid")]),
        ({"created_at": "2020-01-01T00:00:00Z"}, [("created_at", "unknown_field")]),
        ({"employee_id": "E2"}, [("employee_id", "invalid")]),
    ],
    ids=lambda value: str(value) if isinstance(value, dict) else "",
)
def test_invalid_patch_is_400_and_changes_nothing(api, employee, data, errors):
    with nothing_changes():
        response = patch(api, data)
    assert_problem(response, 400, "validation_error", errors)


def test_sending_the_same_employee_id_is_allowed(api, employee):
    response = patch(api, {"employee_id": "E1", "role": "Lead"})
    assert response.status_code == 200
    assert (response.json()["employee_id"], response.json()["role"]) == ("E1", "Lead")


@pytest.mark.parametrize("body", ['["role"]', "{bad json"])
def test_a_patch_body_that_is_not_a_json_object_is_400(api, employee, body):
    with nothing_changes():
        response = api.patch(f"{EMPLOYEES}E1/", body, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_the_manager_must_exist(api, employee):
    with nothing_changes():
        response = patch(api, {"manager_employee_id": "GHOST", "role": "Lead"})
    assert_problem(response, 422, "manager_not_found", [("manager_employee_id", "manager_not_found")])


def test_an_employee_cannot_manage_themselves(api, employee):
    with nothing_changes():
        response = patch(api, {"manager_employee_id": "E1"})
    assert_problem(response, 422, "manager_is_self", [("manager_employee_id", "manager_is_self")])


def test_changing_the_manager(api, employee):
    api.post(EMPLOYEES, employee_payload("M2"), format="json")
    response = patch(api, {"manager_employee_id": "M2"})
    assert response.json()["manager_employee_id"] == "M2"
    assert Employee.objects.get(employee_id="E1").manager.employee_id == "M2"


def test_patch_unknown_employee_is_404(api, employee):
    with nothing_changes():
        response = patch(api, {"role": "Lead"}, employee_id="E404")
    assert_problem(response, 404, "employee_not_found")


def test_a_patch_that_changes_nothing_writes_nothing(api, employee):
    with nothing_changes():
        response = patch(api, {"role": "Engineer", "country": "gb", "business_unit": "ENG"})
        empty = patch(api, {})
    assert (response.status_code, empty.status_code) == (200, 200)
    assert response.json() == employee
    assert empty.json() == employee


def test_patch_writes_employee_updated_with_the_document(api, employee):
    body = patch(api, {"department": "Research"}).json()
    event = OutboxEvent.objects.filter(event_type="employee.updated").get()
    assert (event.aggregate_type, event.aggregate_id, event.payload) == ("employee", "E1", body)


def test_patch_to_inactive_is_a_deactivation(api, employee):
    body = patch(api, {"status": "inactive"}).json()
    assert body["status"] == "inactive"
    event = OutboxEvent.objects.get(event_type="employee.deactivated")
    assert event.payload == body
    assert events(event_type="employee.updated") == []


def test_reactivation_through_patch(api, employee):
    api.post(f"{EMPLOYEES}E1/deactivate/")

    response = patch(api, {"status": "active"})

    assert response.status_code == 200
    assert response.json() == {**employee, "updated_at": response.json()["updated_at"]}
    assert Employee.objects.get(employee_id="E1").status == "active"
    assert events()[-2:] == [("employee.deactivated", "E1"), ("employee.updated", "E1")]
    assert OutboxEvent.objects.order_by("id").last().payload == response.json()

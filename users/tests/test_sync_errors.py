"""POST /api/v1/employees/sync/: bad requests, bad records and tenant isolation."""

import json

import pytest

from plum.core.models import OutboxEvent
from tests.conftest import employee_payload
from tests.support import assert_problem, nothing_changes
from users.models import BusinessUnit, Employee

SYNC = "/api/v1/employees/sync/"


@pytest.fixture
def stored(api):
    """Two active employees, so that a wrongly accepted `full` sync would visibly deactivate them."""
    body = {"mode": "upsert", "employees": [employee_payload("S1", hire_date="2020-01-01"), employee_payload("S2")]}
    assert api.post(SYNC, body, format="json").status_code == 200


def sync(api, employees, mode="upsert") -> dict:
    response = api.post(SYNC, {"mode": mode, "employees": employees}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def record_errors(result) -> list[tuple]:
    assert all(e["message"] for e in result["errors"])
    return [(e["index"], e["employee_id"], e["field"], e["code"]) for e in result["errors"]]


# --- The request as a whole --------------------------------------------------------------------

BAD_REQUESTS = {
    "unknown mode": ({"mode": "merge", "employees": []}, [("mode", "invalid")]),
    "mode missing": ({"employees": []}, [("mode", "invalid")]),
    "mode not a string": ({"mode": ["full"], "employees": []}, [("mode", "invalid")]),
    "employees missing": ({"mode": "full"}, [("employees", "required")]),
    "employees null": ({"mode": "full", "employees": None}, [("employees", "required")]),
    "employees a string": ({"mode": "full", "employees": "S1"}, [("employees", "invalid")]),
    "employees an object": ({"mode": "full", "employees": {"employee_id": "S1"}}, [("employees", "invalid")]),
    "records not objects": (
        {"mode": "full", "employees": [employee_payload("S1"), "S2", 3, None, [employee_payload("S3")]]},
        [(f"employees[{n}]", "invalid") for n in (1, 2, 3, 4)],
    ),
    "source a number": ({"mode": "full", "source": 12, "employees": []}, [("source", "invalid")]),
    "source false": ({"mode": "full", "source": False, "employees": []}, [("source", "invalid")]),
    "source too long": ({"mode": "full", "source": "s" * 65, "employees": []}, [("source", "invalid")]),
    "source with NUL": ({"mode": "full", "source": "hr\u0000", "employees": []}, [("source", "invalid")]),
    "unknown top-level field": ({"mode": "full", "employees": [], "dry_run": True}, [("dry_run", "unknown_field")]),
    "everything wrong": (
        {"mode": "merge", "source": 1, "employees": "x"},
        [("mode", "invalid"), ("source", "invalid"), ("employees", "invalid")],
    ),
}


@pytest.mark.parametrize("body, errors", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_malformed_sync_request_is_400_and_changes_nothing(api, stored, body, errors):
    with nothing_changes():
        response = api.post(SYNC, body, format="json")
    assert_problem(response, 400, "validation_error", errors)


@pytest.mark.parametrize("body", ['{"mode": "full", "employees": [', "[]", '"full"', '{"mode": NaN}', b"\xff\xfe{}"])
def test_a_body_that_is_not_a_json_object_is_400(api, stored, body):
    with nothing_changes():
        response = api.post(SYNC, body, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_a_body_that_is_not_json_is_415(api, stored):
    with nothing_changes():
        response = api.post(SYNC, json.dumps({"mode": "full", "employees": []}), content_type="text/csv")
    assert_problem(response, 415, "unsupported_media_type")


def test_more_than_10000_records_is_413_and_changes_nothing(api, stored):
    records = [employee_payload(f"E{n:05d}") for n in range(10_001)]
    with nothing_changes():
        response = api.post(SYNC, {"mode": "full", "employees": records}, format="json")
    assert_problem(response, 413, "too_many_records", [("employees", "too_many_records")])


def test_a_body_over_16_mib_is_413_before_it_is_read(api, stored):
    body = b'{"mode": "full", "employees": [], "source": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    with nothing_changes():
        real = api.post(SYNC, body, content_type="application/json")
        announced = api.post(SYNC, b"{}", content_type="application/json", CONTENT_LENGTH=str(17 * 1024 * 1024))
    assert_problem(real, 413, "payload_too_large")
    assert_problem(announced, 413, "payload_too_large")


def test_other_employee_calls_keep_the_1_mib_limit(api, stored):
    body = json.dumps(employee_payload("E1", role="r" * (1024 * 1024)))
    with nothing_changes():
        response = api.post("/api/v1/employees/", body, content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


# --- Bad records: reported one by one, the good ones applied ----------------------------------


def test_invalid_records_are_reported_and_skipped_while_valid_ones_are_applied(api, stored):
    s1_before = api.get("/api/v1/employees/S1/").json()
    records = [
        employee_payload("V1"),
        employee_payload("B1", email="not-an-email"),
        employee_payload("V2", country="in"),
        {"employee_id": "B2", "first_name": "Only"},  # new, so every required field is needed
        {**employee_payload("X"), "employee_id": None},
        {"employee_id": "S1", "exit_date": "2019-12-31"},  # before the stored hire_date
        employee_payload("B3", nickname="Bea"),
        {**employee_payload("X"), "employee_id": 42},
        employee_payload("B4", manager_employee_id="B4"),
        employee_payload("B5", hire_date="2024-01-02", exit_date="2024-01-01"),
        employee_payload("B6", first_name=["Bea"], hire_date=20240101, status="retired"),
        {**employee_payload("X"), "employee_id": "B\u00007"},
        {"employee_id": "S2", "role": "Lead"},  # a stored employee: a partial record is enough
    ]

    result = sync(api, records)

    assert (result["created"], result["updated"], result["deactivated"], result["unchanged"]) == (2, 1, 0, 0)
    assert record_errors(result) == [
        (1, "B1", "email", "invalid"),
        (3, "B2", "email", "required"),
        (3, "B2", "last_name", "required"),
        (4, None, "employee_id", "required"),
        (5, "S1", "exit_date", "invalid"),
        (6, "B3", "nickname", "unknown_field"),
        (7, None, "employee_id", "invalid"),
        (8, "B4", "manager_employee_id", "manager_is_self"),
        (9, "B5", "exit_date", "invalid"),
        (10, "B6", "first_name", "invalid"),
        (10, "B6", "hire_date", "invalid"),
        (10, "B6", "status", "invalid"),
        (11, "B\u00007", "employee_id", "invalid"),
    ]
    assert sorted(Employee.objects.values_list("employee_id", flat=True)) == ["S1", "S2", "V1", "V2"]
    assert Employee.objects.get(employee_id="V2").country == "IN"
    assert Employee.objects.get(employee_id="S2").role == "Lead"
    assert api.get("/api/v1/employees/S1/").json() == s1_before
    created = OutboxEvent.objects.filter(event_type="employee.created").values_list("aggregate_id", flat=True)
    assert sorted(created) == ["S1", "S2", "V1", "V2"]


def test_a_repeated_employee_id_counts_once_and_the_repeats_are_errors(api):
    records = [
        employee_payload("D1", role="First"),
        employee_payload("D2"),
        {**employee_payload("D1", role="Second"), "employee_id": " D1 "},
        employee_payload("D1", email="bad"),
        employee_payload("D3", email="bad"),
        employee_payload("D3"),
    ]

    result = sync(api, records)

    assert (result["created"], result["updated"], result["unchanged"]) == (2, 0, 0)
    assert record_errors(result) == [
        (2, "D1", "employee_id", "duplicate_employee_id"),
        (3, "D1", "email", "invalid"),
        (3, "D1", "employee_id", "duplicate_employee_id"),
        (4, "D3", "email", "invalid"),
        (5, "D3", "employee_id", "duplicate_employee_id"),
    ]
    assert dict(Employee.objects.values_list("employee_id", "role")) == {"D1": "First", "D2": ""}


def test_a_record_whose_id_cannot_be_stored_is_reported_in_printable_form(api):
    body = '{"mode": "upsert", "employees": [{"employee_id": "\\ud800", "email": "a@b.co"}]}'
    with nothing_changes():
        response = api.post(SYNC, body, content_type="application/json")
    assert response.status_code == 200
    assert record_errors(response.json()) == [(0, "\\ud800", "employee_id", "invalid")]


# --- Tenant isolation --------------------------------------------------------------------------


def test_a_sync_never_touches_another_organisations_employees(api, tenant, other_tenant):
    theirs = other_tenant.api()
    their_records = [
        employee_payload("E1", first_name="Theirs", business_unit="ENG"),
        employee_payload("E2", manager_employee_id="E1"),
        employee_payload("E3"),
    ]
    assert theirs.post(SYNC, {"mode": "upsert", "employees": their_records}, format="json").status_code == 200
    their_employees = list(Employee.objects.filter(organisation=other_tenant.organisation).order_by("pk").values())
    their_events = list(
        OutboxEvent.objects.filter(organisation_id=other_tenant.organisation.id).order_by("id").values()
    )

    records = [
        employee_payload("E1", first_name="Ours", business_unit="ENG"),
        employee_payload("E3", first_name="Ours"),
        employee_payload("E4", manager_employee_id="E2"),  # E2 exists only in the other organisation
    ]
    result = sync(api, records, mode="full")

    assert (result["created"], result["updated"], result["deactivated"], result["unchanged"]) == (2, 0, 0, 0)
    assert record_errors(result) == [(2, "E4", "manager_employee_id", "manager_not_found")]
    assert list(Employee.objects.filter(organisation=other_tenant.organisation).order_by("pk").values()) == (
        their_employees
    )
    assert (
        list(OutboxEvent.objects.filter(organisation_id=other_tenant.organisation.id).order_by("id").values())
        == their_events
    )
    ours = Employee.objects.filter(organisation=tenant.organisation)
    assert dict(ours.values_list("employee_id", "first_name")) == {"E1": "Ours", "E3": "Ours"}
    ours_events = OutboxEvent.objects.filter(organisation_id=tenant.organisation.id)
    assert sorted(ours_events.values_list("event_type", "aggregate_id")) == [
        ("employee.created", "E1"),
        ("employee.created", "E3"),
    ]
    assert BusinessUnit.objects.filter(code="ENG").count() == 2
    assert ours.get(employee_id="E1").business_unit.organisation_id == tenant.organisation.id

    # A full sync of the other organisation with nothing still leaves ours alone.
    assert theirs.post(SYNC, {"mode": "full", "employees": []}, format="json").json()["deactivated"] == 3
    assert set(ours.values_list("status", flat=True)) == {"active"}

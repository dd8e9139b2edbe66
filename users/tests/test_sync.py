"""POST /api/v1/employees/sync/: counts, modes, managers, events and the 10,000-record call.

Request-level errors, per-record errors and tenant isolation are in test_sync_errors.py.
"""

import json
import threading

import pytest
from django.db import connection

from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from tests.conftest import employee_payload
from tests.support import events, nothing_changes
from users import services
from users.commands import EmployeeCreate
from users.models import BusinessUnit, CostCentre, Employee
from users.services import sync as sync_module

SYNC = "/api/v1/employees/sync/"
NO_CHANGE = {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 0, "errors": []}


def sync(api, employees, mode="upsert", source="workday") -> dict:
    response = api.post(SYNC, {"mode": mode, "source": source, "employees": employees}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def document(api, employee_id) -> dict:
    response = api.get(f"/api/v1/employees/{employee_id}/")
    assert response.status_code == 200
    return response.json()


def statuses() -> dict[str, str]:
    return dict(Employee.objects.order_by("employee_id").values_list("employee_id", "status"))


def test_ten_thousand_records_in_one_call(api, tenant):
    records = [
        employee_payload(
            f"E{n:05d}",
            business_unit=f"BU{n % 20}",
            cost_centre=f"CC{n % 7}",
            country="gb" if n % 2 else "in",
            manager_employee_id=f"E{n + 100:05d}" if n < 9900 else None,  # a manager later in the list
            hire_date="2020-01-01",
        )
        for n in range(10_000)
    ]
    body = json.dumps({"mode": "upsert", "source": "workday", "employees": records})
    assert len(body) > 1024 * 1024  # over the default body limit: sync has its own

    response = api.post(SYNC, body, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {**NO_CHANGE, "created": 10_000}
    employees = Employee.objects.filter(organisation=tenant.organisation)
    assert employees.count() == 10_000
    assert employees.filter(status="active", source="workday", hire_date="2020-01-01").count() == 10_000
    assert employees.filter(manager__isnull=False).count() == 9_900
    assert employees.filter(country="GB").count() == 5_000
    e42 = employees.select_related("manager", "business_unit", "cost_centre").get(employee_id="E00042")
    assert (e42.manager.employee_id, e42.business_unit.code, e42.cost_centre.code) == ("E00142", "BU2", "CC0")
    assert BusinessUnit.objects.count() == 20
    assert CostCentre.objects.count() == 7
    assert OutboxEvent.objects.filter(event_type="employee.created").count() == 10_000
    assert OutboxEvent.objects.get(aggregate_id="E00042").payload == document(api, "E00042")

    with nothing_changes():
        again = api.post(SYNC, body, content_type="application/json")
    assert again.json() == {**NO_CHANGE, "unchanged": 10_000}


def test_upsert_creates_updates_and_leaves_the_rest_alone(api):
    sync(api, [employee_payload("S1"), employee_payload("S2"), employee_payload("S3")])
    s3_before = document(api, "S3")

    result = sync(api, [employee_payload("S1"), employee_payload("S2", role="Lead"), employee_payload("N1")])

    assert result == {**NO_CHANGE, "created": 1, "updated": 1, "unchanged": 1}
    assert document(api, "S2")["role"] == "Lead"
    assert document(api, "S3") == s3_before
    assert statuses() == {"N1": "active", "S1": "active", "S2": "active", "S3": "active"}
    assert events()[3:] == [("employee.updated", "S2"), ("employee.created", "N1")]


def test_a_record_changes_only_the_fields_it_carries(api):
    stored = employee_payload("S1", role="Engineer", department="Platform", country="GB", manager_employee_id="M1")
    sync(api, [employee_payload("M1"), stored])
    before = document(api, "S1")

    result = sync(api, [{"employee_id": "S1", "department": "Research"}])

    assert result == {**NO_CHANGE, "updated": 1}
    after = document(api, "S1")
    assert after == {**before, "department": "Research", "updated_at": after["updated_at"]}


def test_every_event_carries_the_employee_document(api):
    sync(api, [employee_payload("M1"), employee_payload("S1", manager_employee_id="M1", business_unit="ENG")])
    sync(api, [employee_payload("S1", manager_employee_id="M1", business_unit="OPS", hire_date="2020-02-29")])
    sync(api, [employee_payload("S1", status="inactive", business_unit="OPS", hire_date="2020-02-29")])

    rows = list(OutboxEvent.objects.filter(aggregate_id="S1").order_by("id"))
    assert [e.event_type for e in rows] == ["employee.created", "employee.updated", "employee.deactivated"]
    assert [e.payload["business_unit"] for e in rows] == ["ENG", "OPS", "OPS"]
    assert rows[1].payload["hire_date"] == "2020-02-29"
    assert rows[2].payload == document(api, "S1")
    assert rows[2].payload["manager_employee_id"] == "M1"  # omitted fields keep their values


def test_full_mode_deactivates_active_employees_absent_from_the_list(api):
    sync(api, [employee_payload(f"S{n}") for n in range(1, 5)])
    api.post("/api/v1/employees/S4/deactivate/")
    s4_before = document(api, "S4")

    result = sync(api, [employee_payload("S1")], mode="full")

    assert result == {**NO_CHANGE, "deactivated": 2, "unchanged": 1}
    assert statuses() == {"S1": "active", "S2": "inactive", "S3": "inactive", "S4": "inactive"}
    assert document(api, "S4") == s4_before
    assert events(event_type="employee.deactivated") == [
        ("employee.deactivated", "S4"),
        ("employee.deactivated", "S2"),
        ("employee.deactivated", "S3"),
    ]
    s2_event = OutboxEvent.objects.filter(event_type="employee.deactivated", aggregate_id="S2").get()
    assert s2_event.payload == document(api, "S2")
    assert s2_event.payload["status"] == "inactive"


def test_upsert_never_deactivates_absent_employees(api):
    sync(api, [employee_payload("S1"), employee_payload("S2")])
    with nothing_changes():
        result = sync(api, [employee_payload("S1")], mode="upsert")
    assert result == {**NO_CHANGE, "unchanged": 1}


def test_full_mode_with_an_empty_list_deactivates_everyone_active(api):
    sync(api, [employee_payload("S1"), employee_payload("S2")])
    result = sync(api, [], mode="full")
    assert result == {**NO_CHANGE, "deactivated": 2}
    assert statuses() == {"S1": "inactive", "S2": "inactive"}


def test_full_mode_keeps_employees_named_by_invalid_or_padded_records(api):
    sync(api, [employee_payload("S1"), employee_payload("S2"), employee_payload("S3")])

    records = [{**employee_payload("S1"), "employee_id": " S1 "}, employee_payload("S2", email="not-an-email")]
    result = sync(api, records, mode="full")

    assert result["deactivated"] == 1
    assert (result["unchanged"], result["created"]) == (1, 0)
    assert [(e["index"], e["employee_id"], e["field"]) for e in result["errors"]] == [(1, "S2", "email")]
    assert statuses() == {"S1": "active", "S2": "active", "S3": "inactive"}


def test_a_record_with_status_inactive_counts_as_deactivated(api):
    sync(api, [employee_payload("S1"), employee_payload("S2", status="inactive")])
    result = sync(api, [employee_payload("S1", status="inactive"), employee_payload("S2", status="inactive")])
    assert result == {**NO_CHANGE, "deactivated": 1, "unchanged": 1}
    assert events()[2:] == [("employee.deactivated", "S1")]


def test_a_repeated_identical_sync_is_all_unchanged_and_writes_nothing(api):
    records = [
        employee_payload("S1", country="gb", business_unit="ENG", hire_date="2020-01-01"),
        employee_payload("S2", manager_employee_id="S1", role="  Padded  "),
        employee_payload("S3", status="inactive", exit_date="2024-01-01", cost_centre=""),
    ]
    sync(api, records, mode="full")
    with nothing_changes():
        upsert = sync(api, records, mode="upsert")
        full = sync(api, records, mode="full")
    assert upsert == full == {**NO_CHANGE, "unchanged": 3}


def test_a_deactivated_employee_is_reactivated_by_a_later_sync(api):
    sync(api, [employee_payload("S1"), employee_payload("S2")])
    api.post("/api/v1/employees/S1/deactivate/")
    api.post("/api/v1/employees/S2/deactivate/")

    result = sync(api, [employee_payload("S1"), employee_payload("S2", status="active")])

    assert result == {**NO_CHANGE, "updated": 2}
    assert statuses() == {"S1": "active", "S2": "active"}
    assert events()[-2:] == [("employee.updated", "S1"), ("employee.updated", "S2")]


def test_whitespace_around_an_employee_id_is_trimmed(api):
    result = sync(api, [{**employee_payload("W1"), "employee_id": "  W1 "}])
    assert result == {**NO_CHANGE, "created": 1}
    assert list(Employee.objects.values_list("employee_id", flat=True)) == ["W1"]
    assert sync(api, [employee_payload("W1")]) == {**NO_CHANGE, "unchanged": 1}


def test_the_source_is_recorded_on_written_rows_only(api):
    sync(api, [employee_payload("S1"), employee_payload("S2")], source="workday")
    sync(api, [employee_payload("S1", role="Lead"), employee_payload("S2")], source="darwinbox")
    assert dict(Employee.objects.values_list("employee_id", "source")) == {"S1": "darwinbox", "S2": "workday"}


# --- Managers ---------------------------------------------------------------------------------


def manager_of() -> dict[str, str | None]:
    rows = Employee.objects.order_by("employee_id").values_list("employee_id", "manager__employee_id")
    return dict(rows)


def test_a_manager_may_come_later_in_the_same_list(api):
    records = [
        employee_payload("E1", manager_employee_id="E3"),
        employee_payload("E2", manager_employee_id="E1"),
        employee_payload("E3"),
    ]
    assert sync(api, records) == {**NO_CHANGE, "created": 3}
    assert manager_of() == {"E1": "E3", "E2": "E1", "E3": None}


def test_two_new_employees_may_manage_each_other(api):
    records = [employee_payload("A", manager_employee_id="B"), employee_payload("B", manager_employee_id="A")]
    assert sync(api, records) == {**NO_CHANGE, "created": 2}
    assert manager_of() == {"A": "B", "B": "A"}


def test_a_manager_may_be_stored_already_even_if_inactive(api):
    sync(api, [employee_payload("BOSS")])
    api.post("/api/v1/employees/BOSS/deactivate/")
    assert sync(api, [employee_payload("E1", manager_employee_id="BOSS")]) == {**NO_CHANGE, "created": 1}
    assert manager_of()["E1"] == "BOSS"


def test_an_unknown_manager_fails_that_record_and_the_new_records_under_it(api):
    sync(api, [employee_payload("S1", role="Stored")])
    records = [
        employee_payload("R3", manager_employee_id="R2"),  # under R2, itself dropped: listed first on purpose
        employee_payload("R1", manager_employee_id="GHOST"),
        employee_payload("R2", manager_employee_id="R1"),
        employee_payload("R4", manager_employee_id="S1"),  # S1's record fails, but S1 is stored
        employee_payload("S1", role="Changed", manager_employee_id="GHOST2"),
        employee_payload("R5"),
    ]
    result = sync(api, records)

    assert (result["created"], result["updated"], result["unchanged"]) == (2, 0, 0)
    assert [(e["index"], e["employee_id"], e["field"], e["code"]) for e in result["errors"]] == [
        (0, "R3", "manager_employee_id", "manager_not_found"),
        (1, "R1", "manager_employee_id", "manager_not_found"),
        (2, "R2", "manager_employee_id", "manager_not_found"),
        (4, "S1", "manager_employee_id", "manager_not_found"),
    ]
    assert manager_of() == {"R4": "S1", "R5": None, "S1": None}
    assert document(api, "S1")["role"] == "Stored"


def test_a_long_chain_under_an_unknown_manager_is_reported_record_by_record(api):
    # E0000 is managed by E0001, ..., E2999 by nobody known: every record fails.
    records = [employee_payload(f"E{n:04d}", manager_employee_id=f"E{n + 1:04d}") for n in range(3000)]
    records[-1]["manager_employee_id"] = "GHOST"
    with nothing_changes():
        result = sync(api, records)
    assert (result["created"], len(result["errors"])) == (0, 3000)
    assert {(e["field"], e["code"]) for e in result["errors"]} == {("manager_employee_id", "manager_not_found")}
    assert [e["index"] for e in result["errors"]] == list(range(3000))


# --- Races ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_employee_created_by_another_door_during_the_sync_is_updated_not_a_500(tenant, monkeypatch):
    """The REST create commits between the sync's read and its write: the sync must update that row."""

    def create_elsewhere():
        try:
            services.employee_create(
                actor=Actor.system(tenant.organisation.id), command=EmployeeCreate.parse(employee_payload("E1"))
            )
        finally:
            connection.close()

    real_dimension_ids = sync_module.dimension_ids

    def dimension_ids_after_a_concurrent_create(*args):
        if not Employee.objects.filter(employee_id="E1").exists():
            worker = threading.Thread(target=create_elsewhere)
            worker.start()
            worker.join()
        return real_dimension_ids(*args)

    monkeypatch.setattr(sync_module, "dimension_ids", dimension_ids_after_a_concurrent_create)
    api = tenant.api()

    result = sync(api, [employee_payload("E1", role="From HR"), employee_payload("E2", manager_employee_id="E1")])

    assert result == {**NO_CHANGE, "created": 1, "updated": 1}
    assert dict(Employee.objects.values_list("employee_id", "role")) == {"E1": "From HR", "E2": ""}
    assert manager_of() == {"E1": None, "E2": "E1"}
    assert sorted(events()) == [("employee.created", "E1"), ("employee.created", "E2"), ("employee.updated", "E1")]

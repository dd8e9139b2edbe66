"""GET /api/v1/employees/: filters, cursor pagination, tenant isolation and query counts."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plum.core.actor import Actor
from tests.conftest import employee_payload
from tests.support import assert_problem
from users.commands import EmployeesSync
from users.models import Employee
from users.services import employees_sync
from users.tests.factories import BusinessUnitFactory, CostCentreFactory, EmployeeFactory

EMPLOYEES = "/api/v1/employees/"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["employee_id"] for e in response.json()["results"]]


def sync(tenant, count: int) -> None:
    for n in range(count):
        EmployeeFactory(organisation=tenant.organisation, employee_id=f"P{n:04d}")
    assert Employee.objects.filter(organisation=tenant.organisation).count() == count


def employee(organisation, employee_id, status, unit, centre, country, department, email):
    return EmployeeFactory(
        organisation=organisation,
        employee_id=employee_id,
        status=status,
        business_unit=unit and BusinessUnitFactory(organisation=organisation, code=unit),
        cost_centre=centre and CostCentreFactory(organisation=organisation, code=centre),
        country=country,
        department=department,
        email=email,
    )


@pytest.fixture
def people(api, tenant, other_tenant):
    """Five employees of the tenant with known attributes, and a look-alike in another organisation."""
    rows = [
        ("A1", "active", "ENG", "CC-1", "GB", "Platform", "Ada.One@Example.com", "2024-01-01"),
        ("A2", "active", "ENG", "CC-2", "IN", "Sales", "a2@example.com", "2024-06-01"),
        ("A3", "inactive", "OPS", "CC-1", "GB", "Platform", "a3@example.com", "2024-06-02"),
        ("A4", "active", None, None, "", "", "a4@example.com", "2025-01-01"),
        ("A5", "active", "OPS", "CC-2", "US", "Sales", "ada.one@example.com", "2023-12-31"),
    ]
    for *fields, updated in rows:
        employee(tenant.organisation, *fields)
        updated_at = datetime.fromisoformat(updated).replace(tzinfo=UTC)
        Employee.objects.filter(employee_id=fields[0]).update(updated_at=updated_at)
    employee(other_tenant.organisation, "X1", "active", "ENG", "CC-1", "GB", "Sales", "ada.one@example.com")


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, ["A1", "A2", "A3", "A4", "A5"]),
        ({"status": "inactive"}, ["A3"]),
        ({"status": "active"}, ["A1", "A2", "A4", "A5"]),
        ({"business_unit": "ENG"}, ["A1", "A2"]),
        ({"business_unit": "NOPE"}, []),
        ({"cost_centre": "CC-2"}, ["A2", "A5"]),
        ({"country": "gb"}, ["A1", "A3"]),
        ({"country": "GB"}, ["A1", "A3"]),
        ({"department": "Sales"}, ["A2", "A5"]),
        ({"email": "ADA.ONE@EXAMPLE.COM"}, ["A1", "A5"]),
        ({"email": "a2@example.com"}, ["A2"]),
        ({"updated_since": "2024-06-01T00:00:00Z"}, ["A2", "A3", "A4"]),
        ({"updated_since": "2024-06-01T12:00:00+02:00"}, ["A3", "A4"]),
        ({"updated_since": "2025-01-01T00:00:01Z"}, []),
        ({"status": "active", "business_unit": "OPS"}, ["A5"]),
        ({"department": "Platform", "country": "GB", "cost_centre": "CC-1"}, ["A1", "A3"]),
    ],
    ids=lambda value: "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else "",
)
def test_filters_answer_exactly_the_matching_employees(api, people, query, expected):
    assert ids(api.get(EMPLOYEES, query)) == expected


@pytest.mark.parametrize(
    "query, field",
    [
        ({"updated_since": "garbage"}, "updated_since"),
        ({"updated_since": "2024-13-01T00:00:00Z"}, "updated_since"),
        ({"status": "retired"}, "status"),
        ({"email": "a\x00b"}, "email"),
    ],
    ids=["garbage date", "month 13", "unknown status", "NUL"],
)
def test_an_invalid_filter_value_is_400(api, people, query, field):
    assert_problem(api.get(EMPLOYEES, query), 400, "validation_error", [(field, "invalid")])


def test_a_misspelt_filter_is_400_naming_it_not_every_employee(api, people):
    response = api.get(EMPLOYEES, {"stauts": "inactive"})
    body = assert_problem(response, 400, "validation_error", [("stauts", "unknown_parameter")])
    assert body["errors"][0]["message"] == "Unknown query parameter."


def test_every_bad_parameter_is_named_at_once(api, people):
    query = "?status=retired&page_size=0&colour=red&department=Sales&department=Platform"
    expected = [
        ("colour", "unknown_parameter"),
        ("department", "repeated_parameter"),
        ("page_size", "invalid"),
        ("status", "invalid"),
    ]
    assert_problem(api.get(EMPLOYEES + query), 400, "validation_error", expected)


def test_list_needs_employees_read(tenant, people):
    response = tenant.api(scopes=["points:read"]).get(EMPLOYEES)
    assert_problem(response, 403, "insufficient_scope")


def test_cursor_pages_forward_and_back_keeping_the_filters(api, people):
    first = api.get(EMPLOYEES, {"page_size": 2})
    assert ids(first) == ["A1", "A2"]
    assert first.json()["previous"] is None

    second = api.get(first.json()["next"])
    assert ids(second) == ["A3", "A4"]
    third = api.get(second.json()["next"])
    assert ids(third) == ["A5"]
    assert third.json()["next"] is None
    assert ids(api.get(third.json()["previous"])) == ["A3", "A4"]
    assert ids(api.get(second.json()["previous"])) == ["A1", "A2"]

    active = api.get(EMPLOYEES, {"status": "active", "page_size": 3})
    assert ids(active) == ["A1", "A2", "A4"]
    assert ids(api.get(active.json()["next"])) == ["A5"]


def test_page_size_is_capped_at_500(api, tenant):
    sync(tenant, 502)

    first = api.get(EMPLOYEES, {"page_size": 1000})

    assert ids(first) == [f"P{n:04d}" for n in range(500)]
    rest = api.get(first.json()["next"])
    assert ids(rest) == ["P0500", "P0501"]
    assert rest.json()["next"] is None


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", "1.5", ""])
def test_an_unusable_page_size_is_400_not_the_default(api, tenant, page_size):
    sync(tenant, 51)
    assert_problem(api.get(EMPLOYEES, {"page_size": page_size}), 400, "validation_error", [("page_size", "invalid")])


def test_without_page_size_a_page_holds_50(api, tenant):
    sync(tenant, 51)
    assert ids(api.get(EMPLOYEES)) == [f"P{n:04d}" for n in range(50)]


def test_the_list_costs_the_same_queries_for_5_and_100_employees(api, tenant):
    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(EMPLOYEES, {"page_size": 500}).status_code == 200
        return len(captured)

    sync(tenant, 5)
    few = queries_for_a_page()
    records = [
        employee_payload(f"P{n:04d}", business_unit=f"BU{n}", cost_centre=f"CC{n}", manager_employee_id="P0000")
        for n in range(1, 100)
    ]
    command = EmployeesSync.parse({"mode": "upsert", "employees": records})
    employees_sync(actor=Actor.system(tenant.organisation.id), command=command)
    assert Employee.objects.filter(manager__isnull=False).count() == 99
    assert queries_for_a_page() == few

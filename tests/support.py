"""Test helpers: database snapshots, problem+json checks, seeding employees."""

from contextlib import contextmanager
from datetime import datetime

from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from users import services
from users.commands import EmployeesSync
from users.models import BusinessUnit, CostCentre, Employee

PROBLEM_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 409: "Conflict"}
PROBLEM_TITLES |= {413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content"}
PROBLEM_TITLES |= {401: "Unauthorized", 403: "Forbidden", 429: "Too many requests", 500: "Internal server error"}


def database_state() -> dict:
    """Every row a write to employees may touch, in every organisation."""
    return {
        "employees": list(Employee.objects.order_by("organisation_id", "employee_id").values()),
        "outbox": list(OutboxEvent.objects.order_by("id").values()),
        "business_units": list(BusinessUnit.objects.order_by("organisation_id", "code").values()),
        "cost_centres": list(CostCentre.objects.order_by("organisation_id", "code").values()),
    }


@contextmanager
def nothing_changes():
    """`with nothing_changes(): ...` fails if the block changed any employee, dimension or outbox row."""
    before = database_state()
    yield
    assert database_state() == before


def events_since(before: dict) -> list[tuple[str, str]]:
    """(event type, employee id) of the outbox rows written after `before` was taken."""
    return [(e["event_type"], e["aggregate_id"]) for e in database_state()["outbox"][len(before["outbox"]) :]]


def seed(tenant, records: list[dict]) -> None:
    """Creates employees through the sync service, as an HR feed would."""
    command = EmployeesSync.parse({"mode": "upsert", "source": "seed", "employees": records})
    result = services.employees_sync(actor=Actor.system(tenant.organisation.id), command=command)
    assert result.errors == []


def assert_problem(response, status: int, code: str, errors: list[tuple] = ()) -> dict:
    """An RFC 9457 answer with exactly these (field, code) errors; answers the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "code", "errors"}
    assert body["type"] == f"urn:plum:error:{code}"
    assert body["title"] == PROBLEM_TITLES[status]
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert [(e["field"], e["code"]) for e in body["errors"]] == list(errors)
    assert all(set(e) == {"field", "code", "message"} and e["message"] for e in body["errors"])
    return body


def parse_time(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


def events(*, event_type: str | None = None) -> list[tuple[str, str]]:
    """(event type, employee_id) of the employee outbox events, oldest first."""
    rows = OutboxEvent.objects.filter(aggregate_type="employee").order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return list(rows.values_list("event_type", "aggregate_id"))

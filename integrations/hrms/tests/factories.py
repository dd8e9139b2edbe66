"""Builders and read-outs for the HRMS tests: connections made through the API (or the service), runs
started and worked through in-process, and the state a negative test compares before and after."""

from contextlib import contextmanager

from django_celery_beat.models import PeriodicTask

from integrations.hrms import services
from integrations.hrms.commands import ConnectionCreate
from integrations.hrms.models import Connection, Run, RunPage
from plum.core.actor import Actor
from plum.core.models import OutboxEvent
from users.models import Employee

HRMS = "/api/v1/integrations/hrms/"
EMPLOYEE_EVENTS = ("employee.created", "employee.updated", "employee.deactivated")
# The documents' fields: API.md's first, then the extras.
CONNECTION_DOCUMENT = {"id", "provider", "base_url", "settings", "schedule", "mode", "field_map"}
CONNECTION_DOCUMENT |= {"max_deactivation_ratio", "active", "last_run", "created_at", "updated_at"}
RUN_DOCUMENT = {"id", "status", "fetched", "created", "updated", "deactivated", "unchanged", "errors", "started_at"}
RUN_DOCUMENT |= {"finished_at", "error"}
RUN_DOCUMENT |= {"connection_id", "trigger", "mode", "errors_total", "active_before", "would_deactivate"}
RUN_DOCUMENT |= {"created_at", "duration_seconds", "confirmed_at"}


def create_connection(api, body: dict, **overrides) -> dict:
    """POST a connection and answer its document (201 asserted)."""
    response = api.post(HRMS, {**body, **overrides}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def make_connection(organisation, fake, **overrides) -> Connection:
    """A connection to `fake` made by the service (no API client needed)."""
    actor = Actor.system(organisation.pk, "tests")
    return services.connection_create(actor=actor, command=ConnectionCreate.parse({**fake.connection(), **overrides}))


def start_run(api, connection_id, capture) -> dict:
    """POST …/sync/ and let the run work through in-process (the message is sent on commit); answers the
    run's document as it ends."""
    with capture(execute=True):
        response = api.post(f"{HRMS}{connection_id}/sync/")
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id", "status"} and response.json()["status"] == "queued"
    return run_of(api, connection_id, response.json()["id"])


def run_of(api, connection_id, run_id) -> dict:
    response = api.get(f"{HRMS}{connection_id}/runs/{run_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def confirm(api, connection_id, run_id, capture):
    with capture(execute=True):
        return api.post(f"{HRMS}{connection_id}/runs/{run_id}/confirm/")


def employees(organisation) -> dict[str, dict]:
    """employee_id -> the fields a sync sets, as stored (codes, not ids)."""
    rows = Employee.objects.filter(organisation=organisation).values(
        "employee_id",
        "email",
        "first_name",
        "last_name",
        "status",
        "role",
        "department",
        "country",
        "hire_date",
        "exit_date",
        "business_unit__code",
        "cost_centre__code",
        "manager__employee_id",
    )
    return {row["employee_id"]: row for row in rows}


def events(organisation, *types: str) -> list[tuple[str, str]]:
    """(event type, aggregate id) of the organisation's outbox events of `types`, in order."""
    rows = OutboxEvent.objects.filter(organisation_id=organisation.pk, event_type__in=types).order_by("id")
    return list(rows.values_list("event_type", "aggregate_id"))


def employee_events(organisation) -> list[tuple[str, str]]:
    return events(organisation, *EMPLOYEE_EVENTS)


def sync_events(organisation) -> list[dict]:
    rows = OutboxEvent.objects.filter(organisation_id=organisation.pk, event_type="hrms_sync.completed")
    return [row.payload for row in rows.order_by("id")]


def hrms_state() -> dict:
    """Every row an HRMS write may touch, of every organisation."""
    return {
        "connections": list(Connection.objects.order_by("pk").values()),
        "runs": list(Run.objects.order_by("pk").values()),
        "pages": list(RunPage.objects.order_by("pk").values()),
        "periodic_tasks": list(PeriodicTask.objects.order_by("pk").values("name", "enabled", "crontab_id", "args")),
        "employees": list(Employee.objects.order_by("pk").values()),
        "outbox": list(OutboxEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


@contextmanager
def nothing_changes():
    before = hrms_state()
    yield
    assert hrms_state() == before

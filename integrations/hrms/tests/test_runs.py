"""Runs against the fake vendors: a first run creates everyone with a wallet, an identical run changes
nothing, records in error are reported and left alone, pages are fetched one per chunk, and each run ends
with one hrms_sync.completed. Joiners, movers and leavers per vendor: test_run_vendors.py."""

from datetime import date

import pytest

from integrations.hrms.models import Run, RunPage
from integrations.hrms.tests.factories import (
    RUN_DOCUMENT,
    create_connection,
    employee_events,
    employees,
    start_run,
    sync_events,
)
from integrations.hrms.tests.fakes import make_person

pytestmark = pytest.mark.django_db
COUNTS = ("fetched", "created", "updated", "deactivated", "unchanged", "errors_total")


def counts(run: dict) -> dict:
    return {name: run[name] for name in COUNTS}


def test_a_first_run_creates_everyone_with_a_wallet(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    connection = create_connection(api, fake_successfactors.connection())

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert set(run) == RUN_DOCUMENT
    assert run["status"] == "completed" and run["error"] == "" and run["errors"] == []
    assert counts(run) == dict(fetched=5, created=5, updated=0, deactivated=0, unchanged=0, errors_total=0)
    assert run["trigger"] == "api" and run["mode"] == "full" and run["started_at"] <= run["finished_at"]
    stored = employees(tenant.organisation)
    assert sorted(stored) == ["E000001", "E000002", "E000003", "E000004", "E000005"]
    assert stored["E000002"] == {
        "employee_id": "E000002",
        "email": "chloe.2@acme.example",
        "first_name": "Chloe",
        "last_name": "Patel",
        "status": "active",
        "role": "Analyst",
        "department": "Finance",
        "country": "IN",
        "hire_date": date(2020, 1, 3),
        "exit_date": None,
        "business_unit__code": "BU3",
        "cost_centre__code": "CC102",
        "manager__employee_id": "E000001",
    }
    assert employee_events(tenant.organisation) == [("employee.created", e) for e in sorted(stored)]
    wallet = api.get("/api/v1/wallets/E000005/")
    assert (wallet.status_code, wallet.json()["balance"]) == (200, 0)
    assert sync_events(tenant.organisation) == [run]
    assert RunPage.objects.count() == 0


def test_an_identical_second_run_changes_nothing(api, tenant, fake_successfactors, django_capture_on_commit_callbacks):
    connection = create_connection(api, fake_successfactors.connection())
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    before, events_before = employees(tenant.organisation), employee_events(tenant.organisation)

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert counts(run) == dict(fetched=5, created=0, updated=0, deactivated=0, unchanged=5, errors_total=0)
    assert employees(tenant.organisation) == before
    assert employee_events(tenant.organisation) == events_before
    assert [e["id"] for e in sync_events(tenant.organisation)] == [
        r["id"] for r in reversed(api.get(f"/api/v1/integrations/hrms/{connection['id']}/runs/").json()["results"])
    ]


def test_records_in_error_are_reported_counted_once_and_neither_applied_nor_deactivated(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    """A value the vendor module cannot read (a hire date) and one the employee sync refuses (an email): both
    people are fetched, reported, left as they were, and not taken for leavers by the full run."""
    connection = create_connection(api, fake_successfactors.connection())
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    before = employees(tenant.organisation)
    fake_successfactors.people[1].update(role="Director", vendor_fields={"hireDate": "31/31/2020"})
    fake_successfactors.people[2].update(role="Director", email="not-an-email")
    fake_successfactors.people[3]["role"] = "Director"

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert run["status"] == "completed"
    assert counts(run) == dict(fetched=5, created=0, updated=1, deactivated=0, unchanged=2, errors_total=2)
    assert (run["active_before"], run["would_deactivate"]) == (5, 0)
    assert sorted((e["employee_id"], e["field"], e["code"]) for e in run["errors"]) == [
        ("E000002", "hire_date", "invalid"),
        ("E000003", "email", "invalid"),
    ]
    assert "hireDate: '31/31/2020' is not a date" in {e["employee_id"]: e for e in run["errors"]}["E000002"]["message"]
    assert set(run["errors"][0]) == {"employee_id", "field", "code", "message"}
    stored = employees(tenant.organisation)
    assert stored["E000002"] == before["E000002"] and stored["E000003"] == before["E000003"]
    assert stored["E000004"]["role"] == "Director"


def test_pages_are_fetched_one_per_chunk_and_applied_together(
    api, tenant, fake_workday_workers, django_capture_on_commit_callbacks
):
    fake_workday_workers.people = [make_person(i) for i in range(1, 251)]
    connection = create_connection(api, fake_workday_workers.connection())

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert counts(run) == dict(fetched=250, created=250, updated=0, deactivated=0, unchanged=0, errors_total=0)
    assert [r.page for r in fake_workday_workers.data_requests] == [1, 2, 3]
    stored = Run.objects.get(pk=run["id"])
    assert (stored.pages, stored.total, stored.processed, stored.phase) == (3, 250, 250, "applied")


def test_the_connection_shows_its_last_run(api, fake_successfactors, django_capture_on_commit_callbacks):
    connection = create_connection(api, fake_successfactors.connection())
    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    shown = api.get(f"/api/v1/integrations/hrms/{connection['id']}/").json()["last_run"]

    assert shown == {k: v for k, v in run.items() if k != "errors"}

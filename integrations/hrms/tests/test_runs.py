"""Runs against the fake vendors: joiners get an employee and a wallet, movers' business unit, cost centre,
role and manager follow, leavers are deactivated with their exit date (SuccessFactors inactive status,
Darwinbox's inactive dataset, absence from a full run); every change emits its employee event, an
identical run changes nothing, and each run ends with one hrms_sync.completed."""

from datetime import date

import pytest

from integrations.hrms.models import Run, RunPage
from integrations.hrms.tests.factories import (
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


def test_joiners_movers_and_leavers_follow_and_each_change_emits_its_event(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    connection = create_connection(api, fake_successfactors.connection(max_deactivation_ratio=0.5))
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    before_events = len(employee_events(tenant.organisation))
    people = {p["employee_id"]: p for p in fake_successfactors.people}
    people["E000003"].update(business_unit="BU9", cost_centre="CC900", role="Team lead", manager="E000002")
    people["E000004"].update(status="inactive", exit_date="2026-06-30")
    del people["E000005"]  # absent from a full run: a leaver too
    fake_successfactors.people = [*people.values(), make_person(6), make_person(7)]

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert counts(run) == dict(fetched=6, created=2, updated=1, deactivated=2, unchanged=2, errors_total=0)
    assert (run["active_before"], run["would_deactivate"]) == (5, 2)
    stored = employees(tenant.organisation)
    mover = stored["E000003"]
    assert (mover["business_unit__code"], mover["cost_centre__code"], mover["role"], mover["manager__employee_id"]) == (
        "BU9",
        "CC900",
        "Team lead",
        "E000002",
    )
    assert (stored["E000004"]["status"], stored["E000004"]["exit_date"]) == ("inactive", date(2026, 6, 30))
    assert (stored["E000005"]["status"], stored["E000005"]["exit_date"]) == ("inactive", None)
    assert stored["E000006"]["status"] == stored["E000007"]["status"] == "active"
    assert sorted(employee_events(tenant.organisation)[before_events:]) == [
        ("employee.created", "E000006"),
        ("employee.created", "E000007"),
        ("employee.deactivated", "E000004"),
        ("employee.deactivated", "E000005"),
        ("employee.updated", "E000003"),
    ]
    leaver = api.get("/api/v1/employees/E000004/").json()
    assert (leaver["status"], leaver["exit_date"]) == ("inactive", "2026-06-30")
    assert api.get("/api/v1/wallets/E000004/").status_code == 200  # the leaver keeps the wallet's history


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


def test_darwinbox_leavers_come_from_the_inactive_dataset_with_their_exit_date(
    api, tenant, fake_darwinbox, django_capture_on_commit_callbacks
):
    connection = create_connection(api, fake_darwinbox.connection(max_deactivation_ratio=0.5))
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    fake_darwinbox.people[1].update(status="inactive", exit_date="2026-03-31")

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert counts(run) == dict(fetched=5, created=0, updated=0, deactivated=1, unchanged=4, errors_total=0)
    leaver = employees(tenant.organisation)["E000002"]
    assert (leaver["status"], leaver["exit_date"]) == ("inactive", date(2026, 3, 31))
    assert employee_events(tenant.organisation)[-1] == ("employee.deactivated", "E000002")


def test_records_the_vendor_cannot_map_are_reported_and_the_others_applied(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    fake_successfactors.people[2]["email"] = "not-an-email"
    connection = create_connection(api, fake_successfactors.connection())

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert run["status"] == "completed"
    assert counts(run) == dict(fetched=5, created=4, updated=0, deactivated=0, unchanged=0, errors_total=1)
    assert [(e["employee_id"], e["field"], e["code"]) for e in run["errors"]] == [("E000003", "email", "invalid")]
    assert "E000003" not in employees(tenant.organisation)


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

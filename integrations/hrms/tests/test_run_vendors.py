"""Joiners, movers and leavers through each vendor end to end (SuccessFactors, Workday RaaS, Darwinbox; the
Workday workers collection carries less): every person fetched lands as the same employee whatever the
vendor's format, joiners get a wallet at once, movers' business unit, cost centre, role and manager follow,
leavers are deactivated with their exit date and keep their history, every change emits its employee
event, each run stores a watermark, and the counts add up."""

from datetime import date

import pytest

from integrations.hrms.models import Connection
from integrations.hrms.tests.factories import create_connection, employee_events, employees, start_run
from integrations.hrms.tests.fakes import make_person
from points.tests.factories import balance, make_programme, submit

pytestmark = pytest.mark.django_db
VENDORS = ["fake_successfactors", "fake_workday_raas", "fake_darwinbox"]
COUNTS = ("fetched", "created", "updated", "deactivated", "unchanged", "errors_total")


def counts(run: dict) -> dict:
    return {name: run[name] for name in COUNTS}


def employee_of(person: dict) -> dict:
    """The stored employee a vendor's record of `person` must become (factories.employees' shape)."""
    return {
        "employee_id": person["employee_id"],
        "email": person["email"],
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "status": person["status"],
        "role": person["role"],
        "department": person["department"],
        "country": person["country"],
        "hire_date": date.fromisoformat(person["hire_date"]),
        "exit_date": date.fromisoformat(person["exit_date"]) if person["exit_date"] else None,
        "business_unit__code": person["business_unit"],
        "cost_centre__code": person["cost_centre"],
        "manager__employee_id": person["manager"],
    }


def watermark(connection_id) -> str:
    return Connection.objects.get(pk=connection_id).watermark


@pytest.mark.parametrize("vendor", VENDORS)
def test_joiners_movers_and_leavers_of_each_vendor(api, tenant, vendor, request, django_capture_on_commit_callbacks):
    fake = request.getfixturevalue(vendor)
    connection = create_connection(api, fake.connection(max_deactivation_ratio=0.5))
    first = start_run(api, connection["id"], django_capture_on_commit_callbacks)
    assert counts(first) == dict(fetched=5, created=5, updated=0, deactivated=0, unchanged=0, errors_total=0)
    assert employees(tenant.organisation) == {p["employee_id"]: employee_of(p) for p in fake.people}
    assert all(api.get(f"/api/v1/wallets/E00000{n}/").json()["balance"] == 0 for n in range(1, 6))
    first_watermark = watermark(connection["id"])
    assert first_watermark  # every completed run stores one
    make_programme(tenant, "P1", budget=1_000)
    assert submit(tenant, employee_id="E000004", points=250).status == "credited"  # the leaver's history
    events_before = len(employee_events(tenant.organisation))

    people = {p["employee_id"]: p for p in fake.people}
    people["E000003"].update(business_unit="BU9", cost_centre="CC900", role="Team lead", manager="E000002")
    people["E000004"].update(status="inactive", exit_date="2026-06-30", last_modified="2026-02-01T00:00:00")
    absent = people.pop("E000005")  # absent from a full run: a leaver too, without an exit date
    fake.people = [*people.values(), make_person(6), make_person(7)]

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    # six people fetched, each counted once; the absent one is a deactivation the feed did not list
    assert counts(run) == dict(fetched=6, created=2, updated=1, deactivated=2, unchanged=2, errors_total=0)
    assert run["status"] == "completed" and (run["active_before"], run["would_deactivate"]) == (5, 2)
    stored = employees(tenant.organisation)
    assert stored == {
        **{p["employee_id"]: employee_of(p) for p in fake.people},
        "E000005": employee_of(absent) | {"status": "inactive"},
    }
    assert sorted(employee_events(tenant.organisation)[events_before:]) == [
        ("employee.created", "E000006"),
        ("employee.created", "E000007"),
        ("employee.deactivated", "E000004"),
        ("employee.deactivated", "E000005"),
        ("employee.updated", "E000003"),
    ]
    for joiner in ("E000006", "E000007"):
        wallet = api.get(f"/api/v1/wallets/{joiner}/")
        assert (wallet.status_code, wallet.json()["balance"]) == (200, 0)
    leaver = api.get("/api/v1/employees/E000004/").json()
    assert (leaver["status"], leaver["exit_date"]) == ("inactive", "2026-06-30")
    assert balance(tenant, "E000004") == 250  # the leaver keeps the wallet and its history
    assert watermark(connection["id"]) >= first_watermark


def test_the_workday_workers_collection_brings_joiners_movers_and_leavers_by_absence(
    api, tenant, fake_workday_workers, django_capture_on_commit_callbacks
):
    """The collection lists active workers only, without cost centre, country, manager or dates."""
    connection = create_connection(api, fake_workday_workers.connection(max_deactivation_ratio=0.5))
    start_run(api, connection["id"], django_capture_on_commit_callbacks)
    events_before = len(employee_events(tenant.organisation))
    people = {p["employee_id"]: p for p in fake_workday_workers.people}
    people["E000003"].update(role="Team lead", department="Sales")
    people["E000004"].update(status="inactive")  # not listed any more
    fake_workday_workers.people = [*people.values(), make_person(6)]

    run = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    assert counts(run) == dict(fetched=5, created=1, updated=1, deactivated=1, unchanged=3, errors_total=0)
    stored = employees(tenant.organisation)
    assert (stored["E000003"]["role"], stored["E000003"]["department"]) == ("Team lead", "Sales")
    assert (stored["E000004"]["status"], stored["E000006"]["status"]) == ("inactive", "active")
    assert (stored["E000006"]["first_name"], stored["E000006"]["last_name"]) == ("Grace", "Patel")
    assert api.get("/api/v1/wallets/E000006/").json()["balance"] == 0
    assert sorted(employee_events(tenant.organisation)[events_before:]) == [
        ("employee.created", "E000006"),
        ("employee.deactivated", "E000004"),
        ("employee.updated", "E000003"),
    ]

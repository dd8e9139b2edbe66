"""Many starts of one connection at once (an impatient integrator, the admin and beat together): exactly one
run, every other start 409 run_in_progress. Threads with their own PostgreSQL connections released
together; the naive variant without the partial unique index starts them all, so the harness sees races.
Two organisations' connections run at once, each on its own employees (with real Celery workers too:
test_worker_runs.py)."""

import pytest
from django.db import connection as db

from integrations.hrms.models import Run
from integrations.hrms.tests.factories import HRMS, employee_events, employees, make_connection
from integrations.hrms.tests.fakes import FakeSuccessFactors, make_people
from points.tests.ledger_support import run_parallel

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
STARTS = 6


def start_in_parallel(tenant, connection) -> list[int]:
    clients = [tenant.api() for _ in range(STARTS)]
    answers = run_parallel([lambda c=c: c.post(f"{HRMS}{connection.pk}/sync/") for c in clients], STARTS)
    return sorted(a.status_code for a in answers)


def test_parallel_starts_make_exactly_one_run(tenant, fake_successfactors):
    fake_successfactors.slow_seconds = 0.5  # the winner's run is still fetching while the others try
    connection = make_connection(tenant.organisation, fake_successfactors)

    assert start_in_parallel(tenant, connection) == [202] + [409] * (STARTS - 1)

    run = Run.objects.get(connection=connection)
    assert (run.status, run.created) == ("completed", 5)  # run in-process by the winner, after its commit


def test_without_the_unique_index_every_start_makes_a_run(tenant, fake_successfactors):
    """The harness sees the race: the connection's lock only serialises the starts, the index decides."""
    fake_successfactors.slow_seconds = 0.5
    connection = make_connection(tenant.organisation, fake_successfactors)
    (one_at_a_time,) = [c for c in Run._meta.constraints if c.name == "hrms_one_run_at_a_time"]
    with db.schema_editor() as editor:
        editor.remove_constraint(Run, one_at_a_time)
    try:
        assert start_in_parallel(tenant, connection) == [202] * STARTS
        assert Run.objects.filter(connection=connection).count() == STARTS
    finally:
        Run.objects.all().delete()
        with db.schema_editor() as editor:
            editor.add_constraint(Run, one_at_a_time)


def test_two_organisations_run_at_once_each_on_its_own_employees(make_tenant, vendor_server):
    """The same employee ids in both feeds; the runs work in the threads that started them, after commit."""
    tenants = [make_tenant("acme"), make_tenant("globex")]
    fakes = [
        FakeSuccessFactors(vendor_server, people=make_people(40), page_size=10, prefix="/acme", slow_seconds=0.1),
        FakeSuccessFactors(vendor_server, people=make_people(30), page_size=10, prefix="/globex", slow_seconds=0.1),
    ]
    for person in fakes[1].people:
        person["last_name"] = "Globex"
    connections = [make_connection(t.organisation, f) for t, f in zip(tenants, fakes, strict=True)]
    starts = [lambda t=t, c=c: t.api().post(f"{HRMS}{c.pk}/sync/") for t, c in zip(tenants, connections, strict=True)]

    assert [answer.status_code for answer in run_parallel(starts, 2)] == [202, 202]

    runs = [Run.objects.get(connection=c) for c in connections]
    assert [(r.status, r.fetched, r.created, r.pages) for r in runs] == [
        ("completed", 40, 40, 4),
        ("completed", 30, 30, 3),
    ]
    acme, globex = (employees(t.organisation) for t in tenants)
    assert (len(acme), len(globex)) == (40, 30)
    assert {row["last_name"] for row in globex.values()} == {"Globex"}
    assert "Globex" not in {row["last_name"] for row in acme.values()}
    assert [len(employee_events(t.organisation)) for t in tenants] == [40, 30]
    # at once: each fake was still answering pages while the other was
    spans = [(f.data_requests[0].received_at, f.data_requests[-1].answered_at) for f in fakes]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]

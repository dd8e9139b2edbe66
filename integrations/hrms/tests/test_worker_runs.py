"""Runs through real Celery worker processes and Redis: two connections of two organisations, holding the
same employee ids, run at once, and each changes only its own organisation."""

import pytest

from integrations.hrms import services
from integrations.hrms.commands import ConnectionRef
from integrations.hrms.models import Run
from integrations.hrms.tests.factories import employee_events, employees, make_connection
from integrations.hrms.tests.fakes import FakeSuccessFactors, make_people
from plum.core.actor import Actor
from points.tests import worker_support
from points.tests.worker_support import needs_redis, wait_until

pytestmark = [needs_redis, pytest.mark.django_db(transaction=True)]
broker, workers = worker_support.broker, worker_support.workers  # the shared fixtures


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    monkeypatch.setenv("PLUM_OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8")  # the workers read it from the environment


def test_two_organisations_run_at_once_each_on_its_own_employees(make_tenant, broker, workers, vendor_server):
    tenants = [make_tenant("acme"), make_tenant("globex")]
    fakes = [
        FakeSuccessFactors(vendor_server, people=make_people(120), page_size=30, prefix="/acme", slow_seconds=0.2),
        FakeSuccessFactors(vendor_server, people=make_people(90), page_size=30, prefix="/globex", slow_seconds=0.2),
    ]
    for person in fakes[1].people:
        person["last_name"] = "Globex"
    connections = [make_connection(t.organisation, f) for t, f in zip(tenants, fakes, strict=True)]
    for tenant, connection in zip(tenants, connections, strict=True):
        actor = Actor.system(tenant.organisation.pk, "tests")
        services.run_start(actor=actor, command=ConnectionRef(connection_id=str(connection.pk)))

    worker = workers("hrms")
    wait_until(
        lambda: sorted(Run.objects.values_list("status", flat=True)) == ["completed", "completed"],
        60,
        "both runs completed",
        worker,
    )

    acme, globex = (employees(t.organisation) for t in tenants)
    assert (len(acme), len(globex)) == (120, 90)
    assert {row["last_name"] for row in globex.values()} == {"Globex"}
    assert "Globex" not in {row["last_name"] for row in acme.values()}
    assert [len(employee_events(t.organisation)) for t in tenants] == [120, 90]
    runs = [Run.objects.get(connection=c) for c in connections]
    assert [(r.fetched, r.created, r.pages) for r in runs] == [(120, 120, 4), (90, 90, 3)]
    # at once: each fake was still answering pages while the other was
    spans = [(f.data_requests[0].received_at, f.data_requests[-1].answered_at) for f in fakes]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]

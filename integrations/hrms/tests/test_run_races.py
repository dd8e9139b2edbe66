"""Many starts of one connection at once (an impatient integrator, the admin and beat together): exactly one
run, every other start 409 run_in_progress. Threads with their own PostgreSQL connections released
together; the naive variant without the partial unique index starts them all, so the harness sees races."""

import pytest
from django.db import connection as db

from integrations.hrms.models import Run
from integrations.hrms.tests.factories import HRMS, make_connection
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

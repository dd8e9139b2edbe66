"""A run's life outside the happy path: one at a time per connection, an inactive connection is not run,
a connection with a run in progress is not deleted, a held run is discarded, a worker dying mid-apply
leaves nothing applied (the next attempt applies once), and the last attempt the runner allows ends the
run cleanly."""

from datetime import timedelta

import pytest
from django.db import connection as db

from integrations.hrms import services
from integrations.hrms.commands import ConnectionRef, RunRef
from integrations.hrms.errors import HrmsError
from integrations.hrms.models import Run, RunPage
from integrations.hrms.tests.factories import (
    HRMS,
    create_connection,
    employee_events,
    employees,
    make_connection,
    nothing_changes,
    start_run,
    sync_events,
)
from integrations.hrms.tests.fakes import make_people
from plum.core import jobs
from plum.core.actor import Actor
from tests.support import assert_problem

pytestmark = pytest.mark.django_db

# A fault in the database, after the sync has written its rows: the apply's transaction rolls back whole.
FAULT = """
CREATE FUNCTION hrms_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'worker died mid-apply'; END $$;
CREATE TRIGGER hrms_test_fault BEFORE UPDATE OF phase ON integrations_hrms_run
FOR EACH ROW WHEN (NEW.phase = 'applied') EXECUTE FUNCTION hrms_test_fault();
"""


def queued_run(tenant, fake, capture) -> Run:
    """A run started by the service whose message is not sent: the test works it with jobs.run."""
    connection = make_connection(tenant.organisation, fake)
    with capture(execute=False):
        return services.run_start(
            actor=Actor.system(tenant.organisation.pk, "tests"), command=ConnectionRef(connection_id=str(connection.pk))
        )


def test_a_second_start_while_a_run_is_in_progress_is_409(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = queued_run(tenant, fake_successfactors, django_capture_on_commit_callbacks)
    for status in ("queued", "processing"):
        Run.objects.filter(pk=run.pk).update(status=status)
        with nothing_changes():
            response = api.post(f"{HRMS}{run.connection_id}/sync/")
        assert_problem(response, 409, "run_in_progress")


def held(api, fake, capture) -> tuple[dict, dict]:
    """A connection whose second run, seeing a tenth of the first's people, waits for confirmation."""
    fake.people = make_people(10)
    connection = create_connection(api, fake.connection())
    start_run(api, connection["id"], capture)
    fake.people = fake.people[:1]
    run = start_run(api, connection["id"], capture)
    assert run["status"] == "needs_confirmation"
    return connection, run


def test_a_new_start_replaces_a_held_run_and_applies_nothing_of_it(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    """A client cannot discard a held run; starting another is its way out (beat's start is not: see
    test_schedule)."""
    connection, first = held(api, fake_successfactors, django_capture_on_commit_callbacks)
    before = employees(tenant.organisation), employee_events(tenant.organisation)
    fake_successfactors.people = make_people(10)  # the vendor's feed is whole again

    second = start_run(api, connection["id"], django_capture_on_commit_callbacks)

    replaced = api.get(f"{HRMS}{connection['id']}/runs/{first['id']}/").json()
    assert (replaced["status"], replaced["deactivated"]) == ("failed", 0)
    assert replaced["error"].startswith("Replaced by a new run started by ")
    assert (second["status"], second["unchanged"], second["deactivated"]) == ("completed", 10, 0)
    assert (employees(tenant.organisation), employee_events(tenant.organisation)) == before
    assert RunPage.objects.count() == 0
    assert [e["status"] for e in sync_events(tenant.organisation)] == [
        "completed",
        "needs_confirmation",
        "failed",
        "completed",
    ]


def test_an_inactive_connection_is_not_run(api, fake_successfactors):
    connection = create_connection(api, fake_successfactors.connection(active=False))
    with nothing_changes():
        assert_problem(api.post(f"{HRMS}{connection['id']}/sync/"), 409, "connection_inactive")


def test_a_connection_with_a_run_in_progress_is_not_deleted(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = queued_run(tenant, fake_successfactors, django_capture_on_commit_callbacks)
    with nothing_changes():
        assert_problem(api.delete(f"{HRMS}{run.connection_id}/"), 409, "run_in_progress")
    Run.objects.filter(pk=run.pk).update(status="completed")
    assert api.delete(f"{HRMS}{run.connection_id}/").status_code == 204
    assert not Run.objects.exists()


def test_a_held_run_is_discarded_and_nothing_is_applied(
    api, tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    connection, held_run = held(api, fake_successfactors, django_capture_on_commit_callbacks)
    before = employees(tenant.organisation), employee_events(tenant.organisation)
    staff = Actor.staff(tenant.organisation.pk, 1, "staff:olivia")

    run = services.run_discard(actor=staff, command=RunRef(connection_id=connection["id"], run_id=held_run["id"]))

    assert (run.status, run.error) == ("failed", "Discarded by olivia.")
    assert (employees(tenant.organisation), employee_events(tenant.organisation)) == before
    assert RunPage.objects.count() == 0
    assert sync_events(tenant.organisation)[-1]["status"] == "failed"
    with pytest.raises(HrmsError) as refused:
        services.run_discard(actor=staff, command=RunRef(connection_id=connection["id"], run_id=held_run["id"]))
    assert refused.value.code == "run_not_awaiting_confirmation"


def test_a_worker_dying_mid_apply_leaves_nothing_applied_and_the_next_attempt_applies_once(
    tenant, fake_successfactors, django_capture_on_commit_callbacks
):
    run = queued_run(tenant, fake_successfactors, django_capture_on_commit_callbacks)
    with db.cursor() as cursor:
        cursor.execute(FAULT)

    with pytest.raises(jobs.ChunkFailed) as failed:
        jobs.run(services.RUN_JOBS, run.pk)

    assert failed.value.final is False
    run.refresh_from_db()
    assert (run.status, run.phase, run.fetched, run.failures, run.processed) == ("processing", "fetched", 5, 1, 0)
    assert "worker died mid-apply" in run.last_error
    assert RunPage.objects.filter(run=run).count() == 1  # the fetched page waits for the next attempt
    assert employees(tenant.organisation) == {} and employee_events(tenant.organisation) == []

    with db.cursor() as cursor:
        cursor.execute("DROP TRIGGER hrms_test_fault ON integrations_hrms_run")
    assert jobs.run(services.RUN_JOBS, run.pk) is False

    run.refresh_from_db()
    assert (run.status, run.created, run.processed, run.failures) == ("completed", 5, 5, 0)
    assert len(employee_events(tenant.organisation)) == 5
    assert [e["status"] for e in sync_events(tenant.organisation)] == ["completed"]


def test_the_last_attempt_ends_the_run_cleanly(tenant, fake_successfactors, django_capture_on_commit_callbacks):
    run = queued_run(tenant, fake_successfactors, django_capture_on_commit_callbacks)
    with db.cursor() as cursor:
        cursor.execute(FAULT)
    for attempt in range(1, services.RUN_JOBS.max_failures):
        with pytest.raises(jobs.ChunkFailed) as failed:
            jobs.run(services.RUN_JOBS, run.pk)
        assert (failed.value.failures, failed.value.final) == (attempt, False)

    assert jobs.run(services.RUN_JOBS, run.pk) is False

    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("Plum could not process this run")
    assert "worker died mid-apply" in run.error
    assert RunPage.objects.count() == 0 and employees(tenant.organisation) == {}
    assert [e["status"] for e in sync_events(tenant.organisation)] == ["failed"]


def test_the_sweeper_leaves_held_runs_alone(tenant, fake_successfactors, django_capture_on_commit_callbacks):
    run = queued_run(tenant, fake_successfactors, django_capture_on_commit_callbacks)
    Run.objects.filter(pk=run.pk).update(status="needs_confirmation")
    assert jobs.sweep(services.RUN_JOBS, stale_after=timedelta(0)) == []

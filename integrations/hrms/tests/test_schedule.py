"""A connection's cron schedule is a django_celery_beat PeriodicTask written with the connection (created,
changed, disabled while inactive, removed), beat's DatabaseScheduler picks it up without a restart, and
scheduled_run_task starts a run unless one is in progress."""

import json
import logging

import pytest
from celery import current_app as app
from celery.schedules import crontab
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from integrations.hrms.models import Run
from integrations.hrms.tasks import scheduled_run_task
from integrations.hrms.tests.factories import HRMS, create_connection, make_connection, nothing_changes, sync_events

pytestmark = pytest.mark.django_db


def periodic_task(connection_id) -> dict | None:
    task = PeriodicTask.objects.select_related("crontab").filter(name=f"hrms:{connection_id}").first()
    if task is None:
        return None
    cron = task.crontab
    return {
        "task": task.task,
        "args": json.loads(task.args),
        "enabled": task.enabled,
        "cron": " ".join([cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week]),
        "timezone": str(cron.timezone),
    }


def test_the_schedule_follows_the_connection(api, fake_successfactors):
    connection = create_connection(api, fake_successfactors.connection(schedule=" 15  3 * * 1-5 "))
    path = f"{HRMS}{connection['id']}/"
    expected = {
        "task": "integrations.hrms.tasks.scheduled_run_task",
        "args": [connection["id"]],
        "enabled": True,
        "cron": "15 3 * * 1-5",
        "timezone": "UTC",
    }
    assert connection["schedule"] == "15 3 * * 1-5"
    assert periodic_task(connection["id"]) == expected

    api.patch(path, {"schedule": "*/30 * * * *"}, format="json")
    assert periodic_task(connection["id"]) == {**expected, "cron": "*/30 * * * *"}

    api.patch(path, {"active": False}, format="json")
    assert periodic_task(connection["id"]) == {**expected, "cron": "*/30 * * * *", "enabled": False}

    api.patch(path, {"active": True}, format="json")
    assert periodic_task(connection["id"])["enabled"] is True

    api.patch(path, {"schedule": ""}, format="json")
    assert periodic_task(connection["id"]) is None

    api.patch(path, {"schedule": "0 1 * * *"}, format="json")
    assert api.delete(path).status_code == 204
    assert not PeriodicTask.objects.filter(name__startswith="hrms:").exists()


def test_a_connection_without_schedule_has_no_periodic_task(api, fake_successfactors):
    connection = create_connection(api, fake_successfactors.connection())
    assert periodic_task(connection["id"]) is None


def test_the_scheduled_task_starts_a_run(tenant, fake_successfactors, django_capture_on_commit_callbacks):
    connection = make_connection(tenant.organisation, fake_successfactors, schedule="0 2 * * *")

    with django_capture_on_commit_callbacks(execute=True):
        run_id = scheduled_run_task(str(connection.pk))

    run = Run.objects.get(pk=run_id)
    assert (run.trigger, run.status, run.created, run.created_by) == ("schedule", "completed", 5, "schedule")
    assert [e["id"] for e in sync_events(tenant.organisation)] == [run_id]


@pytest.mark.parametrize("status", ["queued", "needs_confirmation"])
def test_a_scheduled_start_while_a_run_is_in_progress_or_held_is_skipped_and_logged(
    tenant, fake_successfactors, django_capture_on_commit_callbacks, caplog, status
):
    """Beat never replaces a held run: it waits for someone to confirm it or start another."""
    connection = make_connection(tenant.organisation, fake_successfactors, schedule="0 2 * * *")
    with django_capture_on_commit_callbacks(execute=False):
        first = scheduled_run_task(str(connection.pk))
    Run.objects.filter(pk=first).update(status=status)

    with nothing_changes(), caplog.at_level(logging.INFO, logger="integrations.hrms.services.runs"):
        assert scheduled_run_task(str(connection.pk)) is None

    assert str(Run.objects.get().pk) == first
    assert "scheduled run skipped, a run is in progress" in caplog.text


@pytest.mark.parametrize("state", ["inactive", "unscheduled", "deleted", "not-a-uuid"])
def test_a_scheduled_start_of_a_connection_that_should_not_run_starts_nothing(tenant, fake_successfactors, state):
    connection = make_connection(tenant.organisation, fake_successfactors, schedule="0 2 * * *")
    connection_id = str(connection.pk)
    if state == "inactive":
        connection.active = False
        connection.save()
    elif state == "unscheduled":
        connection.schedule = ""
        connection.save()
    elif state == "deleted":
        connection.delete()
    else:
        connection_id = state
    with nothing_changes():
        assert scheduled_run_task(connection_id) is None


@pytest.mark.django_db(transaction=True)
def test_beat_picks_up_a_new_schedule_without_a_restart(tenant, fake_successfactors):
    beat = DatabaseScheduler(app=app)
    assert not any(name.startswith("hrms:") for name in beat.schedule)
    assert not any(name.startswith("hrms:") for name in beat.schedule)  # a tick: beat notes the last change

    connection = make_connection(
        tenant.organisation, fake_successfactors, schedule="45 * * * 1-5"
    )  # beat loads fixed hours near now only

    entry = beat.schedule[f"hrms:{connection.pk}"]
    assert (entry.task, entry.args) == ("integrations.hrms.tasks.scheduled_run_task", [str(connection.pk)])
    assert isinstance(entry.schedule, crontab)
    assert (entry.schedule.minute, entry.schedule.day_of_week) == ({45}, {1, 2, 3, 4, 5})

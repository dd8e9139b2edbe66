"""A connection's cron schedule as a django_celery_beat PeriodicTask, written in the connection's
transaction: beat (DatabaseScheduler) sees new, changed and removed schedules without a restart."""

import json

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from integrations.hrms.commands import cron_fields
from integrations.hrms.models import Connection

SCHEDULED_RUN_TASK = "integrations.hrms.tasks.scheduled_run_task"


def periodic_task_name(connection_id) -> str:
    return f"hrms:{connection_id}"


def schedule_save(connection: Connection) -> None:
    """Create, change or remove the connection's PeriodicTask; it is enabled only while the connection is
    active. Saved one by one (not with update()) so that beat is told of the change."""
    name = periodic_task_name(connection.pk)
    if not connection.schedule:
        schedule_delete(connection.pk)
        return
    fields = cron_fields(connection.schedule)
    crontab = CrontabSchedule.objects.filter(timezone="UTC", **fields).order_by("pk").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(timezone="UTC", **fields)
    task = PeriodicTask.objects.select_for_update().filter(name=name).first() or PeriodicTask(name=name)
    task.task, task.crontab, task.interval = SCHEDULED_RUN_TASK, crontab, None
    task.args, task.kwargs = json.dumps([str(connection.pk)]), "{}"
    task.enabled = connection.active
    task.description = f"HRMS pull: {connection.get_provider_display()} for {connection.organisation_id}"
    task.save()


def schedule_delete(connection_id) -> None:
    for task in PeriodicTask.objects.filter(name=periodic_task_name(connection_id)):
        task.delete()  # one by one: the delete signal tells beat

"""Celery tasks of HRMS connections. A run itself goes through plum.core.jobs (run_job, the sweeper)."""

from celery import shared_task

from integrations.hrms import services


@shared_task(name="integrations.hrms.tasks.scheduled_run_task")
def scheduled_run_task(connection_id: str) -> str | None:
    """What beat sends on a connection's cron (its PeriodicTask): starts a run unless one is in progress.
    Answers the run's id, or None when skipped."""
    run = services.run_start_scheduled(connection_id)
    return None if run is None else str(run.pk)

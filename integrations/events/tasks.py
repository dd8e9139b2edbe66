"""Celery tasks of events: each calls one service and is safe to run twice (or at once on two workers)."""

from celery import shared_task

from integrations.events import services


@shared_task(name="integrations.events.tasks.raise_anniversaries_task")
def raise_anniversaries_task() -> int:
    """Hourly (plum/celery.py): today's work anniversaries as employee.anniversary events, once each."""
    return services.anniversaries_raise()

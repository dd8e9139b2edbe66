"""Celery tasks of the reports: each calls one service and is safe to run twice (or at once)."""

from celery import shared_task

from reports import services


@shared_task
def fold_points_deltas_task() -> int:
    return services.points_deltas_fold()


@shared_task
def reconcile_reports_task() -> int:
    return len(services.reports_reconcile())

"""Celery tasks of the points app: each takes ids, calls one service and is safe to run twice.

Batches run through the job runner's one task (plum.core.jobs.run_job); the two batch tasks below only
forward messages sent under their names before it (queued in Redis during an upgrade)."""

from celery import shared_task

from plum.core import jobs
from points import services
from points.services.batches import BATCH_JOBS


@shared_task
def points_batch_process_task(batch_id: str, chunk_size: int | None = None) -> None:
    jobs.run_job.delay(BATCH_JOBS.name, batch_id, chunk_size)


@shared_task
def points_batches_sweep_task() -> int:
    return len(services.points_batches_sweep())


@shared_task
def expire_lots_task() -> int:
    return services.lots_expire()


@shared_task
def reconcile_ledger_task() -> int:
    return len(services.ledger_reconcile())

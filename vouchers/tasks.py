"""Celery tasks of the vouchers app: each takes ids, calls one service and is safe to run twice.

Campaigns run through the job runner's one task (plum.core.jobs.run_job); the two campaign tasks below
only forward messages sent under their names before it (queued in Redis during an upgrade)."""

from celery import shared_task

from plum.core import jobs
from vouchers import services
from vouchers.services.jobs import CAMPAIGN_JOBS


@shared_task
def campaign_process_task(campaign_id: str, chunk_size: int | None = None) -> None:
    jobs.run_job.delay(CAMPAIGN_JOBS.name, campaign_id, chunk_size)


@shared_task
def campaigns_sweep_task() -> int:
    return len(services.campaigns_sweep())


@shared_task
def expire_vouchers_task() -> int:
    """Expire in runs of up to 1,000 until none is due."""
    total = 0
    while (marked := services.vouchers_expire()) > 0:
        total += marked
    return total


@shared_task
def reconcile_stock_task() -> int:
    """Codes issued = vouchers from stock; answers the number of codes that disagree (each logged)."""
    return len(services.stock_reconcile())

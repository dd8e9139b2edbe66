"""Celery tasks of the vouchers app: each takes ids, calls one service and is safe to run twice."""

from celery import shared_task

from vouchers import services

# A task gives the worker back after this long and queues its own continuation.
PROCESS_SECONDS = 60.0


@shared_task(bind=True, max_retries=None)
def campaign_process_task(self, campaign_id: str, chunk_size: int | None = None) -> None:
    options = {"chunk_size": chunk_size} if chunk_size else {}
    try:
        more = services.campaign_process(campaign_id, max_seconds=PROCESS_SECONDS, **options)
    except services.ChunkFailed as exc:
        if exc.final:
            return  # marked failed, with its error, for staff to look at and retry
        raise self.retry(countdown=min(2**exc.failures, 60)) from exc
    if more:
        self.apply_async(args=[campaign_id], kwargs={"chunk_size": chunk_size})


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

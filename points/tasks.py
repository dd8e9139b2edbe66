"""Celery tasks of the points app: each takes ids, calls one service and is safe to run twice."""

from celery import shared_task

from points import services

# A task gives the worker back after this long and queues its own continuation, so one huge batch
# does not hold a worker for ever; if that message is lost the sweeper sends another.
PROCESS_SECONDS = 60.0


@shared_task(bind=True, max_retries=None)
def points_batch_process_task(self, batch_id: str, chunk_size: int | None = None) -> None:
    options = {"chunk_size": chunk_size} if chunk_size else {}
    try:
        more = services.points_batch_process(batch_id, max_seconds=PROCESS_SECONDS, **options)
    except services.ChunkFailed as exc:
        if exc.final:
            return  # marked failed, with its error, for staff to look at and retry
        raise self.retry(countdown=min(2**exc.failures, 60)) from exc
    if more:
        self.apply_async(args=[batch_id], kwargs={"chunk_size": chunk_size})


@shared_task
def points_batches_sweep_task() -> int:
    return len(services.points_batches_sweep())


@shared_task
def expire_lots_task() -> int:
    return services.lots_expire()


@shared_task
def reconcile_ledger_task() -> int:
    return len(services.ledger_reconcile())

"""The job runner's Celery side: the one task that runs a job of any kind, the sweeper, and what sends it.

Services enqueue through here (no task is looked up by name, no app task is imported): a message is
sent only after the commit that stored the job, and a lost one (Redis flushed, a worker killed after
taking it) is sent again by the sweeper, which beat runs every minute for every registered kind.
"""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from plum.core.jobs import runner
from plum.core.jobs.kinds import JobKind, all_kinds, kind_named

RUN_JOB = "plum.core.jobs.run_job"


@shared_task(name=RUN_JOB, bind=True, max_retries=None)
def run_job(self, kind: str, job_id: str, chunk_size: int | None = None) -> None:
    """Work on one job for the kind's time box, then send its continuation; safe to deliver many times."""
    job_kind = kind_named(kind)
    try:
        more = runner.run(job_kind, job_id, chunk_size=chunk_size, max_seconds=job_kind.max_seconds)
    except runner.ChunkFailed as exc:
        if exc.final:
            return  # marked failed, with its error, for staff to look at and retry
        raise self.retry(countdown=min(2**exc.failures, 60)) from exc
    if more:
        self.apply_async(args=[kind, job_id], kwargs={"chunk_size": chunk_size})


@shared_task(name="plum.core.jobs.sweep_jobs")
def sweep_jobs() -> int:
    """Beat's sweeper: re-send every stale job of every kind."""
    return sum(len(sweep(kind)) for kind in all_kinds())


def enqueue(kind: JobKind, job_id, *, copies: int = 1) -> None:
    """Send `copies` messages for the job after the commit (never from inside the transaction). A failed
    send is only logged (robust): the sweeper sends it again."""

    def send():
        for _ in range(copies):
            run_job.delay(kind.name, str(job_id))

    transaction.on_commit(send, robust=True)


def sweep(kind: JobKind, *, stale_after=None, now=None) -> list:
    """Re-send unfinished jobs of the kind without progress for `stale_after` (their message may be lost)."""
    now, stale_after = now or timezone.now(), kind.stale_after if stale_after is None else stale_after
    with transaction.atomic():
        ids = runner.stale_jobs(kind.model._meta.db_table, stale_after=stale_after, now=now)
        for job_id in ids:
            enqueue(kind, job_id)
    return ids


def retry(kind: JobKind, job_id, **scope) -> bool:
    """Put a failed job back in the queue (its done items stay done); `scope` narrows the lookup (the
    caller's organisation). Answers whether it was failed and is queued again."""
    with transaction.atomic():
        retried = kind.model.objects.filter(pk=job_id, status="failed", **scope).update(
            status="processing", failures=0, progress_at=timezone.now()
        )
        if retried:
            enqueue(kind, job_id)
    return bool(retried)

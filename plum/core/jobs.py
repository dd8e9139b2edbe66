"""Chunked background jobs (points batches, voucher campaigns): what their services share.

A job is a row with `status`, `failures`, `last_error` and `progress_at`; Celery works through it
chunk by chunk. Its task is sent only after the commit that stored the job, a chunk that rolls back is
recorded on the row, and a sweeper re-sends jobs without recent progress (their message may be lost).
"""

import logging

from celery import current_app
from django.db import connection, transaction

from plum.core.claims import claim_rows

logger = logging.getLogger(__name__)


class ChunkFailed(Exception):
    """A chunk rolled back; recorded on its job. `final` when the job is now failed."""

    def __init__(self, job_id, failures: int, final: bool):
        super().__init__(f"chunk of {job_id} failed ({failures} in a row)")
        self.failures, self.final = failures, final


def send_on_commit(task_name: str, job_id, *, copies: int = 1) -> None:
    """Send the task after the commit (never from inside the transaction). Looked up by name: tasks sit
    above services. A failed send is only logged (robust): the sweeper sends it again."""

    def send():
        current_app.loader.import_default_modules()  # registers the tasks in web processes too (cached)
        for _ in range(copies):
            current_app.tasks[task_name].delay(str(job_id))

    transaction.on_commit(send, robust=True)


def record_chunk_failure(table: str, job_id, exc: Exception, *, max_failures: int) -> ChunkFailed:
    """Count a rolled-back chunk on the job (failed after `max_failures` in a row), in its own transaction."""
    logger.exception("A chunk of %s %s failed and was rolled back", table, job_id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET failures = failures + 1, last_error = %s,"
            " status = CASE WHEN failures + 1 >= %s THEN 'failed' ELSE status END, progress_at = now()"
            " WHERE id = %s RETURNING failures, status",
            [f"{type(exc).__name__}: {exc}"[:500], max_failures, job_id],
        )
        failures, status = cursor.fetchone()
    return ChunkFailed(job_id, failures, final=status == "failed")


def stale_jobs(table: str, *, stale_after, now, limit: int = 500) -> list:
    """Up to `limit` unfinished jobs without progress for `stale_after`, marked as progressing now (so two
    sweepers do not both take them); the caller sends them again, in its transaction."""
    rows = claim_rows(
        f"WITH stale AS MATERIALIZED (SELECT id FROM {table}"
        " WHERE status IN ('queued', 'processing') AND progress_at <= %s ORDER BY progress_at LIMIT %s"
        f" FOR UPDATE SKIP LOCKED) UPDATE {table} j SET progress_at = %s FROM stale WHERE j.id = stale.id"
        " RETURNING j.id",
        [now - stale_after, limit, now],
        at_most=limit,
    )
    ids = [row[0] for row in rows]
    for job_id in ids:
        logger.warning("%s %s made no progress for %s; sent again", table, job_id, stale_after)
    return ids

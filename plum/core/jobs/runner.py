"""Processing a job: chunks until none is left or the time box ends, failures counted, completion once.

Why nothing is lost or doubled:
- A chunk is one transaction that claims queued items with SELECT … FOR UPDATE SKIP LOCKED, writes
  their outcomes and adds to the job's counters before it commits. A worker killed mid-chunk rolls the
  chunk back whole; its items are queued again for whoever comes next. Parallel deliveries of the same
  job share its items, never the same item.
- Completion is one guarded UPDATE (unfinished and no item queued), so only the call that flips the
  status writes the completion event and its audit entry (the job's counts), in the same transaction.
- A chunk that raises is rolled back and counted on the job (`failures`, `last_error`); after the
  kind's max_failures in a row the job is failed and waits for staff (see tasks.retry).
"""

import logging
import time
from collections.abc import Mapping

from django.db import connection, transaction
from django.utils import timezone

from plum.core import audit
from plum.core.actor import Actor
from plum.core.claims import claim_rows
from plum.core.db import fetchone
from plum.core.jobs.kinds import JobKind

logger = logging.getLogger(__name__)
UNFINISHED = ("queued", "processing")


class ChunkFailed(Exception):
    """A chunk rolled back; recorded on its job. `final` when the job is now failed."""

    def __init__(self, job_id, failures: int, final: bool):
        super().__init__(f"chunk of {job_id} failed ({failures} in a row)")
        self.failures, self.final = failures, final


def _table(kind: JobKind) -> str:
    return connection.ops.quote_name(kind.model._meta.db_table)


def run(kind: JobKind, job_id, *, chunk_size: int | None = None, max_seconds: float | None = None) -> bool:
    """Process chunks until none is left (answers False) or `max_seconds` have passed (answers True: more
    to do). Raises ChunkFailed when a chunk rolled back (the task retries)."""
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    job = kind.load(job_id)
    if job is None or job.status not in UNFINISHED:
        return False
    now = timezone.now()
    kind.model.objects.filter(pk=job.pk, status="queued").update(status="processing", started_at=now, progress_at=now)
    while True:
        try:
            with transaction.atomic():
                now = timezone.now()
                counts = kind.run_chunk(job, chunk_size or kind.chunk_size, now)
                status = None if counts is None else _add_counts(kind, job.pk, counts, now)
        except Exception as exc:  # any failure rolled the chunk back: record it for staff, the task retries
            raise record_failure(kind, job.pk, exc) from exc
        if status is None:
            complete(kind, job.pk)  # unless another worker still holds the last chunks: it completes the job
            return False
        if status not in UNFINISHED:
            return False  # failed meanwhile: staff retry it
        if deadline is not None and time.monotonic() > deadline:
            return True


def _add_counts(kind: JobKind, job_id, counts: Mapping[str, int], now) -> str:
    """Add a chunk's counts to the job, in the chunk's transaction; answers the job's status."""
    quote, fields = connection.ops.quote_name, kind.model._meta
    columns = [quote(fields.get_field(name).column) for name in counts]
    added = ", ".join(f"{c} = {c} + %s" for c in columns)
    return fetchone(
        f"UPDATE {_table(kind)} SET {added}, failures = 0, progress_at = %s WHERE id = %s RETURNING status",  # noqa: S608 (table and counter names from the job's model)
        [*counts.values(), now, job_id],
    )[0]


def complete(kind: JobKind, job_id) -> bool:
    """Mark the job completed if nothing is left queued; only the call that flips it writes the event."""
    guard, params = kind.items.none_queued(job_id) if kind.items else ("TRUE", [])
    with transaction.atomic():
        flipped = fetchone(
            f"UPDATE {_table(kind)} SET status = 'completed', completed_at = now(), progress_at = now()"  # noqa: S608 (table and counter names from the job's model)
            f" WHERE id = %s AND status IN ('queued', 'processing') AND {guard} RETURNING id",
            [job_id, *params],
        )
        if flipped:
            job = kind.load(job_id)
            event = kind.completed_event(job)
            if event is not None:
                # the worker acts for whoever created the job; the create call has its own entry
                label = f"{kind.name} for {job.created_by}" if job.created_by else kind.name
                audit.record_event(
                    actor=Actor.system(job.organisation_id, label=label),
                    event=event,
                    changes=audit.counts(kind.completed_counts(job)),
                )
    return bool(flipped)


def record_failure(kind: JobKind, job_id, exc: Exception) -> ChunkFailed:
    """Count a rolled-back chunk on the job (failed after max_failures in a row), in its own transaction."""
    logger.exception("A chunk of %s %s failed and was rolled back", kind.name, job_id)
    with transaction.atomic():
        failures, status = fetchone(
            f"UPDATE {_table(kind)} SET failures = failures + 1, last_error = %s,"  # noqa: S608 (table name from the job's model)
            " status = CASE WHEN failures + 1 >= %s THEN 'failed' ELSE status END, progress_at = now()"
            " WHERE id = %s RETURNING failures, status",
            [f"{type(exc).__name__}: {exc}"[:500], kind.max_failures, job_id],
        )
    return ChunkFailed(job_id, failures, final=status == "failed")


def stale_jobs(table: str, *, stale_after, now, limit: int = 500) -> list:
    """Up to `limit` unfinished jobs of `table` without progress for `stale_after`, marked as progressing
    now (so two sweepers do not both take them); the caller sends them again, in its transaction."""
    rows = claim_rows(
        f"WITH stale AS MATERIALIZED (SELECT id FROM {table}"  # noqa: S608 (table name from the job's model)
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

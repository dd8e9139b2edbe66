"""Points batches: stored whole in one transaction, then credited by the job runner chunk by chunk, exactly once.

Why exactly once holds (plum.core.jobs.runner has the general argument):
- The batch and all its items are written in the transaction that answers 202; its messages are sent
  only after that commit, so a message never names a batch that does not exist.
- An item is done exactly when its outcome is set, in the chunk transaction that credits it and adds
  to the batch's counters. Request ids are unique per organisation as well, so even a bug in the
  claim could not credit one request twice.
- Lost messages are re-sent by the runner's sweeper; completion writes points_batch.completed once.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from plum.core import audit, jobs
from plum.core.actor import Actor
from plum.core.db import copy_rows, copy_text, fetchone
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import uuid7
from plum.core.outbox import Event
from plum.core.text import storable_json
from points.commands import REQUEST_ID_PATTERN, PointsBatchCommand
from points.errors import BatchErrorCode, PointsError
from points.models import PointsBatch, PointsBatchItem
from points.selectors import batch_document
from points.services.batch_credit import Item, credit_chunk

CHUNK_SIZE = 5_000  # fewer statements and commits per batch; one chunk stays well under a second
PARALLEL_TASKS = 2  # messages per new batch: workers share its chunks through SKIP LOCKED
MAX_FAILURES = 5  # chunk failures in a row before the batch is marked failed
STALE_AFTER = timedelta(minutes=2)
COUNTED = ("credited", "pending_approval", "rejected", "replayed")  # item outcomes the batch counts
ITEM_COLUMNS = (
    "batch_id",
    "index",
    "source_row",
    "request_id",
    "data",
    "status",
    "error_code",
    "error_field",
    "error_message",
)


class PointsBatchJobs(jobs.JobKind):
    """How the runner credits a batch: each chunk of items through credit_chunk."""

    name = "points.batch"
    model = PointsBatch
    items = jobs.ItemQueue(PointsBatchItem, job_field="batch", columns=("id", "index", "data"))
    chunk_size, parallel_messages, max_failures, stale_after = CHUNK_SIZE, PARALLEL_TASKS, MAX_FAILURES, STALE_AFTER
    counted_fields = ("total", "processed", *COUNTED)  # the completion's one audit entry

    def process_chunk(self, job: PointsBatch, claimed: list[tuple], now) -> dict[str, int]:
        items = [Item(id=pk, index=index, data=json.loads(data)) for pk, index, data in claimed]
        decided = credit_chunk(organisation_id=job.organisation_id, batch_uuid=job.pk, items=items, now=now)
        outcomes = Counter(it.status for it in decided)
        return {"processed": len(decided), **{status: outcomes[status] for status in COUNTED}}

    def completed_event(self, job: PointsBatch) -> Event:
        return Event("points_batch.completed", "points_batch", str(job.pk), batch_document(job))


BATCH_JOBS = jobs.register(PointsBatchJobs)


@dataclass(frozen=True)
class BatchCreated:
    batch: PointsBatch
    replayed: bool

    @property
    def http_status(self) -> int:
        return 200 if self.replayed else 202


def _fingerprint(requests: list) -> str:
    body = json.dumps(requests, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def upload_batch_id(upload_pk) -> str:
    """The batch_id of an upload's batch. Its space is refused in a client's batch_id, so no client batch
    can take it first."""
    return f"upload {upload_pk}"


def points_batch_create(
    *, actor: Actor, command: PointsBatchCommand, source: str = PointsBatch.Source.API, rows: list[int] | None = None
) -> BatchCreated:
    """Store the batch and its items (one transaction) and queue it; items are checked when processed,
    each like a single request. The same batch_id with the same requests replays, with others is 409."""
    batch_id, requests = command.batch_id, command.requests
    batch_uuid, fingerprint = uuid7(), _fingerprint(requests)
    item_rows = _item_rows(batch_uuid, requests, rows)
    with transaction.atomic():
        row = fetchone(
            "INSERT INTO points_pointsbatch (id, organisation_id, batch_id, fingerprint, source, status, total,"
            " processed, credited, pending_approval, rejected, replayed, failures, last_error, created_by,"
            " created_at, progress_at)"
            " VALUES (%s, %s, %s, %s, %s, 'queued', %s, 0, 0, 0, 0, 0, 0, '', %s, now(), now())"
            " ON CONFLICT (organisation_id, batch_id) DO NOTHING RETURNING id",
            [batch_uuid, actor.organisation_id, batch_id, fingerprint, source, len(requests), actor.label[:200]],
        )
        if row is None:
            return _replay(actor, batch_id, fingerprint)
        copy_rows("points_pointsbatchitem", ITEM_COLUMNS, item_rows)
        enqueue_on_commit(batch_uuid, copies=PARALLEL_TASKS)
        # one entry for the call, one at completion (the runner) with the counts: never one per item
        changes = audit.created({"batch_id": batch_id, "source": source, "status": "queued", "total": len(requests)})
        audit.record(
            actor=actor,
            action="points_batch.created",
            object_type="points_batch",
            object_id=batch_uuid,
            changes=changes,
        )
    return BatchCreated(PointsBatch.objects.get(pk=batch_uuid), replayed=False)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _item_rows(batch_uuid, requests: list, rows: list[int] | None) -> list[tuple]:
    """The items' COPY rows. Text PostgreSQL cannot store (NUL, unpaired surrogates) refuses the batch."""
    out, errors, batch = [], [], str(batch_uuid)
    for index, data in enumerate(requests):
        if isinstance(data, dict) and isinstance(data.get("points"), float):
            # jsonb would store 1e+308 as an integer, which the item would then accept as one; as text it
            # is refused as a single request's float is ("Must be a whole number.")
            data = {**data, "points": repr(data["points"])}
        text = _dumps(data)
        if not storable_json(data):
            message = "Holds text that cannot be stored (a NUL character or an unpaired surrogate)."
            errors.append(field_error(f"requests[{index}]", CoreErrorCode.INVALID, message))
        rid = data.get("request_id") if isinstance(data, dict) else None
        rid = rid if isinstance(rid, str) and REQUEST_ID_PATTERN.match(rid) else ""
        row = str(rows[index]) if rows else "\\N"
        out.append((batch, str(index), row, copy_text(rid), copy_text(text), "queued", "", "", ""))
    if errors:
        raise ValidationFailed(errors[:100])
    return out


def _replay(actor: Actor, batch_id: str, fingerprint: str) -> BatchCreated:
    batch = PointsBatch.objects.get(organisation_id=actor.organisation_id, batch_id=batch_id)
    if batch.fingerprint != fingerprint:
        message = f"batch_id {batch_id!r} was already used with other requests."
        raise PointsError(BatchErrorCode.BATCH_ID_CONFLICT, message, field="batch_id")
    return BatchCreated(batch, replayed=True)


def enqueue_on_commit(batch_uuid, *, copies: int = 1) -> None:
    jobs.enqueue(BATCH_JOBS, batch_uuid, copies=copies)


def points_batch_process(batch_uuid, *, chunk_size: int = CHUNK_SIZE, max_seconds: float | None = None) -> bool:
    """Process chunks until none is left or `max_seconds` have passed; answers True in the second case.
    Raises ChunkFailed when a chunk rolled back (the caller retries)."""
    return jobs.run(BATCH_JOBS, batch_uuid, chunk_size=chunk_size, max_seconds=max_seconds)


def points_batches_sweep(*, stale_after: timedelta = STALE_AFTER, now=None) -> list:
    """Re-enqueue unfinished batches without progress for `stale_after` (their message may be lost)."""
    return jobs.sweep(BATCH_JOBS, stale_after=stale_after, now=now)


def points_batch_retry(*, actor: Actor, batch_uuid) -> PointsBatch:
    """Staff: put a failed batch back in the queue; its processed items stay done. A batch that is not failed
    stays as it is."""
    with transaction.atomic():
        if jobs.retry(BATCH_JOBS, batch_uuid, organisation_id=actor.organisation_id):
            changes = {"status": [PointsBatch.Status.FAILED.value, PointsBatch.Status.PROCESSING.value]}
            audit.record(
                actor=actor,
                action="points_batch.retried",
                object_type="points_batch",
                object_id=batch_uuid,
                changes=changes,
            )
        batch = PointsBatch.objects.filter(pk=batch_uuid, organisation_id=actor.organisation_id).first()
    if batch is None:
        raise PointsError(BatchErrorCode.BATCH_NOT_FOUND, "No such points batch in this organisation.")
    return batch

"""Points batches: stored whole in one transaction, then credited by Celery chunk by chunk, exactly once.

Why exactly once holds:
- The batch and all its items are written in the transaction that answers 202; the task is enqueued
  only after that commit (on_commit), so a message never names a batch that does not exist.
- An item is done exactly when its outcome is set. A chunk is one database transaction that claims
  queued items with SELECT … FOR UPDATE SKIP LOCKED, credits them and writes their outcomes and the
  batch's counters before it commits. A worker killed mid-chunk rolls the whole chunk back; a second
  delivery of the task claims other items or none. Request ids are unique per organisation as well,
  so even a bug here could not credit one request twice.
- Messages may be lost (Redis restarted or flushed, a worker killed after taking one). A periodic
  sweeper re-enqueues every unfinished batch without recent progress; extra deliveries are harmless.
- Completion flips the status once (a guarded UPDATE) and writes points_batch.completed with it.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from plum.core.actor import Actor
from plum.core.claims import claim_rows
from plum.core.db import copy_rows, copy_text, fetchone
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import uuid7
from plum.core.jobs import record_chunk_failure, send_on_commit, stale_jobs
from plum.core.outbox import Event, outbox_emit
from plum.core.text import storable_json
from points.batch_selectors import batch_document
from points.errors import BatchErrorCode, PointsError
from points.models import PointsBatch, PointsBatchItem
from points.services.batch_credit import Item, credit_chunk
from points.services.requests import REQUEST_ID_PATTERN

MAX_BATCH_ITEMS = 100_000
CHUNK_SIZE = 5_000  # fewer statements and commits per batch; one chunk stays well under a second
PROCESS_TASK = "points.tasks.points_batch_process_task"
PARALLEL_TASKS = 2  # messages per new batch: workers share its chunks through SKIP LOCKED
MAX_FAILURES = 5  # chunk failures in a row before the batch is marked failed
STALE_AFTER = timedelta(minutes=2)
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
B = PointsBatch.Status
# Each worker takes items no other transaction holds; they stay queued until its chunk commits.
CLAIM_SQL = (
    "SELECT id, index, data FROM points_pointsbatchitem WHERE batch_id = %s AND status = 'queued'"
    " ORDER BY index LIMIT %s FOR UPDATE SKIP LOCKED"
)
UNFINISHED = (B.QUEUED, B.PROCESSING)


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


def _clean_envelope(batch_id, requests, source: str) -> None:
    errors = []
    client_named = source != PointsBatch.Source.UPLOAD  # an upload's is upload_batch_id's
    if client_named and (not isinstance(batch_id, str) or not REQUEST_ID_PATTERN.match(batch_id)):
        code = CoreErrorCode.REQUIRED if batch_id is None else CoreErrorCode.INVALID
        errors.append(field_error("batch_id", code, "1 to 128 printable ASCII characters."))
    if requests is None:
        errors.append(field_error("requests", CoreErrorCode.REQUIRED, "This field is required."))
    elif not isinstance(requests, list) or not 1 <= len(requests) <= MAX_BATCH_ITEMS:
        errors.append(field_error("requests", CoreErrorCode.INVALID, f"A list of 1 to {MAX_BATCH_ITEMS:,} requests."))
    if errors:
        raise ValidationFailed(errors)


def points_batch_create(
    *, actor: Actor, batch_id, requests, source: str = PointsBatch.Source.API, rows: list[int] | None = None
) -> BatchCreated:
    """Store the batch and its items (one transaction) and queue it; items are checked when processed,
    each like a single request. The same batch_id with the same requests replays, with others is 409."""
    _clean_envelope(batch_id, requests, source)
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
    send_on_commit(PROCESS_TASK, batch_uuid, copies=copies)


def points_batch_process(batch_uuid, *, chunk_size: int = CHUNK_SIZE, max_seconds: float | None = None) -> bool:
    """Process chunks until none is left or `max_seconds` have passed; answers True in the second case.
    Raises ChunkFailed when a chunk rolled back (the caller retries)."""
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    batch = PointsBatch.objects.filter(pk=batch_uuid).values("organisation_id", "status").first()
    if batch is None or batch["status"] not in UNFINISHED:
        return False
    PointsBatch.objects.filter(pk=batch_uuid, status=B.QUEUED).update(
        status=B.PROCESSING, started_at=timezone.now(), progress_at=timezone.now()
    )
    while True:
        try:
            with transaction.atomic():
                status = _process_chunk(batch_uuid, batch["organisation_id"], chunk_size)
        except Exception as exc:  # any failure rolled the chunk back: record it for staff, the task retries
            raise record_chunk_failure("points_pointsbatch", batch_uuid, exc, max_failures=MAX_FAILURES) from exc
        if status is None:
            _complete(batch_uuid)  # or another worker still holds the last chunks: it will complete the batch
            return False
        if status not in UNFINISHED:
            return False  # failed meanwhile: staff retry it
        if deadline is not None and time.monotonic() > deadline:
            return True


def _process_chunk(batch_uuid, organisation_id, chunk_size: int) -> str | None:
    """Claim, credit and record one chunk; answers the batch's status, or None when nothing was claimed."""
    rows = claim_rows(CLAIM_SQL, [batch_uuid, chunk_size], at_most=chunk_size)
    if not rows:
        return None
    now = timezone.now()
    items = [Item(id=pk, index=index, data=json.loads(data)) for pk, index, data in rows]
    decided = credit_chunk(organisation_id=organisation_id, batch_uuid=batch_uuid, items=items, now=now)
    counts = dict.fromkeys(PointsBatchItem.Status.values, 0)
    for it in decided:
        counts[it.status] += 1
    return fetchone(
        "UPDATE points_pointsbatch SET processed = processed + %s, credited = credited + %s,"
        " pending_approval = pending_approval + %s, rejected = rejected + %s, replayed = replayed + %s,"
        " failures = 0, progress_at = %s WHERE id = %s RETURNING status",
        [len(decided), *(counts[s] for s in ("credited", "pending_approval", "rejected", "replayed")), now, batch_uuid],
    )[0]


def _complete(batch_uuid) -> None:
    """Mark the batch completed if no item is left queued; only the call that flips it emits the event."""
    with transaction.atomic():
        flipped = fetchone(
            "UPDATE points_pointsbatch SET status = 'completed', completed_at = now(), progress_at = now()"
            " WHERE id = %s AND status IN ('queued', 'processing')"
            " AND NOT EXISTS (SELECT 1 FROM points_pointsbatchitem WHERE batch_id = %s AND status = 'queued')"
            " RETURNING id",
            [batch_uuid, batch_uuid],
        )
        if flipped:
            batch = PointsBatch.objects.get(pk=batch_uuid)
            outbox_emit(
                organisation_id=batch.organisation_id,
                event=Event("points_batch.completed", "points_batch", str(batch.pk), batch_document(batch)),
            )


def points_batches_sweep(*, stale_after: timedelta = STALE_AFTER, now=None) -> list:
    """Re-enqueue unfinished batches without progress for `stale_after` (their message may be lost)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = stale_jobs("points_pointsbatch", stale_after=stale_after, now=now)
        for batch_uuid in ids:
            enqueue_on_commit(batch_uuid)
    return ids


def points_batch_retry(*, actor: Actor, batch_uuid) -> PointsBatch:
    """Staff: put a failed batch back in the queue; its processed items stay done."""
    with transaction.atomic():
        updated = PointsBatch.objects.filter(
            pk=batch_uuid, organisation_id=actor.organisation_id, status=B.FAILED
        ).update(status=B.PROCESSING, failures=0, progress_at=timezone.now())
        if updated:
            enqueue_on_commit(batch_uuid)
    batch = PointsBatch.objects.filter(pk=batch_uuid, organisation_id=actor.organisation_id).first()
    if batch is None:
        raise PointsError(BatchErrorCode.BATCH_NOT_FOUND, "No such points batch in this organisation.")
    return batch

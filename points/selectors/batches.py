"""Reads of points batches and their items, scoped to the caller's organisation."""

from django.db.models import QuerySet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso
from points.errors import BatchErrorCode, PointsError
from points.models import PointsBatch, PointsBatchItem

BATCH_ERRORS_SHOWN = 100


def batch_list(*, actor: Actor, status: str | None = None) -> QuerySet[PointsBatch]:
    batches = PointsBatch.objects.filter(organisation_id=actor.organisation_id)
    if status is not None:
        if status not in PointsBatch.Status.values:
            choices = ", ".join(PointsBatch.Status.values)
            raise ValidationFailed([field_error("status", CoreErrorCode.INVALID, f"One of {choices}.")])
        batches = batches.filter(status=status)
    return batches


def batch_get(*, actor: Actor, batch_uuid) -> PointsBatch:
    pk = parse_uuid(batch_uuid)
    batch = None if pk is None else batch_list(actor=actor).filter(pk=pk).first()
    if batch is None:
        raise PointsError(BatchErrorCode.BATCH_NOT_FOUND, "No such points batch in this organisation.")
    return batch


def batch_items(*, actor: Actor, batch_uuid, status: str | None = None) -> QuerySet[PointsBatchItem]:
    batch = batch_get(actor=actor, batch_uuid=batch_uuid)
    items = PointsBatchItem.objects.filter(batch=batch)
    if status is not None:
        if status not in PointsBatchItem.Status.values:
            choices = ", ".join(PointsBatchItem.Status.values)
            raise ValidationFailed([field_error("status", CoreErrorCode.INVALID, f"One of {choices}.")])
        items = items.filter(status=status)
    return items


def item_error(item: PointsBatchItem) -> dict | None:
    if not item.error_code:
        return None
    return {"field": item.error_field or None, "code": item.error_code, "message": item.error_message}


def item_document(item: PointsBatchItem) -> dict:
    return {
        "index": item.index,
        "row": item.source_row,
        "request_id": item.request_id or None,
        "status": str(item.status),
        "error": item_error(item),
        "points_request_id": str(item.points_request_id) if item.points_request_id else None,
    }


def batch_document(batch: PointsBatch) -> dict:
    """The batch with its counts and the errors of its first rejected items (all are in its items)."""
    rejected = (
        PointsBatchItem.objects.filter(batch=batch, status=PointsBatchItem.Status.REJECTED)
        .order_by("index")
        .only("index", "source_row", "request_id", "error_code", "error_field", "error_message")[:BATCH_ERRORS_SHOWN]
    )
    return {
        "id": str(batch.id),
        "batch_id": batch.batch_id,
        "status": str(batch.status),
        "source": str(batch.source),
        "total": batch.total,
        "processed": batch.processed,
        "credited": batch.credited,
        "pending_approval": batch.pending_approval,
        "rejected": batch.rejected,
        "replayed": batch.replayed,
        "errors": [
            {"index": i.index, "row": i.source_row, "request_id": i.request_id or None, **item_error(i)}
            for i in rejected
        ],
        "created_at": iso(batch.created_at),
        "started_at": iso(batch.started_at),
        "completed_at": iso(batch.completed_at),
    }


def batch_receipt(batch: PointsBatch) -> dict:
    """The answer to creating a batch (202) and to repeating it (200)."""
    return {"id": str(batch.id), "batch_id": batch.batch_id, "status": str(batch.status), "total": batch.total}


def batch_item_list(batch: PointsBatch, *, status: str | None = None) -> QuerySet[PointsBatchItem]:
    """A batch already read through batch_get: its items in order, each with the request it became."""
    items = PointsBatchItem.objects.filter(batch=batch).select_related(
        "points_request__employee", "points_request__programme"
    )
    return (items.filter(status=status) if status else items).order_by("index")


def batch_admin_get(batch_uuid) -> PointsBatch | None:
    """Any organisation's batch, for operations staff: only what a link to it shows."""
    return PointsBatch.objects.filter(pk=batch_uuid).only("batch_id", "status").first()

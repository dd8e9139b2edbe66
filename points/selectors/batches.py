"""Batch reads the doors need beside points/batch_selectors.py (which points.services.batches imports;
the two merge here when that module moves)."""

from django.db.models import QuerySet

from points.models import PointsBatch, PointsBatchItem


def batch_item_list(batch: PointsBatch, *, status: str | None = None) -> QuerySet[PointsBatchItem]:
    """A batch already read through batch_get: its items in order, each with the request it became."""
    items = PointsBatchItem.objects.filter(batch=batch).select_related(
        "points_request__employee", "points_request__programme"
    )
    return (items.filter(status=status) if status else items).order_by("index")


def batch_admin_get(batch_uuid) -> PointsBatch | None:
    """Any organisation's batch, for operations staff: only what a link to it shows."""
    return PointsBatch.objects.filter(pk=batch_uuid).only("batch_id", "status").first()

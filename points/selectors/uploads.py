"""Reads of points uploads, scoped to the caller's organisation."""

from plum.core.actor import Actor
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso
from points.errors import BatchErrorCode, PointsError
from points.models import PointsUpload


def upload_get(*, actor: Actor, upload_uuid) -> PointsUpload:
    pk = parse_uuid(upload_uuid)
    upload = None if pk is None else PointsUpload.objects.filter(organisation_id=actor.organisation_id, pk=pk).first()
    if upload is None:
        raise PointsError(BatchErrorCode.UPLOAD_NOT_FOUND, "No such upload in this organisation.")
    return upload


def upload_document(upload: PointsUpload) -> dict:
    return {
        "id": str(upload.id),
        "status": str(upload.status),
        "filename": upload.filename,
        "rows": upload.rows,
        "valid": upload.valid,
        "invalid": upload.invalid,
        "errors": upload.errors,
        "batch": str(upload.batch_id) if upload.batch_id else None,
        "created_at": iso(upload.created_at),
    }

"""Points requests and their one representation."""

from collections.abc import Mapping

from django.db.models import QuerySet

from plum.core.actor import Actor
from plum.core.errors import CoreErrorCode, ValidationFailed, field_error
from plum.core.ids import parse_uuid
from plum.core.timefmt import iso
from points.errors import PointsError, PointsErrorCode
from points.filters import PointsRequestFilter
from points.models import PointsRequest


def points_request_list(*, actor: Actor, filters: Mapping | None = None) -> QuerySet[PointsRequest]:
    requests = PointsRequest.objects.filter(organisation_id=actor.organisation_id).select_related(
        "employee", "programme"
    )
    filterset = PointsRequestFilter(data=filters or {}, queryset=requests)
    if not filterset.is_valid():
        raise ValidationFailed(
            [
                field_error(name, CoreErrorCode.INVALID, " ".join(str(m) for m in messages))
                for name, messages in filterset.errors.items()
            ]
        )
    return filterset.qs


def points_request_get(*, actor: Actor, request_uuid) -> PointsRequest:
    pk = parse_uuid(request_uuid)
    request = None if pk is None else points_request_list(actor=actor).filter(pk=pk).first()
    if request is None:
        raise PointsError(PointsErrorCode.REQUEST_NOT_FOUND, "No such points request in this organisation.")
    return request


def points_request_document(r: PointsRequest) -> dict:
    """The one representation of a points request: REST answers, events, the originating system's receipt."""
    return {
        "id": str(r.id),
        "request_id": r.request_id,
        "status": str(r.status),
        "points": r.points,
        "employee_id": r.employee.employee_id,
        "programme": r.programme.code,
        "reason": r.reason,
        "source": r.source,
        "metadata": r.metadata,
        "balance_after": r.balance_after,
        "transaction_id": str(r.transaction_id) if r.transaction_id else None,
        "credited_at": iso(r.credited_at),
        "expires_at": iso(r.expires_at),
        "decided_at": iso(r.decided_at),
        "reversed_at": iso(r.reversed_at),
        "reversal_reason": r.reversal_reason,
        "created_at": iso(r.created_at),
    }

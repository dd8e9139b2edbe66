"""What a points request comes to before any budget is asked: one rule, written in SQL
(sql/acceptance.sql, the function points_request_decision, which the one-statement credit calls) and
read here for Python's callers (the general path, batch chunks). The Python copy exists because the
batch decides 2,000 items a chunk against values it already holds, where a round trip per chunk would
cost more than the rule; points/tests/test_ledger_acceptance.py runs the whole matrix through both."""

from points.errors import PointsErrorCode
from points.models import PointsRequest, Programme
from users.models import Employee

CREDITED = PointsRequest.Status.CREDITED
PENDING_APPROVAL = PointsRequest.Status.PENDING_APPROVAL
PROGRAMME_NOT_FOUND = PointsErrorCode.PROGRAMME_NOT_FOUND
PROGRAMME_INACTIVE = PointsErrorCode.PROGRAMME_INACTIVE
EMPLOYEE_NOT_FOUND = PointsErrorCode.EMPLOYEE_NOT_FOUND
EMPLOYEE_INACTIVE = PointsErrorCode.EMPLOYEE_INACTIVE
POINTS_OUT_OF_RANGE = PointsErrorCode.POINTS_OUT_OF_RANGE


def decision(*, programme_status, max_points, approval_threshold, employee_status, points: int) -> str:
    """CREDITED, PENDING_APPROVAL or the code of the first refusal; None statuses mean "not found"."""
    if programme_status is None:
        return PROGRAMME_NOT_FOUND
    if programme_status != Programme.Status.ACTIVE:
        return PROGRAMME_INACTIVE
    if employee_status is None:
        return EMPLOYEE_NOT_FOUND
    if employee_status != Employee.Status.ACTIVE:
        return EMPLOYEE_INACTIVE
    if not 1 <= points <= max_points:
        return POINTS_OUT_OF_RANGE
    if approval_threshold is not None and points >= approval_threshold:
        return PENDING_APPROVAL
    return CREDITED


def programme_decision(programme: Programme | None, employee_status, points: int) -> str:
    return decision(
        programme_status=None if programme is None else programme.status,
        max_points=None if programme is None else programme.max_points_per_request,
        approval_threshold=None if programme is None else programme.approval_threshold,
        employee_status=employee_status,
        points=points,
    )

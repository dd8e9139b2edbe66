from plum.core.errors import DomainError, ErrorCode


class PointsErrorCode(ErrorCode):
    EMPLOYEE_NOT_FOUND = "employee_not_found", 422
    EMPLOYEE_INACTIVE = "employee_inactive", 422
    PROGRAMME_NOT_FOUND = "programme_not_found", 422
    PROGRAMME_INACTIVE = "programme_inactive", 422
    PROGRAMME_EXISTS = "programme_exists", 409
    BUDGET_EXHAUSTED = "budget_exhausted", 422
    POINTS_OUT_OF_RANGE = "points_out_of_range", 422
    INSUFFICIENT_BALANCE = "insufficient_balance", 422
    REQUEST_ID_CONFLICT = "request_id_conflict", 409
    REQUEST_NOT_FOUND = "points_request_not_found", 404
    REQUEST_NOT_PENDING = "request_not_pending", 409
    REQUEST_NOT_CREDITED = "request_not_credited", 409


class PointsError(DomainError):
    pass

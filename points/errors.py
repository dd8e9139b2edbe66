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


class BatchErrorCode(ErrorCode):
    """Batches and uploads; a file's row errors use these codes and those of PointsErrorCode."""

    BATCH_ID_CONFLICT = "batch_id_conflict", 409
    BATCH_NOT_FOUND = "points_batch_not_found", 404
    UPLOAD_NOT_FOUND = "points_upload_not_found", 404
    NOTHING_TO_CONFIRM = "nothing_to_confirm", 422
    INVALID_FILE = "invalid_file", 400
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type", 415
    FILE_TOO_LARGE = "file_too_large", 413
    # Details of invalid_file and of row errors.
    EMPTY_FILE = "empty_file", 400
    INVALID_ENCODING = "invalid_encoding", 400
    UNREADABLE_FILE = "unreadable_file", 400
    MISSING_COLUMN = "missing_column", 400
    UNKNOWN_COLUMN = "unknown_column", 400
    DUPLICATE_COLUMN = "duplicate_column", 400
    DUPLICATE_REQUEST_ID = "duplicate_request_id", 422
    REQUEST_ID_USED = "request_id_used", 422  # an upload's row naming an existing request, whatever its body

"""HRMS connection and run errors (REST renders these codes as problem+json)."""

from plum.core.errors import DomainError, ErrorCode


class HrmsErrorCode(ErrorCode):
    CONNECTION_NOT_FOUND = "connection_not_found", 404
    RUN_NOT_FOUND = "run_not_found", 404
    UNKNOWN_PROVIDER = "unknown_provider", 400
    INVALID_SCHEDULE = "invalid_schedule", 422  # not five cron fields beat can read
    URL_NOT_ALLOWED = "url_not_allowed", 422
    INVALID_CONNECTION = "invalid_connection", 422  # what the provider needs: settings, credentials, paths
    RUN_IN_PROGRESS = "run_in_progress", 409
    CONNECTION_INACTIVE = "connection_inactive", 409
    RUN_NOT_AWAITING_CONFIRMATION = "run_not_awaiting_confirmation", 409


class HrmsError(DomainError):
    pass

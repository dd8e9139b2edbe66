"""Domain errors. Each app declares one ErrorCode enum; REST and GraphQL render the same codes."""

from enum import Enum


class ErrorCode(str, Enum):
    """An error code with the HTTP status REST answers for it: `NAME = "code", status`."""

    def __new__(cls, code: str, http_status: int = 422):
        member = str.__new__(cls, code)
        member._value_ = code
        member.http_status = http_status
        return member

    def __str__(self) -> str:
        return self.value


class CoreErrorCode(ErrorCode):
    VALIDATION_ERROR = "validation_error", 400
    INVALID = "invalid", 400
    REQUIRED = "required", 400
    UNKNOWN_FIELD = "unknown_field", 400
    NOT_FOUND = "not_found", 404
    CONFLICT = "conflict", 409


class DomainError(Exception):
    """A broken business rule. `errors` lists field-level problems: {"field", "code", "message"}."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if errors is None:
            errors = [field_error(field, code, message)] if field else []
        self.errors = errors

    @property
    def http_status(self) -> int:
        return self.code.http_status


class ValidationFailed(DomainError):
    """Input that does not have the shape a service needs; carries every field error at once."""

    def __init__(self, errors: list[dict]):
        super().__init__(CoreErrorCode.VALIDATION_ERROR, "The input is not valid.", errors=errors)


def error_summary(exc: DomainError) -> str:
    """One line for a command's output: the message, then each field's."""
    details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors if e.get("field"))
    return f"{exc.message} ({details})" if details else exc.message


def field_error(field: str | None, code: ErrorCode | str, message: str) -> dict:
    return {"field": field, "code": str(code), "message": message}

from plum.core.errors import DomainError, ErrorCode


class UsersErrorCode(ErrorCode):
    EMPLOYEE_NOT_FOUND = "employee_not_found", 404
    EMPLOYEE_EXISTS = "employee_exists", 409
    EMPLOYEE_ERASED = "employee_erased", 422
    ORGANISATION_NOT_FOUND = "organisation_not_found", 404
    MANAGER_NOT_FOUND = "manager_not_found", 422
    MANAGER_IS_SELF = "manager_is_self", 422
    DUPLICATE_EMPLOYEE_ID = "duplicate_employee_id", 422
    TOO_MANY_RECORDS = "too_many_records", 413
    INVALID_SCOPE = "invalid_scope", 400


class EmployeeNotFound(DomainError):
    def __init__(self, employee_id: str):
        super().__init__(UsersErrorCode.EMPLOYEE_NOT_FOUND, f"No employee {employee_id!r} in this organisation.")


class EmployeeExists(DomainError):
    def __init__(self, employee_id: str):
        super().__init__(
            UsersErrorCode.EMPLOYEE_EXISTS, f"Employee {employee_id!r} already exists.", field="employee_id"
        )


class EmployeeErased(DomainError):
    def __init__(self, employee_id: str, field: str | None = None):
        super().__init__(
            UsersErrorCode.EMPLOYEE_ERASED,
            f"Employee {employee_id!r} was erased; an erased employee is never written again.",
            field=field,
        )
